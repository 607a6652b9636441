import { ApiStatusError } from '../machinery/api-status-error.js';
import { ReplicaSetController } from './replicaset-controller.js';
import type { Pod, ReplicaSet } from './workload-types.js';
import { ControllerFixture } from './testing/fixture.js';
import { controllerRefTo, newPod, newReplicaSet, NS } from './testing/builders.js';

function setup(...objects: (Pod | ReplicaSet)[]) {
  const f = new ControllerFixture();
  for (const obj of objects) f.preload(obj.kind!, obj);
  const controller = new ReplicaSetController({
    client: f.client,
    pods: f.informer<Pod>('Pod'),
    replicaSets: f.informer<ReplicaSet>('ReplicaSet'),
    recorder: f.recorder,
    clock: f.clock,
    log: () => undefined,
  });
  return { f, controller };
}

const ready = (name: string, rs: ReplicaSet, extra = {}) =>
  newPod(name, { owner: rs, phase: 'Running', node: 'n1', readyAt: 0, ...extra });

describe('ReplicaSetController.sync', () => {
  it('creates the missing pods from the template and reports status', async () => {
    const rs = newReplicaSet('web', 3);
    const { f, controller } = setup(rs);
    await controller.sync('default/web');
    const podShape = {
      metadata: {
        generateName: 'web-',
        labels: { app: 'web', tier: 'front' },
        ownerReferences: [controllerRefTo(rs, 'ReplicaSet')],
      },
    };
    f.expectCreate('Pod', NS, podShape)
      .expectCreate('Pod', NS, podShape)
      .expectCreate('Pod', NS, podShape)
      .expectUpdateStatus('ReplicaSet', NS, { status: { replicas: 0, observedGeneration: 1 } })
      .verify();
    expect(controller.expectations.pending('default/web')).toEqual({ add: 3, del: 0 });
    expect(f.recorder.events.map((e) => e.reason)).toEqual([
      'SuccessfulCreate',
      'SuccessfulCreate',
      'SuccessfulCreate',
    ]);
  });

  it('does nothing when the pods and the status are already right', async () => {
    const rs = newReplicaSet('web', 2, {
      status: {
        replicas: 2,
        fullyLabeledReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        observedGeneration: 1,
      },
    });
    const { f, controller } = setup(rs, ready('a', rs), ready('b', rs));
    await controller.sync('default/web');
    f.verify();
  });

  it('deletes the least valuable surplus pods', async () => {
    const rs = newReplicaSet('web', 1);
    const { f, controller } = setup(
      rs,
      ready('a', rs, { createdAt: -7200 }),
      newPod('pending', { owner: rs, node: 'n1' }),
      ready('b', rs, { createdAt: -10 }),
    );
    await controller.sync('default/web');
    const deleted = f
      .actions()
      .filter((a) => a.verb === 'delete')
      .map((a) => a.name);
    expect(deleted.sort()).toEqual(['b', 'pending']);
    expect(controller.expectations.pending('default/web')).toEqual({ add: 0, del: 2 });
  });

  it('leaves the pod count alone while earlier creations are not yet in the cache', async () => {
    const rs = newReplicaSet('web', 2);
    const { f, controller } = setup(rs);
    await controller.sync('default/web');
    const creates = () => f.actions().filter((a) => a.verb === 'create').length;
    expect(creates()).toBe(2);
    await controller.sync('default/web');
    expect(creates()).toBe(2);
    // Once the informer shows both pods, the ReplicaSet is in sync and nothing more is created.
    const pods = f.informer<Pod>('Pod');
    for (const obj of [...f.client.objects.values()].filter((o) => o.kind === 'Pod'))
      pods.emitAdd(obj as Pod);
    expect(controller.expectations.satisfied('default/web')).toBe(true);
    await controller.sync('default/web');
    expect(creates()).toBe(2);
  });

  it('acts again once expectations expire even if a pod was never seen', async () => {
    const rs = newReplicaSet('web', 1);
    const { f, controller } = setup(rs);
    await controller.sync('default/web');
    await f.clock.advance(5 * 60_000 + 1);
    await controller.sync('default/web');
    expect(f.actions().filter((a) => a.verb === 'create')).toHaveLength(2);
  });

  it('adopts a matching orphan instead of creating a pod', async () => {
    const rs = newReplicaSet('web', 1);
    const { f, controller } = setup(rs, newPod('orphan', { phase: 'Running', node: 'n1', readyAt: 0 }));
    await controller.sync('default/web');
    f.expectAction({ verb: 'get', kind: 'ReplicaSet', name: 'web' })
      .expectPatch('Pod', NS, 'orphan', {
        metadata: { ownerReferences: [controllerRefTo(rs, 'ReplicaSet')], uid: 'uid-orphan' },
      })
      .expectUpdateStatus('ReplicaSet', NS, { status: { replicas: 1, readyReplicas: 1 } })
      .verify();
  });

  it('does not adopt when the ReplicaSet was replaced by another with the same name', async () => {
    const rs = newReplicaSet('web', 1);
    const { f, controller } = setup(rs, newPod('orphan'));
    f.client.seed('ReplicaSet', { ...rs, metadata: { ...rs.metadata, uid: 'uid-new' } });
    await expect(controller.sync('default/web')).rejects.toThrow(/uid changed/);
    expect(f.actions().some((a) => a.verb === 'patch')).toBe(false);
  });

  it('releases an owned pod whose labels no longer match and replaces it', async () => {
    const rs = newReplicaSet('web', 1);
    const { f, controller } = setup(rs, newPod('relabelled', { owner: rs, labels: { app: 'other' } }));
    await controller.sync('default/web');
    f.expectPatch('Pod', NS, 'relabelled', {
      metadata: { ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }], uid: 'uid-relabelled' },
    })
      .expectCreate('Pod', NS)
      .expectUpdateStatus('ReplicaSet', NS)
      .verify();
  });

  it('ignores pods controlled by another controller and inactive pods', async () => {
    const rs = newReplicaSet('web', 1, { status: { replicas: 0, observedGeneration: 1 } });
    const other = newReplicaSet('other', 1);
    const { f, controller } = setup(
      rs,
      other,
      newPod('theirs', { owner: other }),
      newPod('done', { owner: rs, phase: 'Succeeded' }),
      newPod('going', { owner: rs, deleting: true }),
    );
    await controller.sync('default/web');
    f.expectCreate('Pod', NS).verify();
  });

  it('stops creating after a failed batch, reports ReplicaFailure and lowers its expectations', async () => {
    const rs = newReplicaSet('web', 10);
    const { f, controller } = setup(rs);
    let creates = 0;
    f.client.prependReactor((action) => {
      if (action.verb === 'create' && ++creates === 3)
        throw new ApiStatusError(403, 'Forbidden', 'exceeded quota');
      return undefined;
    });
    await expect(controller.sync('default/web')).rejects.toThrow('exceeded quota');
    // Batches of 1 then 2: the second batch holds the failure, so nothing more is tried.
    expect(creates).toBe(3);
    expect(controller.expectations.pending('default/web')).toEqual({ add: 2, del: 0 });
    const status = f.actions().find((a) => a.verb === 'updateStatus')!.object as ReplicaSet;
    expect(status.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'exceeded quota',
      }),
    ]);
    expect(f.recorder.events.filter((e) => e.reason === 'FailedCreate')).toHaveLength(1);
  });

  it('retries a conflicting status write once on the stored copy, keeping the generation it acted on', async () => {
    const rs = newReplicaSet('web', 1);
    const { f, controller } = setup(rs, ready('a', rs));
    // Scaled meanwhile (generation 2), which the cache has not shown yet.
    f.client.seed('ReplicaSet', {
      ...rs,
      metadata: { ...rs.metadata, generation: 2, resourceVersion: '99' },
      spec: { ...rs.spec!, replicas: 3 },
    });
    let conflicts = 1;
    f.client.prependReactor((action) => {
      if (action.verb === 'updateStatus' && conflicts-- > 0) {
        throw new ApiStatusError(409, 'Conflict', 'the object has been modified');
      }
      return undefined;
    });
    await controller.sync('default/web');
    f.expectUpdateStatus('ReplicaSet', NS)
      .expectAction({ verb: 'get', kind: 'ReplicaSet', name: 'web' })
      .expectUpdateStatus('ReplicaSet', NS, {
        metadata: { resourceVersion: '99', generation: 2 },
        status: { replicas: 1, readyReplicas: 1, observedGeneration: 1 },
      })
      .verify();
  });

  it('forgets a ReplicaSet that is gone', async () => {
    const { f, controller } = setup();
    controller.expectations.expectCreations('default/web', 3);
    await controller.sync('default/web');
    f.verify();
    expect(controller.expectations.pending('default/web')).toBeUndefined();
  });

  it('manages no pods for a ReplicaSet being deleted, but still reports status', async () => {
    const rs = newReplicaSet('web', 3);
    rs.metadata.deletionTimestamp = '2024-01-01T12:00:00Z';
    const { f, controller } = setup(rs, ready('a', rs));
    await controller.sync('default/web');
    f.expectUpdateStatus('ReplicaSet', NS, { status: { replicas: 1 } }).verify();
  });

  it('looks again after minReadySeconds when ready pods are not available yet', async () => {
    const rs = newReplicaSet('web', 1, { minReadySeconds: 10 });
    const { f, controller } = setup(
      rs,
      newPod('a', { owner: rs, phase: 'Running', node: 'n1', readyAt: -5 }),
    );
    await controller.sync('default/web');
    expect(controller.queue.len()).toBe(0);
    await f.clock.advance(10_000);
    expect(controller.queue.len()).toBe(1);
  });
});

describe('ReplicaSetController event handlers', () => {
  it('counts an observed creation and enqueues the owner', () => {
    const rs = newReplicaSet('web', 1);
    const { f, controller } = setup(rs);
    controller.expectations.expectCreations('default/web', 1);
    f.informer<Pod>('Pod').emitAdd(newPod('a', { owner: rs }));
    expect(controller.expectations.satisfied('default/web')).toBe(true);
    expect(controller.queue.len()).toBe(1);
  });

  it('counts a pod marked for deletion once, even when it is then removed', () => {
    const rs = newReplicaSet('web', 1);
    const pod = newPod('a', { owner: rs });
    const { f, controller } = setup(rs, pod);
    controller.expectations.expectDeletions('default/web', ['default/a', 'default/b']);
    const pods = f.informer<Pod>('Pod');
    pods.emitUpdate({
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: '6', deletionTimestamp: '2024-01-01T12:00:00Z' },
    });
    pods.emitDelete(pod);
    expect(controller.expectations.pending('default/web')).toEqual({ add: 0, del: 1 });
  });

  it('wakes the ReplicaSets that may adopt a new orphan', () => {
    const other = newReplicaSet('other', 1);
    other.spec!.selector = { matchLabels: { app: 'db' } };
    const { f, controller } = setup(newReplicaSet('web', 1), other, newReplicaSet('all', 1));
    f.informer<ReplicaSet>('ReplicaSet').indexer.upsert({
      ...newReplicaSet('all', 1),
      spec: { ...newReplicaSet('all', 1).spec!, selector: {} },
    });
    f.informer<Pod>('Pod').emitAdd(newPod('orphan'));
    // Only 'web' matches: 'other' selects other labels and an empty selector adopts nothing.
    expect(controller.queue.len()).toBe(1);
  });
});
