/**
 * Upstream's privilege-escalation prevention for RBAC writes: nobody can grant, through a Role,
 * ClusterRole or binding, a permission they do not hold themselves. Pure: the policy is read through
 * `RbacPolicy`, the requesting user comes from the caller.
 *
 * Contract, as upstream's policy-based RBAC storage:
 * - members of `system:masters` may write anything;
 * - a Role or ClusterRole is admitted when the user may `escalate` roles/clusterroles, or already
 *   holds every rule in it (in the Role's namespace, or cluster-wide for a ClusterRole); setting an
 *   aggregationRule, which can gather anything, takes every permission there is;
 * - a RoleBinding or ClusterRoleBinding is admitted when the user may `bind` the referenced role
 *   (resourceNames may single it out), or already holds every rule of that role (in the binding's
 *   namespace, or cluster-wide); a role that does not exist is a 404;
 * - a refusal is a 403 naming the missing rules.
 */
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import { ApiError, notFound, qualifiedResource } from '../api-error.js';
import { escalationMessage, missingRules, userRules } from '../auth/escalation-check.js';
import type { PolicyRule, RbacPolicy, RoleRef } from '../auth/rbac-authorizer.js';
import { authorize } from '../auth/rbac-authorizer.js';
import type { UserInfo } from '../auth/user-info.js';
import { SYSTEM_MASTERS } from '../auth/user-info.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const ROLE_RESOURCES = new Set(['roles', 'clusterroles']);
const BINDING_RESOURCES = new Set(['rolebindings', 'clusterrolebindings']);

/** What aggregating a ClusterRole takes, since its rules are whatever the selected roles hold. */
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

export interface RbacWrite {
  /** The plural of the resource written, e.g. `rolebindings`. */
  resource: string;
  /** The namespace of the request; '' for cluster-scoped objects. */
  namespace: string;
  /** The name in the request's URL; '' for a create. */
  requestName: string;
  object: KubeObject;
  user: UserInfo;
}

/** Whether writes of this resource are checked for escalation. */
export function guardsEscalation(group: string, plural: string): boolean {
  return group === RBAC_GROUP && (ROLE_RESOURCES.has(plural) || BINDING_RESOURCES.has(plural));
}

function allowedTo(
  verb: string,
  resource: string,
  apiGroup: string,
  write: RbacWrite,
  name: string,
  policy: RbacPolicy,
): boolean {
  return authorize(
    {
      kind: 'resource',
      verb,
      apiGroup,
      apiVersion: '*',
      resource,
      subresource: '',
      namespace: write.namespace,
      name,
      user: write.user,
    },
    policy,
  ).allowed;
}

function refuse(write: RbacWrite, why: string): ApiError {
  const name = write.object.metadata?.name ?? '';
  const resource = qualifiedResource(write.resource, RBAC_GROUP);
  const message = name ? `${resource} "${name}" is forbidden: ${why}` : `${resource} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, {
    ...(name ? { name } : {}),
    group: RBAC_GROUP,
    kind: write.resource,
  });
}

function rulesOf(obj: unknown): PolicyRule[] {
  return isPlainObject(obj) && Array.isArray(obj.rules) ? (obj.rules as PolicyRule[]) : [];
}

function admitRole(write: RbacWrite, policy: RbacPolicy): void {
  if (allowedTo('escalate', write.resource, RBAC_GROUP, write, write.requestName, policy)) return;
  const held = userRules(write.user, write.namespace, policy);
  const missing = missingRules(held, rulesOf(write.object));
  if (missing.length) throw refuse(write, escalationMessage(write.user, missing));
  if (write.resource === 'clusterroles' && write.object.aggregationRule !== undefined) {
    if (missingRules(held, FULL_AUTHORITY).length)
      throw refuse(write, 'must have cluster-admin privileges to use the aggregationRule');
  }
}

function admitBinding(write: RbacWrite, policy: RbacPolicy): void {
  const ref = (isPlainObject(write.object.roleRef) ? write.object.roleRef : {}) as RoleRef;
  const name = ref.name ?? '';
  const roleResource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : '';
  // Validation reports a malformed roleRef; only a well-formed one that names nothing is a 404 here.
  if (!roleResource) return;
  if (allowedTo('bind', roleResource, ref.apiGroup ?? '', write, name, policy)) return;
  const role =
    roleResource === 'clusterroles'
      ? policy.clusterRole(name)
      : write.namespace
        ? policy.role(write.namespace, name)
        : undefined;
  if (!role) throw notFound(roleResource, RBAC_GROUP, name);
  const missing = missingRules(userRules(write.user, write.namespace, policy), role.rules ?? []);
  if (missing.length) throw refuse(write, escalationMessage(write.user, missing));
}

/** Throws upstream's 403 when the write would grant what the user does not hold. */
export function admitRbacWrite(write: RbacWrite, policy: RbacPolicy): void {
  if (write.user.groups.includes(SYSTEM_MASTERS)) return;
  if (ROLE_RESOURCES.has(write.resource)) admitRole(write, policy);
  else if (BINDING_RESOURCES.has(write.resource)) admitBinding(write, policy);
}
