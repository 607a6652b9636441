import type { KubeObject } from '../apiserver/api-object.js';
import { daemonSetsNamed, planDrain } from './drain-plan.js';
import type { DrainOptions } from './drain-plan.js';

function pod(
  name: string,
  opts: { owner?: string; phase?: string; emptyDir?: boolean; mirror?: boolean } = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'ns',
      ownerReferences: opts.owner
        ? [{ apiVersion: 'apps/v1', kind: opts.owner, name: `${name}-owner`, uid: 'u', controller: true }]
        : undefined,
      annotations: opts.mirror ? { 'kubernetes.io/config.mirror': 'x' } : undefined,
    },
    spec: { volumes: opts.emptyDir ? [{ name: 'scratch', emptyDir: {} }] : [] },
    status: { phase: opts.phase ?? 'Running' },
  };
}

const none: DrainOptions = { ignoreDaemonSets: false, deleteEmptyDirData: false, force: false };
const all: DrainOptions = { ignoreDaemonSets: true, deleteEmptyDirData: true, force: true };

describe('planDrain', () => {
  it.each<[string, KubeObject[], DrainOptions, string[], string, string[]]>([
    ['managed pods are evicted', [pod('a', { owner: 'ReplicaSet' })], none, ['a'], '', []],
    [
      'DaemonSet pods are refused without --ignore-daemonsets',
      [pod('ds', { owner: 'DaemonSet' })],
      none,
      [],
      '',
      ['cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ns/ds'],
    ],
    [
      'DaemonSet pods are left with a warning with it',
      [pod('ds', { owner: 'DaemonSet' }), pod('ds2', { owner: 'DaemonSet' })],
      all,
      [],
      'ignoring DaemonSet-managed Pods: ns/ds, ns/ds2',
      [],
    ],
    ['mirror pods are skipped silently', [pod('m', { mirror: true })], none, [], '', []],
    [
      'unmanaged pods need --force',
      [pod('bare'), pod('bare2')],
      none,
      [],
      '',
      ['cannot delete Pods that declare no controller (use --force to override): ns/bare, ns/bare2'],
    ],
    [
      'unmanaged pods go with a warning with --force',
      [pod('bare')],
      all,
      ['bare'],
      'deleting Pods that declare no controller: ns/bare',
      [],
    ],
    [
      'emptyDir pods need --delete-emptydir-data',
      [pod('scratch', { owner: 'ReplicaSet', emptyDir: true })],
      none,
      [],
      '',
      ['cannot delete Pods with local storage (use --delete-emptydir-data to override): ns/scratch'],
    ],
    [
      // As upstream: the local-storage warning is overwritten by the next filter's verdict.
      'emptyDir pods of a controller go without a warning with it',
      [pod('scratch', { owner: 'ReplicaSet', emptyDir: true })],
      all,
      ['scratch'],
      '',
      [],
    ],
    [
      'finished pods always go',
      [
        pod('done', { phase: 'Succeeded', emptyDir: true }),
        pod('failed', { phase: 'Failed', owner: 'DaemonSet' }),
      ],
      none,
      ['done', 'failed'],
      '',
      [],
    ],
    [
      'several reasons are reported separately',
      [pod('bare'), pod('ds', { owner: 'DaemonSet' }), pod('ok', { owner: 'ReplicaSet' })],
      none,
      ['ok'],
      '',
      [
        'cannot delete Pods that declare no controller (use --force to override): ns/bare',
        'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ns/ds',
      ],
    ],
  ])('%s', (_name, pods, options, evicted, warnings, errors) => {
    const plan = planDrain(pods, options);
    expect(plan.evict.map((p) => p.metadata.name)).toEqual(evicted);
    expect(plan.warnings).toBe(warnings);
    expect(plan.errors).toEqual(errors);
  });

  it('treats pods of a missing DaemonSet as orphans: an error, or evicted with --force', () => {
    const orphan = pod('ds', { owner: 'DaemonSet' });
    const missing = new Set(daemonSetsNamed([orphan]));
    expect(missing).toEqual(new Set(['ns/ds-owner']));
    expect(planDrain([orphan], none, missing).errors).toEqual([
      'cannot delete daemonsets.apps "ds-owner" not found: ns/ds',
    ]);
    expect(planDrain([orphan], all, missing).evict).toHaveLength(1);
  });
});
