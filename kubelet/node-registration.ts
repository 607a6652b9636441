/**
 * The API writes a node agent makes for its Node, shared by the kubelet and the simulated nodes:
 * registration, status posts and lease renewals, with the conflict handling each needs.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../machinery/api-status-error.js';
import { NODE_LEASE_NAMESPACE, nodeLease } from './node-status.js';
import type { Lease, Node, NodeStatus } from './node-status.js';

type Client = Pick<ApiClient, 'create' | 'get' | 'patch' | 'update'>;

/**
 * Creates the Node, or takes over an existing one of that name (a restarted agent): its labels,
 * spec fields and status are brought up to date. Resolves with the Node's uid.
 */
export async function registerNode(client: Client, node: Node): Promise<string> {
  const name = node.metadata!.name!;
  try {
    return (await client.create('v1', 'Node', undefined, node)).metadata.uid ?? '';
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const existing = await client.patch('v1', 'Node', undefined, name, {
    metadata: { labels: node.metadata!.labels },
    spec: node.spec,
  });
  await postNodeStatus(client, name, node.status!);
  return existing.metadata.uid ?? '';
}

/** Rejects with NotFound when the Node is gone (the caller registers it again). */
export async function postNodeStatus(client: Client, name: string, status: NodeStatus): Promise<void> {
  await client.patch('v1', 'Node', undefined, name, { status }, { subresource: 'status' });
}

/**
 * Renews the node's Lease from the copy the caller kept (read or created when there is none) and
 * returns the new copy to keep. A stale copy rejects with Conflict: drop it and call again.
 */
export async function renewNodeLease(
  client: Client,
  nodeName: string,
  nodeUid: string | undefined,
  now: number,
  cached: Lease | undefined,
): Promise<Lease> {
  let current = cached;
  if (!current) {
    try {
      current = (await client.get(
        'coordination.k8s.io/v1',
        'Lease',
        NODE_LEASE_NAMESPACE,
        nodeName,
      )) as Lease;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return (await client.create(
        'coordination.k8s.io/v1',
        'Lease',
        NODE_LEASE_NAMESPACE,
        nodeLease(nodeName, nodeUid, now),
      )) as Lease;
    }
  }
  return (await client.update(
    'coordination.k8s.io/v1',
    'Lease',
    NODE_LEASE_NAMESPACE,
    nodeLease(nodeName, nodeUid, now, current) as KubeObject,
  )) as Lease;
}

/** Whether a failed renewal means the kept copy is useless. */
export function leaseCopyIsStale(err: unknown): boolean {
  return isConflict(err) || isNotFound(err);
}
