/**
 * Probes: liveness, readiness and startup, each by exec, httpGet or tcpSocket, as upstream's prober
 * and probe workers run them.
 *
 * Contract:
 * - One worker per running container and probe kind, keyed by runtime container id: a restarted
 *   container gets fresh workers, so it never inherits the verdicts of the one it replaced.
 * - A worker probes every `periodSeconds`, starting when the container is seen running. It does not
 *   probe before `initialDelaySeconds` have passed since the container started, nor (liveness and
 *   readiness) before the startup probe, if there is one, has succeeded; a succeeded startup probe
 *   is not run again. Until a result is reported, readiness counts as Failure, liveness as Success
 *   and startup as not yet known, as upstream's initial values; except that a container the API
 *   already reports Ready (a kubelet restart adopting it) stays Ready until probed otherwise.
 * - A result is only reported once it repeated `successThreshold` (Success) or `failureThreshold`
 *   (Failure) times in a row. After a liveness or startup Failure the worker holds still: the
 *   container is about to be restarted, and its successor gets workers of its own.
 * - Every failed run records a Warning `Unhealthy` event (`<Kind> probe failed: <output>`); every
 *   change of a reported result calls `onChange(podUid)`, which is how a pod gets synced (restart on
 *   liveness failure, the Ready condition on readiness).
 * - exec runs in the container with the probe's timeout; httpGet succeeds on 200–399; tcpSocket on an
 *   accepted connection. httpGet and tcpSocket reach the pod IP unless the probe names a host.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { realClock } from '../machinery/clock.js';
import type { Clock, TimerHandle } from '../machinery/clock.js';
import type { Container, Pod } from './api-types.js';
import type { ProbeResult, ProbeResults } from './probe-results.js';
import type { RuntimePodStatus } from './runtime/runtime-pod-status.js';
import type { ContainerRuntime } from './runtime/runtime.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type Probe = NonNullable<Container['livenessProbe']>;
type Handler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket'>;

export interface ProbeSettings {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ProbeOutcome {
  result: ProbeResult;
  /** What the probe said: a command's output, an HTTP status, a connection error. */
  output: string;
}

const PROBE_FIELDS: Record<ProbeKind, 'livenessProbe' | 'readinessProbe' | 'startupProbe'> = {
  liveness: 'livenessProbe',
  readiness: 'readinessProbe',
  startup: 'startupProbe',
};
const KIND_NAMES: Record<ProbeKind, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};

/** Upstream's defaults for unset fields (the API server defaults them too). */
export function probeSettings(probe: Probe): ProbeSettings {
  const positive = (value: number | undefined, fallback: number) => (value && value > 0 ? value : fallback);
  return {
    initialDelaySeconds: Math.max(0, probe.initialDelaySeconds ?? 0),
    periodSeconds: positive(probe.periodSeconds, 10),
    timeoutSeconds: positive(probe.timeoutSeconds, 1),
    successThreshold: positive(probe.successThreshold, 1),
    failureThreshold: positive(probe.failureThreshold, 3),
  };
}

export function initialProbeResult(kind: ProbeKind): ProbeResult | undefined {
  if (kind === 'readiness') return 'Failure';
  if (kind === 'liveness') return 'Success';
  return undefined;
}

export type ProbeStep = 'wait' | 'probe' | 'stop';

/**
 * The readiness the API already reports for this very container (same container ID), which a
 * restarted kubelet keeps until its own first probe says otherwise: starting from Failure would take
 * every ready pod out of its Services for a probe period each time the kubelet restarts (a known
 * upstream wart, kubernetes#100277). Other kinds, and other containers, start from the defaults.
 */
export function knownResult(
  pod: Pod,
  container: { id: string; name: string },
  kind: ProbeKind,
): ProbeResult | undefined {
  if (kind !== 'readiness') return undefined;
  const status = pod.status?.containerStatuses?.find((s) => s.name === container.name);
  const sameContainer = status?.containerID?.endsWith(`://${container.id}`) === true;
  return sameContainer && status?.ready === true ? 'Success' : undefined;
}

/**
 * The decisions of one probe worker, without timers or I/O: whether to probe now, and what a run's
 * result changes in the reported result.
 */
export class ProbeTracker {
  private lastResult: ProbeResult | undefined;
  private resultRun = 0;
  private onHold = false;
  reported: ProbeResult | undefined;

  constructor(
    readonly kind: ProbeKind,
    readonly settings: ProbeSettings,
    /** When the container started (epoch ms). */
    readonly startedAt: number,
    /** What is already known of this very container, e.g. from before the kubelet restarted. */
    known?: ProbeResult,
  ) {
    this.reported = known ?? initialProbeResult(kind);
  }

  /** `startupSucceeded`: the container has no startup probe, or it has succeeded. */
  next(now: number, startupSucceeded: boolean): ProbeStep {
    if (this.kind === 'startup' && this.reported === 'Success') return 'stop';
    if (this.onHold) return 'wait';
    if (this.kind !== 'startup' && !startupSucceeded) return 'wait';
    if (now < this.startedAt + this.settings.initialDelaySeconds * 1000) return 'wait';
    return 'probe';
  }

  /** Counts a run's result; returns true when the reported result changed. */
  record(result: ProbeResult): boolean {
    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    const threshold = result === 'Failure' ? this.settings.failureThreshold : this.settings.successThreshold;
    if (this.resultRun < threshold) return false;
    const changed = this.reported !== result;
    this.reported = result;
    if (result === 'Failure' && this.kind !== 'readiness') {
      // The container is restarted for this; counting on would report it again before that happens.
      this.onHold = true;
      this.resultRun = 0;
    }
    return changed;
  }
}

/** A named port of the container, or the number itself. */
export function resolvePort(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined || port === '') return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export interface ProbeTarget {
  runtime: Pick<ContainerRuntime, 'exec'>;
  containerId: string;
  container: Container;
  podIP?: string;
}

/** Runs one probe handler (also used for preStop httpGet/exec hooks). */
export async function runHandler(
  handler: Handler,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    try {
      const result = await target.runtime.exec(target.containerId, command, timeoutMs);
      const output = (result.stdout + result.stderr).trim();
      if (result.timedOut)
        return { result: 'Failure', output: `command timed out after ${timeoutMs / 1000}s` };
      return { result: result.exitCode === 0 ? 'Success' : 'Failure', output };
    } catch (err) {
      return { result: 'Failure', output: errorText(err) };
    }
  }
  if (handler.httpGet) {
    const get = handler.httpGet;
    const port = resolvePort(get.port as number | string, target.container);
    const host = get.host || target.podIP;
    if (!port || !host)
      return { result: 'Failure', output: `no address to probe (port ${String(get.port)})` };
    const scheme = (get.scheme ?? 'HTTP').toLowerCase();
    const path = get.path ? (get.path.startsWith('/') ? get.path : `/${get.path}`) : '/';
    const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
    return httpProbe(
      `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
      headers,
      timeoutMs,
    );
  }
  if (handler.tcpSocket) {
    const port = resolvePort(handler.tcpSocket.port as number | string, target.container);
    const host = handler.tcpSocket.host || target.podIP;
    if (!port || !host)
      return { result: 'Failure', output: `no address to probe (port ${String(handler.tcpSocket.port)})` };
    return tcpProbe(host, port, timeoutMs);
  }
  return { result: 'Failure', output: 'probe has no handler Kubicle supports (exec, httpGet, tcpSocket)' };
}

function httpProbe(url: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(
      url,
      {
        headers: { 'User-Agent': 'kube-probe/1.32', Accept: '*/*', ...headers },
        rejectUnauthorized: false,
        // Upstream's Go client takes bare-LF header lines (as CGI scripts often write them), and so
        // must a probe: a page a browser shows fine is not unhealthy.
        insecureHTTPParser: true,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 10 * 1024) body += chunk;
        });
        res.on('end', () => {
          if (status >= 200 && status < 400) resolve({ result: 'Success', output: body });
          else resolve({ result: 'Failure', output: `HTTP probe failed with statuscode: ${status}` });
        });
        res.on('error', (err) => resolve({ result: 'Failure', output: errorText(err) }));
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(
        new Error(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`),
      ),
    );
    req.on('error', (err) => resolve({ result: 'Failure', output: describeDialError('Get', url, err) }));
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (outcome: ProbeOutcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ result: 'Failure', output: `dial tcp ${host}:${port}: i/o timeout` }),
    );
    socket.on('connect', () => done({ result: 'Success', output: '' }));
    socket.on('error', (err) =>
      done({ result: 'Failure', output: `dial tcp ${host}:${port}: ${errorText(err)}` }),
    );
  });
}

function describeDialError(verb: string, url: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `${verb} "${url}": dial tcp: connect: connection refused`;
  return err instanceof Error && err.message.startsWith(verb)
    ? err.message
    : `${verb} "${url}": ${errorText(err)}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface ProbeManagerOptions {
  runtime: Pick<ContainerRuntime, 'exec'>;
  clock?: Clock;
  /** A reported result changed for a container of this pod. */
  onChange(podUid: string): void;
  /** A probe run failed; the kubelet records it as an Unhealthy event. */
  onFailure(pod: Pod, container: Container, kind: ProbeKind, output: string): void;
}

interface Worker {
  podUid: string;
  tracker: ProbeTracker;
  timer?: TimerHandle;
  stopped: boolean;
}

export class ProbeManager {
  private readonly clock: Clock;
  private readonly workers = new Map<string, Worker>();
  private readonly byKind: Record<ProbeKind, Map<string, ProbeResult>> = {
    liveness: new Map(),
    readiness: new Map(),
    startup: new Map(),
  };
  /** The pod and container a worker probes, kept current as the pod object changes. */
  private readonly targets = new Map<string, { pod: Pod; container: Container; podIP?: string }>();

  constructor(private readonly options: ProbeManagerOptions) {
    this.clock = options.clock ?? realClock;
  }

  /** Live views: what computePodActions and computePodStatus read. */
  get results(): ProbeResults {
    return this.byKind;
  }

  /**
   * Starts workers for the pod's running containers that have probes and stops those of containers
   * that are no longer running.
   */
  syncPod(pod: Pod, status: RuntimePodStatus): void {
    const uid = pod.metadata?.uid ?? '';
    const specs = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c]));
    const wanted = new Set<string>();
    const seen = new Set<string>();
    for (const c of status.containers) {
      // Only the newest container of each name is probed.
      if (seen.has(c.name)) continue;
      seen.add(c.name);
      const container = specs.get(c.name);
      if (!container || c.state !== 'running') continue;
      this.targets.set(c.id, { pod, container, podIP: status.ips[0] ?? pod.status?.podIP });
      for (const kind of ['liveness', 'readiness', 'startup'] as const) {
        const probe = container[PROBE_FIELDS[kind]];
        if (!probe) continue;
        const key = `${c.id}/${kind}`;
        wanted.add(key);
        if (!this.workers.has(key))
          this.startWorker(
            key,
            uid,
            c.id,
            kind,
            probe,
            c.startedAt ?? this.clock.now(),
            knownResult(pod, c, kind),
          );
      }
    }
    for (const [key, worker] of this.workers) {
      if (worker.podUid === uid && !wanted.has(key)) this.stopWorker(key);
    }
  }

  removePod(uid: string): void {
    for (const [key, worker] of this.workers) if (worker.podUid === uid) this.stopWorker(key);
  }

  stop(): void {
    for (const key of [...this.workers.keys()]) this.stopWorker(key);
  }

  private startWorker(
    key: string,
    podUid: string,
    containerId: string,
    kind: ProbeKind,
    probe: Probe,
    startedAt: number,
    known: ProbeResult | undefined,
  ): void {
    const tracker = new ProbeTracker(kind, probeSettings(probe), startedAt, known);
    const worker: Worker = { podUid, tracker, stopped: false };
    this.workers.set(key, worker);
    const initial = tracker.reported;
    if (initial) this.byKind[kind].set(containerId, initial);
    const tick = async () => {
      worker.timer = undefined;
      if (worker.stopped) return;
      const target = this.targets.get(containerId);
      if (!target) return;
      const startup = this.byKind.startup.get(containerId);
      const hasStartupProbe = !!target.container.startupProbe;
      const step = tracker.next(this.clock.now(), !hasStartupProbe || startup === 'Success');
      if (step === 'stop') return;
      if (step === 'probe') {
        const outcome = await runHandler(
          probe,
          { runtime: this.options.runtime, containerId, container: target.container, podIP: target.podIP },
          tracker.settings.timeoutSeconds * 1000,
        );
        if (worker.stopped) return;
        if (outcome.result === 'Failure') {
          this.options.onFailure(target.pod, target.container, kind, outcome.output);
        }
        if (tracker.record(outcome.result)) {
          this.byKind[kind].set(containerId, tracker.reported!);
          this.options.onChange(podUid);
        }
      }
      if (!worker.stopped)
        worker.timer = this.clock.setTimeout(() => void tick(), tracker.settings.periodSeconds * 1000);
    };
    worker.timer = this.clock.setTimeout(() => void tick(), 0);
  }

  private stopWorker(key: string): void {
    const worker = this.workers.get(key);
    if (!worker) return;
    worker.stopped = true;
    if (worker.timer !== undefined) this.clock.clearTimeout(worker.timer);
    this.workers.delete(key);
    const [containerId, kind] = key.split('/') as [string, ProbeKind];
    this.byKind[kind].delete(containerId);
    if (![...this.workers.keys()].some((k) => k.startsWith(`${containerId}/`)))
      this.targets.delete(containerId);
  }
}

export function probeKindName(kind: ProbeKind): string {
  return KIND_NAMES[kind];
}
