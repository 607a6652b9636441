import { ApiStatusError } from '../machinery/api-status-error.js';
import { DeploymentController } from './deployment-controller.js';
import { computeHash } from './deployment-hash.js';
import type { Deployment, Pod, ReplicaSet } from './workload-types.js';
import { ControllerFixture, T0 } from './testing/fixture.js';
import { at, controllerRefTo, newDeployment, newPod, NS, replicaSetOf } from './testing/builders.js';

function setup(...objects: (Deployment | ReplicaSet | Pod)[]) {
  const f = new ControllerFixture();
  for (const obj of objects) f.preload(obj.kind!, obj);
  const controller = new DeploymentController({
    client: f.client,
    deployments: f.informer<Deployment>('Deployment'),
    replicaSets: f.informer<ReplicaSet>('ReplicaSet'),
    pods: f.informer<Pod>('Pod'),
    recorder: f.recorder,
    clock: f.clock,
    log: () => undefined,
  });
  return { f, controller };
}

const surgeOne = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
const written = (f: ControllerFixture, verb: string, kind: string) =>
  f.actions().filter((a) => a.verb === verb && a.kind === kind);
const lastStatus = (f: ControllerFixture) =>
  (written(f, 'updateStatus', 'Deployment').at(-1)!.object as Deployment).status!;

describe('DeploymentController.sync', () => {
  it('creates the first ReplicaSet named by the template hash, at revision 1', async () => {
    const d = newDeployment('web', 4);
    const { f, controller } = setup(d);
    await controller.sync('default/web');
    const hash = computeHash(d.spec!.template);
    f.expectCreate('ReplicaSet', NS, {
      metadata: {
        name: `web-${hash}`,
        labels: { app: 'web', 'pod-template-hash': hash },
        ownerReferences: [controllerRefTo(d, 'Deployment')],
        annotations: {
          'deployment.kubernetes.io/revision': '1',
          'deployment.kubernetes.io/desired-replicas': '4',
          'deployment.kubernetes.io/max-replicas': '5',
        },
      },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } },
        template: { metadata: { labels: { app: 'web', 'pod-template-hash': hash } } },
      },
    })
      .expectPatch('Deployment', NS, 'web', {
        metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } },
      })
      .expectUpdateStatus('Deployment', NS, {
        status: {
          conditions: [expect.objectContaining({ type: 'Progressing', reason: 'NewReplicaSetCreated' })],
        },
      })
      .expectUpdateStatus('Deployment', NS)
      .verify();
    expect(lastStatus(f)).toMatchObject({ observedGeneration: 1, unavailableReplicas: 4 });
    expect(f.recorder.events.map((e) => e.message)).toEqual([
      `Scaled up replica set web-${hash} from 0 to 4`,
    ]);
  });

  it('starts a rolling update with one surge pod and keeps every old pod (maxUnavailable 0)', async () => {
    const d = newDeployment('web', 4, { image: 'nginx:2', strategy: surgeOne, generation: 2 });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    const old = replicaSetOf(d, 'v1', 4, { image: 'nginx:1', available: 4, revision: 1 });
    const { f, controller } = setup(d, old);
    await controller.sync('default/web');
    const created = written(f, 'create', 'ReplicaSet')[0].object as ReplicaSet;
    expect(created.spec?.replicas).toBe(1);
    expect(created.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(written(f, 'update', 'ReplicaSet')).toEqual([]);
  });

  it('scales the old ReplicaSet down by one once a new pod is available', async () => {
    const d = newDeployment('web', 4, { image: 'nginx:2', strategy: surgeOne });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
    const old = replicaSetOf(d, 'v1', 4, { image: 'nginx:1', available: 4, revision: 1 });
    const fresh = replicaSetOf(d, 'v2', 1, {
      available: 1,
      revision: 2,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '4',
        'deployment.kubernetes.io/max-replicas': '5',
      },
    });
    const { f, controller } = setup(d, old, fresh);
    await controller.sync('default/web');
    const updates = written(f, 'update', 'ReplicaSet').map((a) => a.object as ReplicaSet);
    expect(updates.map((rs) => `${rs.metadata.name}=${rs.spec?.replicas}`)).toEqual(['web-v1=3']);
    expect(f.recorder.events.map((e) => e.message)).toEqual(['Scaled down replica set web-v1 from 4 to 3']);
  });

  it('rolls back by moving the old template’s ReplicaSet to the newest revision', async () => {
    const d = newDeployment('web', 2, { image: 'nginx:1' });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
    const v1 = replicaSetOf(d, 'v1', 0, { revision: 1, createdAt: 0 });
    const v2 = replicaSetOf(d, 'v2', 2, { image: 'nginx:2', available: 2, revision: 2, createdAt: 10 });
    const { f, controller } = setup(d, v1, v2);
    await controller.sync('default/web');
    const update = written(f, 'update', 'ReplicaSet')[0].object as ReplicaSet;
    expect(update.metadata.name).toBe('web-v1');
    expect(update.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
  });

  it('follows a resize of a finished Deployment on its only ReplicaSet', async () => {
    const d = newDeployment('web', 6);
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    const rs = replicaSetOf(d, 'v1', 3, {
      available: 3,
      revision: 1,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '3',
        'deployment.kubernetes.io/max-replicas': '4',
      },
    });
    const { f, controller } = setup(d, rs);
    await controller.sync('default/web');
    const update = written(f, 'update', 'ReplicaSet')[0].object as ReplicaSet;
    expect(update.spec?.replicas).toBe(6);
    expect(update.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/desired-replicas': '6',
      'deployment.kubernetes.io/max-replicas': '8',
    });
  });

  it('Recreate: empties the old ReplicaSet before creating the new one', async () => {
    const d = newDeployment('web', 2, { image: 'nginx:2', strategy: { type: 'Recreate' } });
    const old = replicaSetOf(d, 'v1', 2, { image: 'nginx:1', available: 2, revision: 1 });
    const { f, controller } = setup(d, old);
    await controller.sync('default/web');
    expect(written(f, 'create', 'ReplicaSet')).toEqual([]);
    expect((written(f, 'update', 'ReplicaSet')[0].object as ReplicaSet).spec?.replicas).toBe(0);
  });

  it('Recreate: waits while old pods still run, then creates the new ReplicaSet at full size', async () => {
    const d = newDeployment('web', 2, { image: 'nginx:2', strategy: { type: 'Recreate' } });
    const old = replicaSetOf(d, 'v1', 0, { image: 'nginx:1', revision: 1, current: 0 });
    const { f, controller } = setup(d, old, newPod('old-pod', { owner: old, phase: 'Running' }));
    await controller.sync('default/web');
    expect(written(f, 'create', 'ReplicaSet')).toEqual([]);
    f.informer<Pod>('Pod').emitDelete(f.informer<Pod>('Pod').store.get('default/old-pod')!);
    await controller.sync('default/web');
    expect((written(f, 'create', 'ReplicaSet')[0].object as ReplicaSet).spec?.replicas).toBe(2);
  });

  it('records a pause in the Progressing condition and creates nothing while paused', async () => {
    const d = newDeployment('web', 2, { image: 'nginx:2', paused: true });
    const old = replicaSetOf(d, 'v1', 2, { image: 'nginx:1', available: 2, revision: 1 });
    const { f, controller } = setup(d, old);
    await controller.sync('default/web');
    expect(written(f, 'create', 'ReplicaSet')).toEqual([]);
    const paused = (written(f, 'updateStatus', 'Deployment')[0].object as Deployment).status?.conditions;
    expect(paused).toEqual([
      expect.objectContaining({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused' }),
    ]);
  });

  it('deletes empty old ReplicaSets beyond revisionHistoryLimit once the rollout is complete', async () => {
    const d = newDeployment('web', 1, { revisionHistoryLimit: 1 });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '4' };
    d.status = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
    const rsList = [1, 2, 3].map((r) =>
      replicaSetOf(d, `v${r}`, 0, { image: `old:${r}`, revision: r, current: 0 }),
    );
    const current = replicaSetOf(d, 'v4', 1, {
      available: 1,
      revision: 4,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '1',
        'deployment.kubernetes.io/max-replicas': '2',
      },
    });
    const { f, controller } = setup(d, ...rsList, current);
    await controller.sync('default/web');
    expect(written(f, 'delete', 'ReplicaSet').map((a) => a.name)).toEqual(['web-v1', 'web-v2']);
  });

  it('reports ProgressDeadlineExceeded when a rollout stalls past its deadline', async () => {
    const d = newDeployment('web', 2, { image: 'nginx:2', strategy: surgeOne, progressDeadlineSeconds: 60 });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
    d.status = {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 1,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
          lastUpdateTime: at(0),
          lastTransitionTime: at(0),
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: '',
          lastUpdateTime: at(-120),
          lastTransitionTime: at(-120),
        },
      ],
    };
    const old = replicaSetOf(d, 'v1', 2, { image: 'nginx:1', available: 2, revision: 1 });
    const fresh = replicaSetOf(d, 'v2', 1, {
      revision: 2,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '2',
        'deployment.kubernetes.io/max-replicas': '3',
      },
    });
    const { f, controller } = setup(d, old, fresh);
    await controller.sync('default/web');
    expect(lastStatus(f).conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
  });

  it('checks a stuck rollout again when its deadline would pass', async () => {
    const d = newDeployment('web', 2, { image: 'nginx:2', strategy: surgeOne, progressDeadlineSeconds: 60 });
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
    const old = replicaSetOf(d, 'v1', 2, { image: 'nginx:1', available: 2, revision: 1 });
    const fresh = replicaSetOf(d, 'v2', 1, {
      revision: 2,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '2',
        'deployment.kubernetes.io/max-replicas': '3',
      },
    });
    const { f, controller } = setup(d, old, fresh);
    await controller.sync('default/web');
    // The first sync writes the status; the cache then shows it and the next sync finds nothing new.
    const stored = f.client.objects.get('Deployment/default/web') as Deployment;
    f.informer<Deployment>('Deployment').indexer.upsert(stored);
    await controller.sync('default/web');
    expect(controller.queue.len()).toBe(0);
    await f.clock.advance(61_000);
    expect(controller.queue.len()).toBe(1);
    expect(T0).toBeLessThan(f.clock.now());
  });

  it('adopts an orphan ReplicaSet matching its selector', async () => {
    const d = newDeployment('web', 1);
    const orphan = replicaSetOf(d, 'v1', 1, { available: 1, revision: 1 });
    orphan.metadata.ownerReferences = [];
    const { f, controller } = setup(d, orphan);
    await controller.sync('default/web');
    expect(f.actions()[0]).toMatchObject({ verb: 'get', kind: 'Deployment' });
    expect(f.actions()[1]).toMatchObject({
      verb: 'patch',
      kind: 'ReplicaSet',
      name: 'web-v1',
      object: { metadata: { ownerReferences: [controllerRefTo(d, 'Deployment')] } },
    });
    expect(written(f, 'create', 'ReplicaSet')).toEqual([]);
  });

  describe('a status write that conflicts', () => {
    /** A finished Deployment whose cached status is behind: the sync only writes its status. */
    function behind(stored: { generation: number; collisionCount?: number }) {
      const d = newDeployment('web', 2, {
        annotations: { 'deployment.kubernetes.io/revision': '1' },
        status: {
          observedGeneration: 1,
          conditions: [
            {
              type: 'Progressing',
              status: 'True',
              reason: 'ReplicaSetUpdated',
              message: 'ReplicaSet "web-v1" is progressing.',
              lastUpdateTime: at(0),
              lastTransitionTime: at(0),
            },
          ],
        },
      });
      const rs = replicaSetOf(d, 'v1', 2, {
        available: 2,
        revision: 1,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': '2',
          'deployment.kubernetes.io/max-replicas': '3',
        },
      });
      const { f, controller } = setup(d, rs);
      // The server already holds the controller's own previous write, which the cache has not shown.
      f.client.seed('Deployment', {
        ...d,
        metadata: { ...d.metadata, resourceVersion: '21', generation: stored.generation },
        status: { ...d.status, collisionCount: stored.collisionCount },
      });
      let conflicts = 1;
      f.client.prependReactor((action) => {
        if (action.verb === 'updateStatus' && action.kind === 'Deployment' && conflicts-- > 0) {
          throw new ApiStatusError(409, 'Conflict', 'the object has been modified');
        }
        return undefined;
      });
      return { f, controller };
    }

    it('is written again onto the stored Deployment when only its resourceVersion moved', async () => {
      const { f, controller } = behind({ generation: 1 });
      await controller.sync('default/web');
      f.expectUpdateStatus('Deployment', NS, { metadata: { resourceVersion: '20' } })
        .expectAction({ verb: 'get', kind: 'Deployment', name: 'web' })
        .expectUpdateStatus('Deployment', NS, {
          metadata: { resourceVersion: '21' },
          status: { availableReplicas: 2, updatedReplicas: 2, replicas: 2, observedGeneration: 1 },
        })
        .verify();
    });

    it.each([
      ['the spec changed (a new generation)', { generation: 2 }],
      ['a hash collision was recorded', { generation: 1, collisionCount: 1 }],
    ])('is left to a retry of the whole sync when %s', async (_why, stored) => {
      const { f, controller } = behind(stored);
      await expect(controller.sync('default/web')).rejects.toMatchObject({ code: 409 });
      expect(written(f, 'updateStatus', 'Deployment')).toHaveLength(1);
    });
  });

  it('does nothing for a Deployment that is gone', async () => {
    const { f, controller } = setup();
    await controller.sync('default/web');
    f.verify();
  });
});
