/**
 * A stand-in scheduler for controller integration tests: binds every unbound pod to one of the given
 * nodes, round robin, through the binding subresource, so the simulated nodes pick the pods up.
 * Runs until `signal` aborts; `done` resolves once it stopped.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import type { ApiClient } from '../../machinery/api-client.js';
import { isConflict, isNotFound } from '../../machinery/api-status-error.js';
import { Informer } from '../../machinery/informer.js';
import { metaNamespaceKey } from '../../machinery/keys.js';
import { runWorkers } from '../../machinery/run-workers.js';
import { WorkQueue } from '../../machinery/workqueue.js';

export async function startPodBinder(options: {
  client: ApiClient;
  nodeNames: readonly string[];
  signal: AbortSignal;
  workers?: number;
}): Promise<{ done: Promise<void> }> {
  const { client, nodeNames, signal } = options;
  const informer = new Informer<KubeObject>({
    client,
    apiVersion: 'v1',
    kind: 'Pod',
    fieldSelector: 'spec.nodeName=',
    log: () => undefined,
  });
  const queue = new WorkQueue<string>();
  informer.addEventHandler({
    onAdd: (pod) => queue.add(metaNamespaceKey(pod)),
    onUpdate: (_old, pod) => queue.add(metaNamespaceKey(pod)),
  });
  let next = 0;
  const bind = async (key: string) => {
    const pod = informer.store.get(key);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const node = nodeNames[next++ % nodeNames.length];
    try {
      await client.create(
        'v1',
        'Pod',
        pod.metadata.namespace,
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: node },
        },
        { subresource: 'binding', name: pod.metadata.name },
      );
    } catch (err) {
      // Already bound or already gone: nothing left to do.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  };
  const informerRun = informer.run(signal);
  await informer.waitForSync(signal);
  const workers = runWorkers(queue, options.workers ?? 8, bind, {
    signal,
    name: 'pod-binder',
    log: () => undefined,
  });
  return { done: Promise.all([informerRun, workers]).then(() => undefined) };
}
