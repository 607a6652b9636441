/**
 * The off-main-thread parts of the controllers benchmark, chosen by `workerData.role`. Each
 * component runs on an event loop of its own, as its own process would:
 * - `controllers`: the controller manager with every built-in controller;
 * - `scheduler`: the scheduler with its defaults;
 * - `nodes`: the simulated nodes;
 * - `client`: the cluster's user. Creates and deletes pods straight through the API, scales the
 *   ReplicaSet, rolls the Deployment, and times each phase with informers on the namespace. Answers
 *   `{ id, op, args }` with `{ id, result }` or `{ id, error }`.
 * The component roles post `{ ready }` once started (and synced, where that can be told) and
 * `{ stats }` after `{ stop: true }`. Every role uses the machinery ApiClient.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { kubeconfigYaml } from '../cli/kubeconfig.js';
import { startControllerManager } from '../controllers/controller-manager.js';
import { isPodActive, isPodReady } from '../controllers/pod-state.js';
import type { Deployment, Pod, ReplicaSet } from '../controllers/workload-types.js';
import { startSimulatedNodes } from '../kubelet/simulated-nodes.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { Informer } from '../machinery/informer.js';
import { startScheduler } from '../scheduler/scheduler.js';
import { benchPod, runAtConcurrency, summarize } from './bench-kit.js';
import type { LatencySummary } from './bench-kit.js';

export type WorkerData =
  | { role: 'client'; url: string }
  | { role: 'controllers'; url: string }
  | { role: 'scheduler'; url: string }
  | { role: 'nodes'; url: string; count: number; readyDelayMs: number };

export interface PhaseResult {
  count: number;
  elapsedMs: number;
  errors: number;
  firstError?: string;
  latency?: LatencySummary;
}

/** Times from the triggering write, in ms; undefined when the milestone was never reached. */
export interface RolloutTimings {
  /** The phase is done: the workload reports what was asked for. */
  doneMs: number;
  /** New pods seen by the watch: all created. */
  createdMs?: number;
  /** All new pods bound to a node. */
  boundMs?: number;
  /** All new pods Ready. */
  readyMs?: number;
  /** All pods from before the trigger gone. */
  oldGoneMs?: number;
  /** The most pods active at once (not terminating, not finished), and the fewest active and Ready. */
  maxActive: number;
  /** When each new pod was first seen, bound and Ready, in order, for a timeline. */
  createdAt: number[];
  boundAt: number[];
  readyAt: number[];
  minReady: number;
  newPods: number;
}

export interface ComponentStats {
  [counter: string]: number;
}

const APP = 'bench-web';
/** Pods the raw-create phases store are for no scheduler, so nothing acts on them. */
const NO_SCHEDULER = 'bench-nobody';

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(url));
  return kc;
}

/** The bench pod as a workload template: its labels (less the hash a Deployment sets) and its spec. */
function benchTemplate(app: string): {
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
} {
  const pod = benchPod('template') as { metadata: { labels: Record<string, string>; annotations: object } };
  const { 'pod-template-hash': _hash, ...labels } = pod.metadata.labels;
  return {
    metadata: { labels: { ...labels, app }, annotations: pod.metadata.annotations },
    spec: (pod as unknown as { spec: Record<string, unknown> }).spec,
  };
}

function phase(count: number, pool: Awaited<ReturnType<typeof runAtConcurrency>>): PhaseResult {
  return {
    count,
    elapsedMs: pool.elapsedMs,
    errors: pool.errors,
    firstError: pool.firstError,
    latency: summarize(pool.latenciesMs),
  };
}

async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  try {
    await client.create('v1', 'Namespace', undefined, { metadata: { name } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

interface PodFlags {
  active: boolean;
  ready: boolean;
}

/**
 * Pods, ReplicaSets and Deployments of one namespace, cached by informers; `until` runs a write and
 * resolves once `done` holds, with the milestones of the pods created after the write. Pod counts
 * are kept up to date event by event, so a phase of thousands of pods costs the client thread little.
 */
class NamespaceView {
  readonly pods: Informer<Pod>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly deployments: Informer<Deployment>;
  private readonly stop = new AbortController();
  private readonly runs: Promise<void>[];
  private readonly flags = new Map<string, PodFlags>();
  private active = 0;
  private activeReady = 0;
  private onPod: (pod: Pod, deleted: boolean) => void = () => undefined;
  private onChange: () => void = () => undefined;

  constructor(client: ApiClient, namespace: string) {
    setMaxListeners(0, this.stop.signal);
    const base = { client, namespace, log: () => undefined };
    this.pods = new Informer<Pod>({ ...base, apiVersion: 'v1', kind: 'Pod' });
    this.replicaSets = new Informer<ReplicaSet>({ ...base, apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    this.deployments = new Informer<Deployment>({ ...base, apiVersion: 'apps/v1', kind: 'Deployment' });
    const podChanged = (pod: Pod, deleted: boolean) => {
      this.count(pod, deleted);
      this.onPod(pod, deleted);
      this.onChange();
    };
    this.pods.addEventHandler({
      onAdd: (pod) => podChanged(pod, false),
      onUpdate: (_old, pod) => podChanged(pod, false),
      onDelete: (pod) => podChanged(pod, true),
    });
    const changed = () => this.onChange();
    for (const informer of [this.replicaSets, this.deployments] as Informer<KubeObject>[]) {
      informer.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    }
    this.runs = [this.pods, this.replicaSets, this.deployments].map((i) => i.run(this.stop.signal));
  }

  private count(pod: Pod, deleted: boolean): void {
    const uid = pod.metadata.uid ?? '';
    const before = this.flags.get(uid) ?? { active: false, ready: false };
    const active = !deleted && isPodActive(pod);
    const after = { active, ready: active && isPodReady(pod) };
    this.active += Number(after.active) - Number(before.active);
    this.activeReady += Number(after.ready) - Number(before.ready);
    if (deleted) this.flags.delete(uid);
    else this.flags.set(uid, after);
  }

  async synced(): Promise<void> {
    await Promise.all([this.pods, this.replicaSets, this.deployments].map((i) => i.waitForSync()));
  }

  async until(
    write: () => Promise<void>,
    expectedNewPods: number,
    done: (view: NamespaceView, oldReplicaSets: ReadonlySet<string>) => boolean,
    timeoutMs: number,
  ): Promise<RolloutTimings> {
    const oldPods = new Set(this.pods.store.list().map((p) => p.metadata.uid ?? ''));
    const oldRs = new Set(this.replicaSets.store.list().map((r) => r.metadata.uid ?? ''));
    const created = new Set<string>();
    const bound = new Set<string>();
    const ready = new Set<string>();
    const [createdAt, boundAt, readyAt]: number[][] = [[], [], []];
    const timings: Partial<RolloutTimings> = { maxActive: this.active, minReady: this.activeReady };
    const started = performance.now();
    const since = () => performance.now() - started;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let writing = true;
    this.onPod = (pod, deleted) => {
      const uid = pod.metadata.uid ?? '';
      if (oldPods.has(uid)) {
        if (deleted) oldPods.delete(uid);
        if (oldPods.size === 0) timings.oldGoneMs ??= since();
        return;
      }
      const mark = (set: Set<string>, times: number[]) => {
        if (set.has(uid)) return;
        set.add(uid);
        times.push(since());
      };
      mark(created, createdAt);
      if (pod.spec?.nodeName) mark(bound, boundAt);
      if (isPodReady(pod)) mark(ready, readyAt);
      if (expectedNewPods > 0) {
        if (created.size >= expectedNewPods) timings.createdMs ??= since();
        if (bound.size >= expectedNewPods) timings.boundMs ??= since();
        if (ready.size >= expectedNewPods) timings.readyMs ??= since();
      }
    };
    this.onChange = () => {
      timings.maxActive = Math.max(timings.maxActive!, this.active);
      timings.minReady = Math.min(timings.minReady!, this.activeReady);
      if (!writing && done(this, oldRs)) {
        timings.doneMs ??= since();
        finish();
      }
    };
    await write();
    writing = false;
    this.onChange();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not done after ${timeoutMs} ms: ${JSON.stringify(this.describe())}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([finished, timeout]);
      // Terminating pods no longer count as replicas, so a phase can be done while old pods are
      // still being finished by their nodes: wait for them too, for the milestone alone.
      if (oldPods.size > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            const previous = this.onPod;
            this.onPod = (pod, deleted) => {
              previous(pod, deleted);
              if (oldPods.size === 0) resolve();
            };
          }),
          timeout,
        ]);
      }
    } finally {
      clearTimeout(timer);
      this.onPod = () => undefined;
      this.onChange = () => undefined;
    }
    return { ...timings, newPods: created.size, createdAt, boundAt, readyAt } as RolloutTimings;
  }

  describe(): Record<string, unknown> {
    return {
      pods: this.pods.store.size,
      active: this.active,
      activeReady: this.activeReady,
      replicaSets: this.replicaSets.store
        .list()
        .map((r) => ({ name: r.metadata.name, spec: r.spec?.replicas, status: r.status })),
      deployments: this.deployments.store.list().map((d) => ({ name: d.metadata.name, status: d.status })),
    };
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.runs);
  }
}

function rsReady(name: string, replicas: number) {
  return (view: NamespaceView) => {
    const rs = view.replicaSets.store.list().find((r) => r.metadata.name === name);
    return (
      rs !== undefined &&
      (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 1) &&
      (rs.status?.readyReplicas ?? 0) === replicas &&
      (rs.status?.replicas ?? 0) === replicas
    );
  };
}

/**
 * `kubectl rollout status`'s test, plus every ReplicaSet from before the write scaled to 0 and
 * reporting 0 pods.
 */
function rolloutComplete(name: string, replicas: number) {
  return (view: NamespaceView, oldRs: ReadonlySet<string>) => {
    const d = view.deployments.store.list().find((x) => x.metadata.name === name);
    const s = d?.status;
    if (!d || !s || (s.observedGeneration ?? 0) < (d.metadata.generation ?? 1)) return false;
    if (s.updatedReplicas !== replicas || s.availableReplicas !== replicas || s.replicas !== replicas) {
      return false;
    }
    return view.replicaSets.store
      .list()
      .filter((r) => oldRs.has(r.metadata.uid ?? ''))
      .every((r) => (r.spec?.replicas ?? 0) === 0 && (r.status?.replicas ?? 0) === 0);
  };
}

async function runClient(url: string): Promise<void> {
  const client = clientFor(kubeConfigFor(url), { userAgent: 'kubicle-controllers-bench' });
  const views = new Map<string, NamespaceView>();
  const viewOf = async (namespace: string) => {
    let view = views.get(namespace);
    if (!view) {
      view = new NamespaceView(client, namespace);
      views.set(namespace, view);
      await view.synced();
    }
    return view;
  };
  const ops: Record<string, (...args: never[]) => Promise<unknown>> = {
    async ensureNamespace(namespace: string) {
      await ensureNamespace(client, namespace);
    },
    /**
     * The raw create rate: `count` pods of the workloads' template created straight through the
     * API. They name a scheduler that does not exist, so nothing acts on them.
     */
    async rawCreates(namespace: string, count: number, concurrency: number): Promise<PhaseResult> {
      const template = benchTemplate(`${APP}-raw`);
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...template.metadata, generateName: 'raw-' },
        spec: { ...template.spec, schedulerName: NO_SCHEDULER },
      };
      const pool = await runAtConcurrency(count, concurrency, async () => {
        await client.create('v1', 'Pod', namespace, pod);
      });
      return phase(count, pool);
    },
    async deleteAllPods(namespace: string, concurrency: number): Promise<PhaseResult> {
      const list = await client.list('v1', 'Pod', { namespace });
      const names = list.items.map((p) => p.metadata.name ?? '');
      const pool = await runAtConcurrency(names.length, concurrency, async (i) => {
        await client.delete('v1', 'Pod', namespace, names[i], { gracePeriodSeconds: 0 });
      });
      return phase(names.length, pool);
    },
    /** A ReplicaSet of the bench template; resolves once its controller has written its status. */
    async createReplicaSet(namespace: string, name: string, replicas: number): Promise<number> {
      const view = await viewOf(namespace);
      const template = benchTemplate(name);
      const timings = await view.until(
        async () => {
          await client.create('apps/v1', 'ReplicaSet', namespace, {
            metadata: { name },
            spec: { replicas, selector: { matchLabels: { app: name } }, template },
          });
        },
        0,
        rsReady(name, replicas),
        120_000,
      );
      return timings.doneMs;
    },
    /** Scales through the scale subresource, as `kubectl scale` does; done at readyReplicas. */
    async scaleReplicaSet(namespace: string, name: string, replicas: number): Promise<RolloutTimings> {
      const view = await viewOf(namespace);
      return view.until(
        async () => {
          await client.patch(
            'apps/v1',
            'ReplicaSet',
            namespace,
            name,
            { spec: { replicas } },
            { subresource: 'scale' },
          );
        },
        replicas,
        rsReady(name, replicas),
        600_000,
      );
    },
    /** Waits until the namespace has no pods at all (e.g. after a scale to 0). */
    async waitNoPods(namespace: string): Promise<number> {
      const view = await viewOf(namespace);
      const timings = await view.until(
        async () => undefined,
        0,
        (v) => v.pods.store.size === 0,
        600_000,
      );
      return timings.doneMs;
    },
    async createDeployment(namespace: string, name: string, replicas: number): Promise<RolloutTimings> {
      const view = await viewOf(namespace);
      const template = benchTemplate(name);
      return view.until(
        async () => {
          await client.create('apps/v1', 'Deployment', namespace, {
            metadata: { name },
            spec: {
              replicas,
              selector: { matchLabels: { app: name } },
              template,
              strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
            },
          });
        },
        replicas,
        rolloutComplete(name, replicas),
        600_000,
      );
    },
    /** Changes the first container's image: a new ReplicaSet, rolled out by the defaults. */
    async rollDeployment(
      namespace: string,
      name: string,
      image: string,
      replicas: number,
    ): Promise<RolloutTimings> {
      const view = await viewOf(namespace);
      return view.until(
        async () => {
          await client.patch(
            'apps/v1',
            'Deployment',
            namespace,
            name,
            [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }],
            { type: 'json' },
          );
        },
        replicas,
        rolloutComplete(name, replicas),
        600_000,
      );
    },
    async countPods(namespace: string): Promise<{ total: number; ready: number; nodes: number }> {
      const list = await client.list<Pod>('v1', 'Pod', { namespace });
      const live = list.items.filter(isPodActive);
      return {
        total: live.length,
        ready: live.filter(isPodReady).length,
        nodes: new Set(live.map((p) => p.spec?.nodeName).filter(Boolean)).size,
      };
    },
    async close() {
      await Promise.all([...views.values()].map((v) => v.close()));
      views.clear();
    },
  };
  parentPort!.on('message', (msg: { id: number; op: string; args: never[] }) => {
    const op = ops[msg.op];
    if (!op) {
      parentPort!.postMessage({ id: msg.id, error: `unknown op ${msg.op}` });
      return;
    }
    op(...msg.args).then(
      (result) => parentPort!.postMessage({ id: msg.id, result }),
      (err: unknown) =>
        parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** Runs one component until told to stop, then posts its counters. */
async function runComponent(data: Exclude<WorkerData, { role: 'client' }>): Promise<void> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const { signal } = controller;
  const kubeConfig = kubeConfigFor(data.url);
  let lines = 0;
  const log = (line: string) => {
    lines++;
    // Enough to see what went wrong without flooding the terminal.
    if (lines <= 20 || process.env.BENCH_VERBOSE === '1')
      parentPort!.postMessage({ log: `${data.role}: ${line}` });
  };
  let done: Promise<unknown>;
  let stats: () => ComponentStats = () => ({});
  if (data.role === 'controllers') {
    done = startControllerManager({ kubeConfig, signal, log });
  } else if (data.role === 'scheduler') {
    const scheduler = await startScheduler({ kubeConfig, signal, log, identity: 'bench-scheduler' });
    await scheduler.waitForSync();
    done = scheduler.done;
    stats = () => ({ ...scheduler.stats });
  } else {
    const nodes = await startSimulatedNodes({
      kubeConfig,
      count: data.count,
      readyDelayMs: data.readyDelayMs,
      signal,
      log,
    });
    done = nodes.done;
    stats = () => ({ ...nodes.stats() });
  }
  parentPort!.postMessage({ ready: true });
  parentPort!.on('message', (msg: { stop?: boolean }) => {
    if (!msg.stop) return;
    const final = { ...stats(), logLines: lines };
    controller.abort();
    void done.then(
      () => parentPort!.postMessage({ stats: final }),
      () => parentPort!.postMessage({ stats: final }),
    );
  });
}

const data = workerData as WorkerData | undefined;
if (data?.role === 'client') void runClient(data.url);
else if (data) void runComponent(data);
