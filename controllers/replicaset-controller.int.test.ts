/**
 * The ReplicaSet controller against a real API server with simulated nodes: exact convergence with
 * no overshoot (checked on every pod event), a controller manager killed mid-scale, and two managers
 * with leader election at once.
 */
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from '../machinery/api-client.js';
import { startControllerManager } from './controller-manager.js';
import type { ControllerManagerConfig } from './controller-manager.js';
import { PodWatch, startTestCluster } from './testing/test-cluster.js';
import type { TestCluster } from './testing/test-cluster.js';
import type { ReplicaSet } from './workload-types.js';

const NS = 'default';
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 4, readyDelayMs: 50 });
});
/** Killed managers still winding down; collected once the API server is gone. */
const stragglers: Promise<void>[] = [];
afterAll(async () => {
  await cluster?.close();
  await Promise.all(stragglers);
});

function replicaSet(name: string, replicas: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx' }], terminationGracePeriodSeconds: 1 },
      },
    },
  };
}

/** A running controller manager and how to stop it. */
function manager(config: Partial<ControllerManagerConfig> = {}) {
  const stop = new AbortController();
  const done = startControllerManager({
    kubeConfig: cluster.kubeConfig,
    signal: stop.signal,
    controllers: ['replicaset'],
    log: () => undefined,
    ...config,
  });
  return {
    done,
    async stop() {
      stop.abort();
      await done;
    },
  };
}

async function scale(name: string, replicas: number): Promise<void> {
  await cluster.client.patch('apps/v1', 'ReplicaSet', NS, name, { spec: { replicas } });
}

/** Waits for exactly `replicas` active pods, all Ready, and the status saying so. */
async function converged(name: string, watch: PodWatch, replicas: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const counts = watch.counts();
      if (counts.active !== replicas || counts.ready !== replicas) return false;
      const rs = await cluster.client.get<ReplicaSet>('apps/v1', 'ReplicaSet', NS, name);
      return (
        rs.status?.replicas === replicas &&
        (rs.status?.readyReplicas ?? 0) === replicas &&
        rs.status?.observedGeneration === rs.metadata.generation
      );
    },
    { timeoutMs, what: `${name} at ${replicas} ready replicas (now ${JSON.stringify(watch.counts())})` },
  );
}

/** On every event: scaling up never passes the target, scaling down never goes below it. */
function exactly(watch: PodWatch, target: number, direction: 'up' | 'down'): void {
  watch.expect(({ active }) => {
    if (direction === 'up' && active > target) return `${active} active pods > ${target}`;
    if (direction === 'down' && active < target) return `${active} active pods < ${target}`;
    return undefined;
  });
}

it('scales 0 → 50 → 5 → 0 exactly, never passing the target', async () => {
  const cm = manager();
  const watch = new PodWatch(cluster.client, NS, 'app=scale');
  await watch.synced();
  try {
    await cluster.client.create('apps/v1', 'ReplicaSet', NS, replicaSet('scale', 0));
    await converged('scale', watch, 0);

    exactly(watch, 50, 'up');
    await scale('scale', 50);
    await converged('scale', watch, 50);
    expect(watch.maxActive).toBe(50);

    exactly(watch, 5, 'down');
    await scale('scale', 5);
    await converged('scale', watch, 5);

    exactly(watch, 0, 'down');
    await scale('scale', 0);
    await converged('scale', watch, 0);
    expect(watch.violations).toEqual([]);
  } finally {
    await watch.close();
    await cm.stop();
  }
});

/**
 * A manager that dies after its `limit`-th call of `verb` on pods: the kill lands at a known point
 * mid-scale, however fast the simulated cluster is. Calls already in flight still complete, as they
 * would for a process killed while its requests were on the wire. `killed` resolves at the kill; like
 * a dead process, the manager is not waited for (its teardown is collected after the tests).
 */
function managerDyingAfter(verb: 'create' | 'delete', limit: number) {
  const client = clientFor(cluster.kubeConfig);
  let calls = 0;
  let kill: () => void = () => undefined;
  const killed = new Promise<void>((resolve) => (kill = resolve));
  const dying = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== verb || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (args[1] === 'Pod' && ++calls === limit) {
          stragglers.push(cm.stop());
          kill();
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const cm = manager({ client: dying });
  return { killed };
}

it('converges to the exact count when the controller manager is killed mid-scale and replaced', async () => {
  const watch = new PodWatch(cluster.client, NS, 'app=restart');
  await watch.synced();
  try {
    exactly(watch, 60, 'up');
    const first = managerDyingAfter('create', 20);
    await cluster.client.create('apps/v1', 'ReplicaSet', NS, replicaSet('restart', 60));
    await first.killed;
    await waitFor(() => watch.counts().active >= 20, { what: 'the pods created before the kill' });
    expect(watch.counts().active).toBeLessThan(60);

    const second = manager();
    await converged('restart', watch, 60);
    await second.stop();

    exactly(watch, 12, 'down');
    const third = managerDyingAfter('delete', 15);
    await scale('restart', 12);
    await third.killed;
    await waitFor(() => watch.counts().active <= 45, { what: 'the pods deleted before the kill' });
    expect(watch.counts().active).toBeGreaterThan(12);

    const fourth = manager();
    await converged('restart', watch, 12);
    await fourth.stop();
    expect(watch.violations).toEqual([]);
  } finally {
    await watch.close();
  }
});

it('runs two leader-elected controller managers without double creation, and fails over', async () => {
  const leaders: string[] = [];
  const election = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
  const start = (identity: string) =>
    manager({
      leaderElect: true,
      identity,
      leaderElection: election,
      onStartedLeading: () => leaders.push(identity),
    });
  const watch = new PodWatch(cluster.client, NS, 'app=elected');
  await watch.synced();
  const a = start('manager-a');
  const b = start('manager-b');
  try {
    await cluster.client.create('apps/v1', 'ReplicaSet', NS, replicaSet('elected', 30));
    exactly(watch, 30, 'up');
    await converged('elected', watch, 30);
    expect(leaders).toHaveLength(1);

    // Stop the leader mid-scale; the other takes over and finishes.
    exactly(watch, 45, 'up');
    await scale('elected', 45);
    await waitFor(() => watch.counts().active > 30, { what: 'the scale-up to start' });
    await (leaders[0] === 'manager-a' ? a : b).stop();
    await converged('elected', watch, 45);
    expect(leaders).toHaveLength(2);
    expect(new Set(leaders).size).toBe(2);
    expect(watch.violations).toEqual([]);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await watch.close();
  }
});
