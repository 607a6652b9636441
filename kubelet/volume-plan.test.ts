import type { ConfigMap, Secret } from './api-types.js';
import { ContainerConfigError } from './container-env.js';
import { makeContainer, makePod } from './testing/builders.js';
import { containerMounts, planPodVolumes } from './volume-plan.js';
import type { PlannedVolume, VolumeSources } from './volume-plan.js';

const DATA = '/var/lib/kubicle/kubelet';
const POD_DIR = `${DATA}/pods/uid-1/volumes`;

function sources(extra: Partial<VolumeSources> = {}): VolumeSources {
  const configMaps = new Map<string, ConfigMap>([
    [
      'settings',
      {
        metadata: { name: 'settings' },
        data: { colour: 'blue', size: 'L' },
        binaryData: { raw: Buffer.from([1, 2]).toString('base64') },
      },
    ],
  ]);
  const secrets = new Map<string, Secret>([
    ['creds', { metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') } }],
  ]);
  return { configMaps, secrets, podIPs: ['10.0.0.7'], ...extra };
}

function podWith(volumes: NonNullable<NonNullable<ReturnType<typeof makePod>['spec']>['volumes']>) {
  const pod = makePod();
  pod.spec!.volumes = volumes;
  return pod;
}

const text = (v: PlannedVolume) =>
  v.kind === 'files' ? v.files.map((f) => [f.path, f.content.toString('utf8'), f.mode.toString(8)]) : [];

describe('planPodVolumes', () => {
  it('puts emptyDir under the pod directory and uses hostPath as it is', () => {
    const plan = planPodVolumes(
      podWith([
        { name: 'scratch', emptyDir: {} },
        { name: 'logs', hostPath: { path: '/var/log', type: 'Directory' } },
      ]),
      DATA,
      sources(),
    );
    expect(plan.errors.size).toBe(0);
    expect(plan.volumes).toEqual([
      { name: 'scratch', kind: 'emptyDir', hostPath: `${POD_DIR}/kubernetes.io~empty-dir/scratch` },
      { name: 'logs', kind: 'hostPath', hostPath: '/var/log', type: 'Directory' },
    ]);
  });

  it('turns every ConfigMap key (binaryData too) into a file with the default mode 0644', () => {
    const plan = planPodVolumes(podWith([{ name: 'cfg', configMap: { name: 'settings' } }]), DATA, sources());
    expect(plan.volumes[0].hostPath).toBe(`${POD_DIR}/kubernetes.io~configmap/cfg`);
    expect(text(plan.volumes[0])).toEqual([
      ['colour', 'blue', '644'],
      ['size', 'L', '644'],
      ['raw', '\u0001\u0002', '644'],
    ]);
  });

  it('maps only the listed items, with their paths and modes, and decodes Secret data', () => {
    const plan = planPodVolumes(
      podWith([
        {
          name: 'cfg',
          configMap: { name: 'settings', items: [{ key: 'colour', path: 'theme/colour', mode: 0o400 }] },
        },
        { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o440 } },
      ]),
      DATA,
      sources(),
    );
    expect(text(plan.volumes[0])).toEqual([['theme/colour', 'blue', '400']]);
    expect(text(plan.volumes[1])).toEqual([['password', 's3cret', '440']]);
  });

  it.each([
    ['a missing ConfigMap', { name: 'v', configMap: { name: 'nope' } }, 'configmap "nope" not found'],
    ['a missing Secret', { name: 'v', secret: { secretName: 'nope' } }, 'secret "nope" not found'],
    [
      'a missing key',
      { name: 'v', configMap: { name: 'settings', items: [{ key: 'x', path: 'x' }] } },
      'configmap references non-existent config key: x',
    ],
    [
      'an unsupported type',
      { name: 'v', nfs: { server: 's', path: '/' } },
      'volume "v" is of a type Kubicle does not support',
    ],
  ])('collects an error for %s', (_what, volume, message) => {
    const plan = planPodVolumes(podWith([volume]), DATA, sources());
    expect(plan.volumes).toEqual([]);
    expect(plan.errors.get('v')).toBe(message);
  });

  it('skips what an optional source lacks instead of failing', () => {
    const plan = planPodVolumes(
      podWith([
        { name: 'a', configMap: { name: 'nope', optional: true } },
        { name: 'b', configMap: { name: 'settings', optional: true, items: [{ key: 'x', path: 'x' }] } },
      ]),
      DATA,
      sources(),
    );
    expect(plan.errors.size).toBe(0);
    expect(plan.volumes.map(text)).toEqual([[], []]);
  });

  it('writes downwardAPI and projected files from the pod and its sources', () => {
    const pod = podWith([
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            { path: 'ip', fieldRef: { fieldPath: 'status.podIP' } },
          ],
        },
      },
      {
        name: 'all',
        projected: {
          sources: [
            { configMap: { name: 'settings', items: [{ key: 'size', path: 'size' }] } },
            { secret: { name: 'creds' } },
            { serviceAccountToken: { path: 'token' } },
          ],
        },
      },
    ]);
    const plan = planPodVolumes(pod, DATA, sources());
    expect(text(plan.volumes[0])).toEqual([
      ['name', 'web', '644'],
      ['ip', '10.0.0.7', '644'],
    ]);
    expect(text(plan.volumes[1])).toEqual([
      ['size', 'L', '644'],
      ['password', 's3cret', '644'],
    ]);
  });
});

describe('containerMounts', () => {
  const pod = podWith([
    { name: 'scratch', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'settings' } },
    { name: 'broken', configMap: { name: 'nope' } },
  ]);
  const plan = planPodVolumes(pod, DATA, sources());

  it('maps mounts to host paths; file volumes are read-only and subPath is appended', () => {
    const container = makeContainer('app', {
      volumeMounts: [
        { name: 'scratch', mountPath: '/work' },
        { name: 'scratch', mountPath: '/cache', subPath: 'cache', readOnly: true },
        { name: 'cfg', mountPath: '/etc/cfg' },
      ],
    });
    expect(containerMounts(container, plan)).toEqual([
      { hostPath: `${POD_DIR}/kubernetes.io~empty-dir/scratch`, containerPath: '/work', readOnly: false },
      {
        hostPath: `${POD_DIR}/kubernetes.io~empty-dir/scratch/cache`,
        containerPath: '/cache',
        readOnly: true,
      },
      { hostPath: `${POD_DIR}/kubernetes.io~configmap/cfg`, containerPath: '/etc/cfg', readOnly: true },
    ]);
  });

  it.each([
    ['an unknown volume', { name: 'ghost', mountPath: '/g' }, /cannot find volume "ghost"/],
    [
      'a volume that failed',
      { name: 'broken', mountPath: '/b' },
      /volume "broken" is not ready: configmap "nope" not found/,
    ],
    [
      'a subPath leaving the volume',
      { name: 'scratch', mountPath: '/x', subPath: '../../etc' },
      /leaves volume/,
    ],
  ])('refuses %s with a container configuration error', (_what, mount, message) => {
    const container = makeContainer('app', { volumeMounts: [mount] });
    expect(() => containerMounts(container, plan)).toThrow(ContainerConfigError);
    expect(() => containerMounts(container, plan)).toThrow(message);
  });
});
