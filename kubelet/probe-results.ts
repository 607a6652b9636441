/**
 * The latest result of each probe, keyed by runtime container id (not by container name), so a
 * restarted container never inherits the verdict of the one it replaced. A container with a probe but
 * no entry has not been probed yet; what that means differs per probe kind and is decided by the
 * readers (computePodActions, computePodStatus).
 */

export type ProbeResult = 'Success' | 'Failure';

export interface ProbeResults {
  liveness: ReadonlyMap<string, ProbeResult>;
  readiness: ReadonlyMap<string, ProbeResult>;
  startup: ReadonlyMap<string, ProbeResult>;
}

export const NO_PROBE_RESULTS: ProbeResults = {
  liveness: new Map(),
  readiness: new Map(),
  startup: new Map(),
};
