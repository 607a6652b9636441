/**
 * The Node authorizer: what a kubelet (user `system:node:<name>` in group `system:nodes`) may do,
 * as upstream's Node authorizer, its `system:node` rules and the NodeRestriction admission plugin
 * together decide it. Pure: the pods bound to each node and what they reference come from the
 * graph (node-graph.ts).
 *
 * Contract:
 * - Anyone else, and non-resource requests: no opinion (RBAC decides).
 * - nodes: get/list/watch any, create; update/patch/delete only its own Node; nodes/status
 *   update/patch only its own. (The name of a created Node is checked at admission,
 *   admission/node-restriction.ts.)
 * - leases (coordination.k8s.io) in `kube-node-lease`: get/update/patch/delete only the one named
 *   like the node, create (name checked at admission); nothing else.
 * - pods: get only pods bound to it; list/watch only with `fieldSelector=spec.nodeName=<self>`;
 *   delete, pods/status update/patch and pods/eviction create only for pods bound to it; create never
 *   (no mirror pods here).
 * - secrets, configmaps: get, or list/watch narrowed to one name (`metadata.name=<name>`) in a
 *   namespace, only for objects a pod bound to it references.
 * - services, endpoints get/list/watch; events (core and events.k8s.io) create/update/patch;
 *   selfsubjectaccessreviews create; namespaces get.
 * - Anything else: no opinion. What upstream's authorizer leaves to RBAC (reads outside the graph)
 *   is a no-opinion with upstream's reason; what NodeRestriction refuses whatever RBAC says (writes
 *   to another node's objects) is a denial.
 */
import type { AuthorizerDecision } from './authorizer-chain.js';
import type { NodeRelations } from './node-graph.js';
import type { Attributes, ResourceAttributes } from './request-attributes.js';
import type { UserInfo } from './user-info.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const ALLOW: AuthorizerDecision = { verdict: 'allow', reason: '' };
const NO_OPINION: AuthorizerDecision = { verdict: 'no-opinion', reason: '' };
const READ = ['get', 'list', 'watch'];
const EVENT_WRITES = ['create', 'update', 'patch'];

function noOpinion(reason: string): AuthorizerDecision {
  return { verdict: 'no-opinion', reason };
}

function deny(reason: string): AuthorizerDecision {
  return { verdict: 'deny', reason };
}

/** The node a user acts for: its name ('' for `system:node:` alone), or undefined for a non-node. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}

function noRelationship(node: string): AuthorizerDecision {
  return noOpinion(`no relationship found between node '${node}' and this object`);
}

function authorizeNodeObject(node: string, attrs: ResourceAttributes): AuthorizerDecision {
  if (attrs.subresource === '') {
    if (READ.includes(attrs.verb) || attrs.verb === 'create') return ALLOW;
    if (!['update', 'patch', 'delete'].includes(attrs.verb)) return NO_OPINION;
  } else if (attrs.subresource !== 'status' || !['update', 'patch'].includes(attrs.verb)) {
    return NO_OPINION;
  }
  return attrs.name === node ? ALLOW : deny(`node '${node}' is not allowed to modify node '${attrs.name}'`);
}

function authorizeLease(node: string, attrs: ResourceAttributes): AuthorizerDecision {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(attrs.verb))
    return noOpinion('can only get, create, update, patch, or delete a node lease');
  if (attrs.namespace !== NODE_LEASE_NAMESPACE)
    return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
  // A created lease's name is in the body, which admission checks.
  if (attrs.verb !== 'create' && attrs.name !== node)
    return noOpinion('can only access node lease with the same name as the requesting node');
  return ALLOW;
}

function authorizePod(node: string, attrs: ResourceAttributes, graph: NodeRelations): AuthorizerDecision {
  const boundTo = attrs.name !== '' ? graph.podNode(attrs.namespace, attrs.name) : undefined;
  const bound = boundTo === node;
  // A pod the graph does not know is gone (or not seen yet): as upstream, whose NodeRestriction
  // checks the stored pod, the write then answers 404 rather than 403, which a kubelet finishing
  // a deleted pod's cleanup expects.
  const own = (what: string) =>
    bound || (attrs.name !== '' && boundTo === undefined)
      ? ALLOW
      : deny(`node '${node}' can only ${what} pods with spec.nodeName set to itself`);
  switch (attrs.subresource) {
    case '':
      break;
    case 'status':
      return ['update', 'patch'].includes(attrs.verb) ? own('update status of') : NO_OPINION;
    case 'eviction':
      return attrs.verb === 'create' ? own('evict') : NO_OPINION;
    default:
      return NO_OPINION;
  }
  switch (attrs.verb) {
    case 'get':
      if (!attrs.name) return noOpinion('can only get individual resources of this type');
      return bound ? ALLOW : noRelationship(node);
    case 'list':
    case 'watch': {
      const scoped = attrs.fieldSelector?.some(
        (r) => r.field === 'spec.nodeName' && r.operator === '=' && r.value === node,
      );
      return scoped ? ALLOW : noOpinion('can only list/watch pods with spec.nodeName field selector');
    }
    case 'delete':
      return own('delete');
    case 'create':
      return deny(`node '${node}' can only create mirror pods, which this cluster does not serve`);
    default:
      return NO_OPINION;
  }
}

/** Upstream's authorizeReadNamespacedObject: one named object, reachable from the node in the graph. */
function authorizeReferenced(
  node: string,
  attrs: ResourceAttributes,
  kind: 'secrets' | 'configmaps',
  graph: NodeRelations,
): AuthorizerDecision {
  if (!READ.includes(attrs.verb)) return noOpinion('can only read resources of this type');
  if (attrs.subresource) return noOpinion('cannot read subresource');
  if (!attrs.namespace) return noOpinion('can only read namespaced object of this type');
  if (!attrs.name) return noOpinion('No Object name found');
  return graph.nodeReferences(node, kind, attrs.namespace, attrs.name) ? ALLOW : noRelationship(node);
}

function authorizeStatic(attrs: ResourceAttributes): AuthorizerDecision {
  const { apiGroup, resource, subresource, verb } = attrs;
  if (subresource) return NO_OPINION;
  const allowed =
    (apiGroup === '' && (resource === 'services' || resource === 'endpoints') && READ.includes(verb)) ||
    (apiGroup === '' && resource === 'namespaces' && verb === 'get') ||
    ((apiGroup === '' || apiGroup === 'events.k8s.io') &&
      resource === 'events' &&
      EVENT_WRITES.includes(verb)) ||
    (apiGroup === 'authorization.k8s.io' && resource === 'selfsubjectaccessreviews' && verb === 'create');
  return allowed ? ALLOW : NO_OPINION;
}

export function authorizeNode(attrs: Attributes, graph: NodeRelations): AuthorizerDecision {
  const node = nodeIdentity(attrs.user);
  if (node === undefined || attrs.kind !== 'resource') return NO_OPINION;
  if (node === '') return deny(`unknown node for user "${attrs.user.name}"`);
  if (attrs.apiGroup === 'coordination.k8s.io' && attrs.resource === 'leases')
    return authorizeLease(node, attrs);
  if (attrs.apiGroup !== '') return authorizeStatic(attrs);
  switch (attrs.resource) {
    case 'nodes':
      return authorizeNodeObject(node, attrs);
    case 'pods':
      return authorizePod(node, attrs, graph);
    case 'secrets':
    case 'configmaps':
      return authorizeReferenced(node, attrs, attrs.resource, graph);
    default:
      return authorizeStatic(attrs);
  }
}

/** The Node authorizer over a graph, for an authorizer chain. */
export function nodeAuthorizer(graph: NodeRelations): (attrs: Attributes) => AuthorizerDecision {
  return (attrs) => authorizeNode(attrs, graph);
}
