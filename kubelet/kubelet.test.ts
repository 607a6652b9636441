import { onlyStatusChanged, podUsesObject } from './kubelet.js';
import { makeContainer, makePod } from './testing/builders.js';

describe('podUsesObject', () => {
  const pod = makePod({
    containers: [
      makeContainer('app', {
        envFrom: [{ configMapRef: { name: 'env-cm' } }],
        env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'pw' } } }],
      }),
    ],
  });
  pod.spec!.volumes = [
    { name: 'a', configMap: { name: 'vol-cm' } },
    { name: 'b', secret: { secretName: 'vol-secret' } },
    {
      name: 'c',
      projected: {
        sources: [{ configMap: { name: 'projected-cm' } }, { secret: { name: 'projected-secret' } }],
      },
    },
  ];

  it.each([
    ['ConfigMap', 'env-cm', true],
    ['ConfigMap', 'vol-cm', true],
    ['ConfigMap', 'projected-cm', true],
    ['Secret', 'env-secret', true],
    ['Secret', 'vol-secret', true],
    ['Secret', 'projected-secret', true],
    ['ConfigMap', 'vol-secret', false],
    ['Secret', 'vol-cm', false],
    ['ConfigMap', 'unrelated', false],
  ] as const)('%s %s → %s', (kind, name, expected) => {
    expect(podUsesObject(pod, kind, name)).toBe(expected);
  });
});

describe('onlyStatusChanged', () => {
  const before = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', resourceVersion: '10', labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
  const after = (change: (pod: typeof before & Record<string, unknown>) => void) => {
    const pod = structuredClone(before);
    change(pod);
    return pod;
  };

  it.each([
    [
      'the status and the resourceVersion',
      (p: typeof before) => ((p.status.phase = 'Running'), (p.metadata.resourceVersion = '11')),
      true,
    ],
    [
      'the managed fields',
      (p: typeof before & Record<string, unknown>) =>
        Object.assign(p.metadata, { managedFields: [{ manager: 'kubelet' }] }),
      true,
    ],
    ['nothing', () => undefined, true],
    ['a label', (p: typeof before) => (p.metadata.labels.app = 'b'), false],
    [
      'the deletion timestamp',
      (p: typeof before) => Object.assign(p.metadata, { deletionTimestamp: '2024-01-01T00:00:00Z' }),
      false,
    ],
    ['the spec', (p: typeof before) => (p.spec.containers[0].image = 'nginx'), false],
  ])('a change of %s → %s', (_what, change, expected) => {
    expect(onlyStatusChanged(before, after(change))).toBe(expected);
  });
});
