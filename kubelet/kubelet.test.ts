import { podUsesObject } from './kubelet.js';
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
