/**
 * Requests and limits turned into what the runtime and the pod status need, with upstream's rules:
 * - QoS class (v1qos.GetPodQOS): Guaranteed when every container, init containers included, limits
 *   both CPU and memory and the summed requests equal the summed limits; BestEffort when nothing
 *   requests or limits either; Burstable otherwise.
 * - cgroup settings (kuberuntime's generateLinuxContainerResources): CPU shares from the request
 *   (the limit when only that is set; minimum 2, the kernel's floor), CFS quota from the limit over a
 *   100 ms period (minimum 1 ms), the memory limit as is, and an OOM score by QoS class.
 */
import { parseQuantity } from '../apiserver/admission/quantity.js';
import type { Container, Pod } from './api-types.js';
import type { LinuxResources } from './runtime/runtime.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'];
const NANOS_PER_UNIT = 1_000_000_000n;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const SHARES_PER_CPU = 1024;
export const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1_000;
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

function nanos(list: Record<string, string> | undefined, resource: string): bigint {
  return parseQuantity(list?.[resource]) ?? 0n;
}

/** Quantity.MilliValue(): rounded up to whole thousandths. */
export function milliValue(quantity: string | undefined): number {
  const n = parseQuantity(quantity) ?? 0n;
  return Number((n + 999_999n) / 1_000_000n);
}

/** Quantity.Value(): rounded up to whole units. */
export function unitValue(quantity: string | undefined): number {
  const n = parseQuantity(quantity) ?? 0n;
  return Number((n + NANOS_PER_UNIT - 1n) / NANOS_PER_UNIT);
}

export function podQosClass(pod: Pod): QosClass {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const container of containers) {
    for (const resource of QOS_RESOURCES) {
      const request = nanos(container.resources?.requests, resource);
      if (request > 0n) requests.set(resource, (requests.get(resource) ?? 0n) + request);
    }
    const limitsFound = new Set<string>();
    for (const resource of QOS_RESOURCES) {
      const limit = nanos(container.resources?.limits, resource);
      if (limit <= 0n) continue;
      limitsFound.add(resource);
      limits.set(resource, (limits.get(resource) ?? 0n) + limit);
    }
    if (limitsFound.size !== QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [resource, request] of requests) {
      if (limits.get(resource) !== request) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu === 0) return MIN_SHARES;
  const shares = Math.floor((milliCpu * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** 0 means "no quota", which is what an absent limit must give. */
export function milliCpuToQuota(milliCpu: number, periodUs = CPU_PERIOD_US): number {
  if (milliCpu === 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milliCpu * periodUs) / 1000));
}

export function oomScoreAdjust(pod: Pod, container: Container, machineMemoryBytes: number): number {
  if (pod.spec?.priorityClassName === 'system-node-critical') return GUARANTEED_OOM_SCORE_ADJ;
  const qos = podQosClass(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const memoryRequest = unitValue(container.resources?.requests?.memory);
  const adjust = 1000 - Math.floor((1000 * memoryRequest) / machineMemoryBytes);
  // Burstable stays above what a Guaranteed pod using all memory would get, and below BestEffort.
  if (adjust < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adjust === BEST_EFFORT_OOM_SCORE_ADJ) return adjust - 1;
  return adjust;
}

export function linuxContainerResources(
  pod: Pod,
  container: Container,
  machineMemoryBytes: number,
): LinuxResources {
  const cpuRequest = milliValue(container.resources?.requests?.cpu);
  const cpuLimit = milliValue(container.resources?.limits?.cpu);
  const memoryLimit = unitValue(container.resources?.limits?.memory);
  const resources: LinuxResources = {
    // The apiserver defaults a missing request to the limit; pods from elsewhere may lack that.
    cpuShares: milliCpuToShares(cpuRequest === 0 && cpuLimit !== 0 ? cpuLimit : cpuRequest),
    cpuQuota: milliCpuToQuota(cpuLimit),
    cpuPeriod: CPU_PERIOD_US,
    oomScoreAdj: oomScoreAdjust(pod, container, machineMemoryBytes),
  };
  if (memoryLimit > 0) resources.memoryLimitBytes = memoryLimit;
  return resources;
}
