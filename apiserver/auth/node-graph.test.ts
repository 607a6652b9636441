import type { KubeObject } from '../api-object.js';
import { NodeGraph, podReferences } from './node-graph.js';

function pod(name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec };
}

describe('podReferences', () => {
  it.each<[string, Record<string, unknown>, string[], string[]]>([
    ['nothing', { containers: [{ name: 'c', image: 'i' }] }, [], []],
    ['an image pull secret', { imagePullSecrets: [{ name: 'pull' }, {}] }, ['pull'], []],
    [
      'secret and configMap volumes',
      {
        volumes: [
          { name: 'a', secret: { secretName: 's' } },
          { name: 'b', configMap: { name: 'cm' } },
        ],
      },
      ['s'],
      ['cm'],
    ],
    [
      'projected sources',
      {
        volumes: [
          {
            name: 'p',
            projected: {
              sources: [{ secret: { name: 'ps' } }, { configMap: { name: 'pcm' } }, { downwardAPI: {} }],
            },
          },
        ],
      },
      ['ps'],
      ['pcm'],
    ],
    [
      'volume plugins with secret references',
      {
        volumes: [
          { name: 'r', rbd: { secretRef: { name: 'rbd' } } },
          { name: 'z', azureFile: { secretName: 'az' } },
          { name: 'c', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi' } } },
        ],
      },
      ['rbd', 'az', 'csi'],
      [],
    ],
    [
      'env valueFrom and envFrom',
      {
        containers: [
          {
            name: 'c',
            env: [
              { name: 'A', valueFrom: { secretKeyRef: { name: 'es', key: 'k' } } },
              { name: 'B', valueFrom: { configMapKeyRef: { name: 'ecm', key: 'k' } } },
              { name: 'C', value: 'plain' },
              { name: 'D', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            envFrom: [{ secretRef: { name: 'fs' } }, { configMapRef: { name: 'fcm' } }],
          },
        ],
      },
      ['fs', 'es'],
      ['fcm', 'ecm'],
    ],
    [
      'init and ephemeral containers',
      {
        initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init' } }] }],
        containers: [{ name: 'c' }],
        ephemeralContainers: [
          { name: 'e', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'eph' } } }] },
        ],
      },
      ['init'],
      ['eph'],
    ],
    [
      'each name once',
      {
        volumes: [{ name: 'a', secret: { secretName: 's' } }],
        containers: [{ name: 'c', envFrom: [{ secretRef: { name: 's' } }] }],
      },
      ['s'],
      [],
    ],
    ['malformed shapes', { volumes: 'x', containers: [null, { env: {} }] }, [], []],
  ])('%s', (_what, spec, secrets, configMaps) => {
    expect(podReferences(pod('p', spec))).toEqual({ secrets, configMaps });
  });
});

describe('NodeGraph', () => {
  const withSecret = (name: string, node: string | undefined, secret: string, namespace = 'default') =>
    pod(
      name,
      { ...(node ? { nodeName: node } : {}), volumes: [{ name: 'v', secret: { secretName: secret } }] },
      namespace,
    );

  it('relates a bound pod and what it references to its node only', () => {
    const graph = new NodeGraph();
    graph.putPod(withSecret('web', 'n1', 's1'));
    expect(graph.podNode('default', 'web')).toBe('n1');
    expect(graph.nodeReferences('n1', 'secrets', 'default', 's1')).toBe(true);
    expect(graph.nodeReferences('n2', 'secrets', 'default', 's1')).toBe(false);
    expect(graph.nodeReferences('n1', 'configmaps', 'default', 's1')).toBe(false);
    expect(graph.nodeReferences('n1', 'secrets', 'other', 's1')).toBe(false);
  });

  it('knows a pod before it is bound as on no node, holding nothing', () => {
    const graph = new NodeGraph();
    graph.putPod(withSecret('web', undefined, 's1'));
    expect(graph.podNode('default', 'web')).toBe('');
    expect(graph.relationCount()).toBe(0);
    graph.putPod(withSecret('web', 'n1', 's1'));
    expect(graph.nodeReferences('n1', 'secrets', 'default', 's1')).toBe(true);
  });

  it('follows a pod moved to another node', () => {
    const graph = new NodeGraph();
    graph.putPod(withSecret('web', 'n1', 's1'));
    graph.putPod(withSecret('web', 'n2', 's1'));
    expect(graph.podNode('default', 'web')).toBe('n2');
    expect(graph.nodeReferences('n1', 'secrets', 'default', 's1')).toBe(false);
    expect(graph.nodeReferences('n2', 'secrets', 'default', 's1')).toBe(true);
    expect(graph.relationCount()).toBe(1);
  });

  it('follows a pod whose references change', () => {
    const graph = new NodeGraph();
    graph.putPod(withSecret('web', 'n1', 's1'));
    graph.putPod(withSecret('web', 'n1', 's2'));
    expect(graph.nodeReferences('n1', 'secrets', 'default', 's1')).toBe(false);
    expect(graph.nodeReferences('n1', 'secrets', 'default', 's2')).toBe(true);
  });

  it('forgets a deleted pod and everything only it held', () => {
    const graph = new NodeGraph();
    graph.putPod(withSecret('web', 'n1', 's1'));
    graph.removePod(withSecret('web', 'n1', 's1'));
    expect(graph.podNode('default', 'web')).toBeUndefined();
    expect(graph.nodeReferences('n1', 'secrets', 'default', 's1')).toBe(false);
    expect(graph.relationCount()).toBe(0);
    graph.removePod(withSecret('web', 'n1', 's1'));
    expect(graph.relationCount()).toBe(0);
  });

  it('keeps a secret two pods share until both are gone', () => {
    const graph = new NodeGraph();
    graph.putPod(withSecret('a', 'n1', 'shared'));
    graph.putPod(withSecret('b', 'n1', 'shared'));
    graph.putPod(withSecret('c', 'n2', 'shared'));
    graph.removePod(withSecret('a', 'n1', 'shared'));
    expect(graph.nodeReferences('n1', 'secrets', 'default', 'shared')).toBe(true);
    graph.putPod(withSecret('b', 'n1', 'other'));
    expect(graph.nodeReferences('n1', 'secrets', 'default', 'shared')).toBe(false);
    expect(graph.nodeReferences('n2', 'secrets', 'default', 'shared')).toBe(true);
    graph.removePod(withSecret('c', 'n2', 'shared'));
    expect(graph.nodeReferences('n2', 'secrets', 'default', 'shared')).toBe(false);
  });

  it('keeps pods of the same name in different namespaces apart', () => {
    const graph = new NodeGraph();
    graph.putPod(withSecret('web', 'n1', 's', 'a'));
    graph.putPod(withSecret('web', 'n2', 's', 'b'));
    expect(graph.podNode('a', 'web')).toBe('n1');
    expect(graph.podNode('b', 'web')).toBe('n2');
    graph.removePod(withSecret('web', 'n1', 's', 'a'));
    expect(graph.podNode('b', 'web')).toBe('n2');
    expect(graph.nodeReferences('n2', 'secrets', 'b', 's')).toBe(true);
  });
});
