/**
 * What the controllers' integration tests run against: a real API server (on the shared test etcd),
 * simulated nodes that make bound pods Running and Ready and finish graceful deletions, and a pod
 * binder standing in for the scheduler. Plus `PodWatch`, which checks an invariant on every pod event.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../apiserver/api-object.js';
import { startTestApiServer } from '../../e2e/support/test-api-server.js';
import type { TestApiServer } from '../../e2e/support/test-api-server.js';
import { startSimulatedNodes } from '../../kubelet/simulated-nodes.js';
import { clientFor } from '../../machinery/api-client.js';
import type { ApiClient } from '../../machinery/api-client.js';
import { Informer } from '../../machinery/informer.js';
import { isPodActive, isPodReady } from '../pod-state.js';
import type { Pod } from '../workload-types.js';
import { startPodBinder } from './pod-binder.js';
import { startControllerManager } from '../controller-manager.js';
import type { ControllerDescriptor } from '../controller-manager.js';

export interface TestCluster {
  api: TestApiServer;
  kubeConfig: KubeConfig;
  client: ApiClient;
  close(): Promise<void>;
}

/**
 * A real API server with only `controllers` running against it, for a controller's own integration
 * tests; `namespace` is created first when given. `close` stops the controllers, then the server.
 */
export async function startControllerTest(options: {
  controllers: readonly ControllerDescriptor[];
  namespace?: string;
  settings?: Record<string, Record<string, unknown>>;
}): Promise<{ api: TestApiServer; client: ApiClient; close(): Promise<void> }> {
  const api = await startTestApiServer();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  const client = clientFor(kubeConfig);
  if (options.namespace)
    await client.create('v1', 'Namespace', undefined, { metadata: { name: options.namespace } });
  const stop = new AbortController();
  const manager = startControllerManager({
    client,
    signal: stop.signal,
    registry: options.controllers,
    settings: options.settings,
    log: () => undefined,
  });
  return {
    api,
    client,
    async close() {
      stop.abort();
      await manager;
      await api.close();
    },
  };
}

export async function startTestCluster({ nodes = 3, readyDelayMs = 100 } = {}): Promise<TestCluster> {
  const api = await startTestApiServer();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  const client = clientFor(kubeConfig);
  const stop = new AbortController();
  const simulated = await startSimulatedNodes({
    kubeConfig,
    count: nodes,
    namePrefix: `node-`,
    readyDelayMs,
    terminationDelayMs: 50,
    signal: stop.signal,
    log: () => undefined,
  });
  const binder = await startPodBinder({ client, nodeNames: simulated.nodeNames, signal: stop.signal });
  return {
    api,
    kubeConfig,
    client,
    async close() {
      stop.abort();
      await Promise.all([simulated.done, binder.done]);
      await api.close();
    },
  };
}

/** Counts of the pods a label selector picks, as seen by a watch. */
export interface PodCounts {
  /** Not finished and not being deleted: what a ReplicaSet counts. */
  active: number;
  /** Active and Ready. */
  ready: number;
}

/**
 * Watches pods matching `labelSelector` in `namespace` and calls `check` with the counts after every
 * event; `violations` collects what `check` returned (a message) when the invariant broke.
 */
export class PodWatch {
  readonly violations: string[] = [];
  readonly informer: Informer<KubeObject>;
  private check: (counts: PodCounts) => string | undefined = () => undefined;
  private readonly stop = new AbortController();
  private readonly running: Promise<void>;
  maxActive = 0;

  constructor(client: ApiClient, namespace: string, labelSelector: string) {
    this.informer = new Informer<KubeObject>({
      client,
      apiVersion: 'v1',
      kind: 'Pod',
      namespace,
      labelSelector,
      log: () => undefined,
    });
    const onEvent = () => {
      const counts = this.counts();
      this.maxActive = Math.max(this.maxActive, counts.active);
      const problem = this.check(counts);
      if (problem) this.violations.push(problem);
    };
    this.informer.addEventHandler({ onAdd: onEvent, onUpdate: onEvent, onDelete: onEvent });
    this.running = this.informer.run(this.stop.signal);
  }

  async synced(): Promise<void> {
    await this.informer.waitForSync();
  }

  /** Sets the invariant checked on every following event, and resets the high-water mark. */
  expect(check: (counts: PodCounts) => string | undefined): void {
    this.check = check;
    this.maxActive = this.counts().active;
  }

  counts(): PodCounts {
    const pods = this.informer.store.list() as Pod[];
    const active = pods.filter(isPodActive);
    return { active: active.length, ready: active.filter(isPodReady).length };
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.running;
  }
}
