/**
 * The two off-main-thread parts of the scheduler benchmark, chosen by `workerData.role`:
 * - `client`: the cluster's other users. Creates Node objects and pending pods, issues bindings
 *   straight through the API server, deletes pods, and watches a namespace until every pod is bound.
 *   Answers `{ id, op, args }` requests with `{ id, result }` or `{ id, error }`.
 * - `scheduler`: the scheduler itself, on its own event loop as a separate process would be. Posts
 *   `{ synced }` once its informers listed the cluster and `{ stats }` when told to `stop`.
 * Both use the machinery ApiClient, so bindings go over the same HTTP client either way.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, WatchEvent } from '../apiserver/api-object.js';
import { kubeconfigYaml } from '../cli/kubeconfig.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import type { Strategy } from '../scheduler/profile.js';
import { startScheduler } from '../scheduler/scheduler.js';
import { benchPod, runAtConcurrency, summarize } from './bench-kit.js';
import type { LatencySummary } from './bench-kit.js';

export interface ClientWorkerData {
  role: 'client';
  url: string;
}

export interface SchedulerWorkerData {
  role: 'scheduler';
  url: string;
  strategy: Strategy;
  parallelBinds: number;
}

export interface PhaseResult {
  count: number;
  elapsedMs: number;
  errors: number;
  firstError?: string;
  latency?: LatencySummary;
}

export interface SchedulerWorkerStats {
  attempts: number;
  bindRequests: number;
  bound: number;
  bindFailures: number;
  unschedulable: number;
  eventsDropped: number;
}

export const NODE_NAME = (i: number) => `node-${String(i).padStart(5, '0')}`;
export const POD_NAME = (i: number) => `pod-${String(i).padStart(6, '0')}`;

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(url));
  return kc;
}

/** A node as a kubelet registers it: labels, capacity, the Ready condition, addresses. */
function benchNode(name: string, index: number): Record<string, unknown> {
  const allocatable = { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': `zone-${index % 3}`,
      },
    },
    spec: {},
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [{ type: 'InternalIP', address: `10.${Math.floor(index / 250)}.${index % 250}.1` }],
      nodeInfo: { kubeletVersion: 'v1.31.0', containerRuntimeVersion: 'docker://27.0.0' },
    },
  };
}

async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  try {
    await client.create('v1', 'Namespace', undefined, { metadata: { name } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
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

/**
 * Watches `namespace` until `count` distinct pods carry a nodeName; resolves with the time that
 * happened, as epoch ms with sub-ms precision (comparable across threads). `ready` resolves once the
 * watch is open.
 */
function watchUntilBound(
  client: ApiClient,
  namespace: string,
  count: number,
): { ready: Promise<void>; allBound: Promise<number> } {
  const bound = new Set<string>();
  const controller = new AbortController();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const allBound = (async () => {
    const list = await client.list('v1', 'Pod', { namespace, limit: 1 });
    let resourceVersion = list.metadata.resourceVersion;
    let doneAt: number | undefined;
    const onEvent = (event: WatchEvent) => {
      const obj = event.object as KubeObject & { spec?: { nodeName?: string } };
      if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
      if ((event.type === 'MODIFIED' || event.type === 'ADDED') && obj.spec?.nodeName) {
        bound.add(obj.metadata.name ?? '');
        if (bound.size >= count && doneAt === undefined) {
          doneAt = performance.timeOrigin + performance.now();
          controller.abort();
        }
      }
    };
    markReady();
    while (doneAt === undefined) {
      await client.watch(
        'v1',
        'Pod',
        { namespace, resourceVersion, timeoutSeconds: 3600, signal: controller.signal },
        onEvent,
      );
    }
    return doneAt;
  })();
  return { ready, allBound };
}

async function runClient(data: ClientWorkerData): Promise<void> {
  const client = clientFor(kubeConfigFor(data.url), { userAgent: 'kubicle-scheduler-bench' });
  const ops: Record<string, (...args: never[]) => Promise<unknown>> = {
    async createNodes(count: number, concurrency: number): Promise<PhaseResult> {
      const pool = await runAtConcurrency(count, concurrency, async (i) => {
        await client.create('v1', 'Node', undefined, benchNode(NODE_NAME(i), i));
      });
      return phase(count, pool);
    },
    async createPods(namespace: string, count: number, concurrency: number): Promise<PhaseResult> {
      await ensureNamespace(client, namespace);
      const pool = await runAtConcurrency(count, concurrency, async (i) => {
        await client.create('v1', 'Pod', namespace, benchPod(POD_NAME(i)));
      });
      return phase(count, pool);
    },
    /**
     * The bind-only rate: bindings to nodes round-robin, timed until the watch opened by `watchBound`
     * saw every pod bound.
     */
    async bindAll(
      namespace: string,
      count: number,
      nodes: number,
      concurrency: number,
    ): Promise<PhaseResult & { lastResponseMs: number }> {
      if (!pendingWatch) throw new Error('no watch open');
      const pods = await client.list<KubeObject>('v1', 'Pod', { namespace });
      const uids = new Map(pods.items.map((p) => [p.metadata.name, p.metadata.uid]));
      const started = performance.timeOrigin + performance.now();
      const pool = await runAtConcurrency(count, concurrency, async (i) => {
        const name = POD_NAME(i);
        await client.create(
          'v1',
          'Pod',
          namespace,
          {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace, uid: uids.get(name) },
            target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME(i % nodes) },
          },
          { subresource: 'binding', name },
        );
      });
      const lastResponseMs = performance.timeOrigin + performance.now() - started;
      const doneAt = await pendingWatch;
      return { ...phase(count, pool), elapsedMs: doneAt - started, lastResponseMs };
    },
    async deletePods(namespace: string, count: number, concurrency: number): Promise<PhaseResult> {
      const pool = await runAtConcurrency(count, concurrency, async (i) => {
        await client.delete('v1', 'Pod', namespace, POD_NAME(i), { gracePeriodSeconds: 0 });
      });
      return phase(count, pool);
    },
    /** Opens the watch; `awaitBound` then resolves with when all were bound. */
    async watchBound(namespace: string, count: number): Promise<void> {
      const watch = watchUntilBound(client, namespace, count);
      pendingWatch = watch.allBound;
      await watch.ready;
    },
    async awaitBound(): Promise<number> {
      if (!pendingWatch) throw new Error('no watch open');
      return pendingWatch;
    },
    /** How many pods of the namespace have a node, read back in full. */
    async countBound(namespace: string): Promise<{ total: number; bound: number }> {
      const list = await client.list<KubeObject & { spec?: { nodeName?: string } }>('v1', 'Pod', {
        namespace,
      });
      return { total: list.items.length, bound: list.items.filter((p) => p.spec?.nodeName).length };
    },
  };
  let pendingWatch: Promise<number> | undefined;
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

async function runSchedulerRole(data: SchedulerWorkerData): Promise<void> {
  const controller = new AbortController();
  const scheduler = await startScheduler({
    kubeConfig: kubeConfigFor(data.url),
    signal: controller.signal,
    strategy: data.strategy,
    parallelBinds: data.parallelBinds,
    identity: 'bench-scheduler',
    log: (line) => parentPort!.postMessage({ log: line }),
  });
  parentPort!.on('message', (msg: { stop?: boolean }) => {
    if (!msg.stop) return;
    controller.abort();
    void scheduler.done.then(() => {
      const { attempts, bindRequests, bound, bindFailures, unschedulable, eventsDropped } = scheduler.stats;
      const stats: SchedulerWorkerStats = {
        attempts,
        bindRequests,
        bound,
        bindFailures,
        unschedulable,
        eventsDropped,
      };
      parentPort!.postMessage({ stats });
    });
  });
  if (await scheduler.waitForSync()) {
    parentPort!.postMessage({ synced: performance.timeOrigin + performance.now() });
  }
}

const data = workerData as ClientWorkerData | SchedulerWorkerData | undefined;
if (data?.role === 'client') void runClient(data);
else if (data?.role === 'scheduler') void runSchedulerRole(data);
