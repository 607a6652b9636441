/**
 * `kubectl drain` empties a node: the real kubectl binaries against the API server, with the
 * controller manager, the scheduler and three simulated nodes running, so that what drain evicts is
 * replaced elsewhere as on a real cluster. Drain cordons the node, lists its pods with a field
 * selector, evicts them through `pods/<name>/eviction` and waits until each is gone.
 *
 * Each binary drains a node holding pods of its own Deployment, in a namespace of its own, and
 * uncordons it at the end, so the binaries run one after the other on the same three nodes.
 *
 * No PodDisruptionBudget case: the API server does not serve policy/v1 PodDisruptionBudgets.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../apiserver/api-object.js';
import type { Deployment, Pod } from '../controllers/workload-types.js';
import type { RunningSimulatedNodes } from '../kubelet/simulated-nodes.js';
import type { ApiClient } from '../machinery/api-client.js';
import { kubectl, kubectlBinaries, succeeded } from './support/kubectl.js';
import { startSimulatedCluster } from './support/simulated-cluster.js';
import type { SimulatedCluster } from './support/simulated-cluster.js';
import type { TestApiServer } from './support/test-api-server.js';
import { waitFor } from './support/wait-for.js';

// The default kubectl is the dispatcher, which runs kubectl 1.32 against Kubicle's reported 1.32;
// 1.27 is the oldest client installed here, five minor versions behind.
const binaries = kubectlBinaries(['1.27']);
const REPLICAS = 6;

type NodeJson = KubeObject & { spec?: { unschedulable?: boolean } };

let cluster: SimulatedCluster;
let api: TestApiServer;
let client: ApiClient;
let nodes: RunningSimulatedNodes;

beforeAll(async () => {
  cluster = await startSimulatedCluster({ nodes: 3, namePrefix: 'drain-node-' });
  ({ api, client, nodes } = cluster);
});
afterAll(async () => {
  await cluster?.close();
});

describe.each(binaries)('$name', ({ name, path: binary }) => {
  const slug = name.replace(/[^a-z0-9]+/g, '-');
  const ns = `drain-${slug}`;
  let cacheDir: string;

  const run = (args: string[]) =>
    kubectl(binary, args, { kubeconfig: api.kubeconfig, cacheDir, timeoutMs: 100_000 });

  /** The Deployment's live pods (not being deleted) by node name. */
  async function podsByNode(): Promise<Map<string, Pod[]>> {
    const list = await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: 'app=drained' });
    const byNode = new Map<string, Pod[]>();
    for (const pod of list.items) {
      if (pod.metadata.deletionTimestamp) continue;
      const node = pod.spec?.nodeName ?? '';
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    return byNode;
  }

  async function fullyAvailable(): Promise<boolean> {
    const d = await client.get<Deployment>('apps/v1', 'Deployment', ns, 'web');
    const status = d.status ?? {};
    return (
      status.observedGeneration === d.metadata.generation &&
      status.availableReplicas === REPLICAS &&
      status.updatedReplicas === REPLICAS &&
      status.replicas === REPLICAS
    );
  }

  beforeAll(async () => {
    cacheDir = fs.mkdtempSync(path.join(api.dir, `${slug}-cache-`));
    await client.create('v1', 'Namespace', undefined, { metadata: { name: ns } });
    await client.create('apps/v1', 'Deployment', ns, {
      metadata: { name: 'web' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'drained' } },
        template: {
          metadata: { labels: { app: 'drained' } },
          spec: {
            containers: [
              { name: 'web', image: 'nginx:1.27', volumeMounts: [{ name: 'scratch', mountPath: '/tmp' }] },
            ],
            // An emptyDir is what --delete-emptydir-data is for: without the flag drain refuses.
            volumes: [{ name: 'scratch', emptyDir: {} }],
          },
        },
      },
    });
    await waitFor(fullyAvailable, { timeoutMs: 30_000, what: `${REPLICAS} available pods` });
  });
  afterAll(async () => {
    await client.delete('v1', 'Namespace', undefined, ns).catch(() => undefined);
  });

  it('drains the busiest node: cordoned, emptied, and the pods replaced on the other nodes', async () => {
    const before = await podsByNode();
    expect(before.size).toBeGreaterThan(1);
    const [target, evicted] = [...before.entries()].sort((a, b) => b[1].length - a[1].length)[0];
    expect(nodes.nodeNames).toContain(target);

    const result = await run([
      'drain',
      target,
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--timeout=60s',
    ]);
    const out = succeeded(result);
    expect(out).toContain(`node/${target} cordoned`);
    // "evicting", not "deleting": drain found the eviction subresource in discovery and used it.
    for (const pod of evicted) {
      expect(out).toContain(`evicting pod ${ns}/${pod.metadata.name}\n`);
      expect(out).toContain(`pod/${pod.metadata.name} evicted\n`);
    }
    expect(out).toContain(`node/${target} drained`);

    const node = await client.get<NodeJson>('v1', 'Node', undefined, target);
    expect(node.spec?.unschedulable).toBe(true);
    // Drain returns once every evicted pod is gone, so none of the Deployment's may be left there.
    const onTarget = await client.list<Pod>('v1', 'Pod', {
      namespace: ns,
      fieldSelector: `spec.nodeName=${target}`,
    });
    expect(onTarget.items.map((p) => p.metadata.name)).toEqual([]);

    await waitFor(fullyAvailable, { timeoutMs: 30_000, what: `${REPLICAS} available pods again` });
    const after = await podsByNode();
    expect(after.has(target)).toBe(false);
    expect([...after.values()].reduce((n, pods) => n + pods.length, 0)).toBe(REPLICAS);
    for (const pod of evicted) {
      const names = [...after.values()].flat().map((p) => p.metadata.name);
      expect(names).not.toContain(pod.metadata.name);
    }
  });

  it('uncordons the node', async () => {
    const cordoned = await client.list<NodeJson>('v1', 'Node');
    const target = cordoned.items.find((n) => n.spec?.unschedulable)?.metadata.name;
    expect(target).toBeDefined();
    expect(succeeded(await run(['uncordon', target!]))).toBe(`node/${target} uncordoned\n`);
    const node = await client.get<NodeJson>('v1', 'Node', undefined, target!);
    expect(node.spec?.unschedulable).toBeFalsy();
  });
});
