import type { KubeObject } from '../apiserver/api-object.js';
import {
  RESTARTED_AT_ANNOTATION,
  daemonSetRolloutStatus,
  deploymentHistory,
  deploymentRolloutStatus,
  formatHistory,
  planRollback,
  restartPatch,
  rfc3339Local,
  templatesMatch,
} from './rollout-logic.js';

function deployment(
  spec: object,
  status: object,
  generation = 2,
  annotations: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', uid: 'd1', generation, annotations },
    spec: { replicas: 3, template: templateOf('nginx:3'), ...spec },
    status: { observedGeneration: 2, ...status },
  };
}

function templateOf(image: string, hash?: string) {
  return {
    metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } },
    spec: { containers: [{ name: 'web', image }] },
  };
}

function replicaSet(
  revision: string,
  image: string,
  annotations: Record<string, string> = {},
  owner = 'd1',
): KubeObject {
  return {
    metadata: {
      name: `web-${revision}`,
      annotations: { 'deployment.kubernetes.io/revision': revision, ...annotations },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true },
      ],
    },
    spec: { template: templateOf(image, `h${revision}`) },
  };
}

describe('deploymentRolloutStatus', () => {
  it.each<[string, KubeObject, string, boolean]>([
    [
      'spec not yet observed',
      deployment({}, { observedGeneration: 1 }),
      'Waiting for deployment spec update to be observed...',
      false,
    ],
    [
      'new replicas being created',
      deployment({}, { updatedReplicas: 1, replicas: 3 }),
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
      false,
    ],
    [
      'old replicas terminating',
      deployment({}, { updatedReplicas: 3, replicas: 4 }),
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
      false,
    ],
    [
      'updated replicas not yet available',
      deployment({}, { updatedReplicas: 3, replicas: 3, availableReplicas: 2 }),
      'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
      false,
    ],
    [
      'done',
      deployment({}, { updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
      'deployment "web" successfully rolled out',
      true,
    ],
    [
      'replicas defaulting to 1',
      deployment({ replicas: undefined }, { updatedReplicas: 1, replicas: 1, availableReplicas: 1 }),
      'deployment "web" successfully rolled out',
      true,
    ],
  ])('%s', (_name, d, message, done) => {
    expect(deploymentRolloutStatus(d)).toEqual({ message, done });
  });

  it('fails once the progress deadline has passed', () => {
    const stuck = deployment(
      {},
      { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] },
    );
    expect(deploymentRolloutStatus(stuck).error).toBe('deployment "web" exceeded its progress deadline');
  });
});

describe('daemonSetRolloutStatus', () => {
  const ds = (status: object, strategy = 'RollingUpdate'): KubeObject => ({
    metadata: { name: 'agent', generation: 1 },
    spec: { updateStrategy: { type: strategy } },
    status: { observedGeneration: 1, desiredNumberScheduled: 3, ...status },
  });

  it.each<[object, string, boolean]>([
    [
      { updatedNumberScheduled: 1 },
      'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...',
      false,
    ],
    [
      { updatedNumberScheduled: 3, numberAvailable: 2 },
      'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...',
      false,
    ],
    [{ updatedNumberScheduled: 3, numberAvailable: 3 }, 'daemon set "agent" successfully rolled out', true],
  ])('%j', (status, message, done) => {
    expect(daemonSetRolloutStatus(ds(status))).toEqual({ message, done });
  });

  it('has no status for OnDelete', () => {
    expect(daemonSetRolloutStatus(ds({}, 'OnDelete')).error).toContain('only available for RollingUpdate');
  });
});

describe('history', () => {
  const sets = [
    replicaSet('2', 'nginx:2', { 'kubernetes.io/change-cause': 'kubectl set image' }),
    replicaSet('1', 'nginx:1'),
    replicaSet('3', 'nginx:3'),
    replicaSet('9', 'nginx:9', {}, 'another-deployment'),
  ];

  it('lists the revisions of the Deployment’s own ReplicaSets, oldest first', () => {
    expect(formatHistory('deployment.apps/web', deploymentHistory(deployment({}, {}), sets))).toBe(
      'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         kubectl set image\n3         <none>\n\n',
    );
  });

  it('says when there is none', () => {
    expect(formatHistory('deployment.apps/web', [])).toBe(
      'deployment.apps/web \nNo rollout history found.\n',
    );
  });
});

describe('planRollback', () => {
  const sets = [
    replicaSet('1', 'nginx:1', { keep: 'from-rs' }),
    replicaSet('2', 'nginx:2'),
    replicaSet('3', 'nginx:3'),
  ];
  const current = deployment({}, {}, 2, {
    'deployment.kubernetes.io/revision': '3',
    'kubectl.kubernetes.io/last-applied-configuration': '{}',
    dropped: 'x',
  });

  it('goes back to the previous revision by default, carrying the ReplicaSet’s template without its hash', () => {
    const plan = planRollback(current, sets, 0);
    expect(plan).toEqual({
      action: 'patch',
      revision: 2,
      patch: [
        { op: 'replace', path: '/spec/template', value: templateOf('nginx:2') },
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: {
            'deployment.kubernetes.io/revision': '3',
            'kubectl.kubernetes.io/last-applied-configuration': '{}',
          },
        },
      ],
    });
  });

  it('takes annotations from the ReplicaSet of the chosen revision', () => {
    const plan = planRollback(current, sets, 1);
    expect(plan.action === 'patch' && plan.patch[1].value).toMatchObject({ keep: 'from-rs' });
  });

  it('skips when the template already matches', () => {
    expect(planRollback(current, sets, 3)).toEqual({ action: 'skip', revision: 3 });
  });

  it.each<[string, KubeObject, KubeObject[], number, string]>([
    ['an unknown revision', current, sets, 7, 'unable to find specified revision 7 in history'],
    ['a single revision', current, [sets[2]], 0, 'no rollout history found for deployment "web"'],
    [
      'a paused deployment',
      deployment({ paused: true }, {}),
      sets,
      0,
      'you cannot rollback a paused deployment',
    ],
  ])('refuses %s', (_name, d, replicaSets, revision, message) => {
    expect(() => planRollback(d, replicaSets, revision)).toThrow(message);
  });

  it('compares templates without the pod-template-hash label', () => {
    expect(templatesMatch(templateOf('a', 'h1'), templateOf('a'))).toBe(true);
    expect(templatesMatch(templateOf('a', 'h1'), templateOf('b', 'h1'))).toBe(false);
  });
});

describe('restart', () => {
  it('stamps the pod template with the time, in RFC 3339', () => {
    const at = new Date('2024-05-06T07:08:09Z');
    const stamp = rfc3339Local(at);
    expect(stamp).toMatch(/^2024-05-0\dT\d\d:08:09(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(stamp)).toBe(at.getTime());
    expect(restartPatch(at)).toEqual({
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: stamp } } } },
    });
  });
});
