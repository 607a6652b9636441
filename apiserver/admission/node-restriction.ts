/**
 * The part of upstream's NodeRestriction admission plugin the Node authorizer cannot decide: the name
 * of an object a node creates is in the body, not the URL. Pure.
 *
 * Contract: a node (`system:node:<name>` in `system:nodes`) may create only the Node named like itself
 * and only the Lease (coordination.k8s.io, in kube-node-lease) named like itself; anything else it
 * creates, and everyone else's writes, are not this check's business. A refusal is the 403 of a denied
 * request (auth/forbidden.ts) with upstream's NodeRestriction reason.
 */
import type { KubeObject } from '../api-object.js';
import type { ApiError } from '../api-error.js';
import { forbidden } from '../auth/forbidden.js';
import { nodeIdentity } from '../auth/node-authorizer.js';
import type { UserInfo } from '../auth/user-info.js';

export interface CreateRequest {
  apiGroup: string;
  /** The plural, e.g. `nodes`. */
  resource: string;
  namespace: string;
  user: UserInfo;
}

/** Why the node may not create `object`, or undefined when it may (or the check does not apply). */
function restricted(request: CreateRequest): 'node' | 'lease' | undefined {
  if (request.apiGroup === '' && request.resource === 'nodes') return 'node';
  if (request.apiGroup === 'coordination.k8s.io' && request.resource === 'leases') return 'lease';
  return undefined;
}

export function nodeCreateRefusal(request: CreateRequest, object: KubeObject): ApiError | undefined {
  const node = nodeIdentity(request.user);
  const kind = restricted(request);
  if (!node || !kind) return undefined;
  const isNode = kind === 'node';
  const name = object.metadata?.name ?? '';
  if (name === node) return undefined;
  const reason = isNode
    ? `node '${node}' is not allowed to modify node '${name}'`
    : 'can only access node lease with the same name as the requesting node';
  return forbidden(
    {
      kind: 'resource',
      verb: 'create',
      apiGroup: request.apiGroup,
      apiVersion: '',
      resource: request.resource,
      subresource: '',
      namespace: request.namespace,
      name,
      user: request.user,
    },
    reason,
  );
}

/** The `admit` hook of a create by `user`, when this check applies to it. */
export function nodeCreateAdmission(request: CreateRequest): ((object: KubeObject) => void) | undefined {
  if (!nodeIdentity(request.user) || !restricted(request)) return undefined;
  return (object) => {
    const refusal = nodeCreateRefusal(request, object);
    if (refusal) throw refusal;
  };
}
