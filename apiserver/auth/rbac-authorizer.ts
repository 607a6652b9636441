/**
 * Upstream's authorization decision over RBAC objects. Pure: the objects come in through `RbacPolicy`
 * (rbac-index.ts keeps one in memory), the attributes from request-attributes.ts.
 *
 * Contract, as upstream's privileged-group and RBAC authorizers together:
 * - members of `system:masters` are allowed everything;
 * - otherwise a request is allowed when a rule of a role bound to the user allows it: ClusterRoles
 *   bound by ClusterRoleBindings apply everywhere (and are the only source of non-resource URLs);
 *   Roles and ClusterRoles bound by a RoleBinding apply only in that binding's namespace;
 * - the reason is upstream's: `RBAC: allowed by <binding>` for an allowance; for a denial empty, or
 *   `RBAC: <errors>` naming the roles that bindings applying to the user refer to but that do not exist.
 */
import { goQuote } from '../admission/go-format.js';
import type { Attributes, NonResourceAttributes, ResourceAttributes } from './request-attributes.js';
import type { UserInfo } from './user-info.js';
import { SYSTEM_MASTERS } from './user-info.js';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind?: string;
  apiGroup?: string;
  name?: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

export interface RoleObject {
  metadata: { name?: string; namespace?: string };
  rules?: PolicyRule[];
}

export interface BindingObject {
  metadata: { name?: string; namespace?: string };
  subjects?: Subject[];
  roleRef?: RoleRef;
}

/** The RBAC objects a decision reads. */
export interface RbacPolicy {
  clusterRoleBindings(): Iterable<BindingObject>;
  roleBindings(namespace: string): Iterable<BindingObject>;
  clusterRole(name: string): RoleObject | undefined;
  role(namespace: string, name: string): RoleObject | undefined;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

const ALL = '*';

function has(list: readonly string[] | undefined, value: string): boolean {
  return Boolean(list?.includes(ALL) || list?.includes(value));
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some(
    (r) => r === ALL || r === combined || (subresource !== '' && r === `${ALL}/${subresource}`),
  );
}

function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    (url) => url === ALL || url === path || (url.endsWith(ALL) && path.startsWith(url.slice(0, -1))),
  );
}

export function ruleAllows(rule: PolicyRule, attrs: ResourceAttributes | NonResourceAttributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (attrs.kind === 'non-resource') return nonResourceUrlMatches(rule, attrs.path);
  return (
    has(rule.apiGroups, attrs.apiGroup) &&
    resourceMatches(rule, attrs.resource, attrs.subresource) &&
    (!rule.resourceNames?.length || rule.resourceNames.includes(attrs.name))
  );
}

export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return subject.name !== undefined && user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return Boolean(namespace) && user.name === `system:serviceaccount:${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

function referencedRules(
  policy: RbacPolicy,
  ref: RoleRef | undefined,
  bindingNamespace: string,
): { rules: PolicyRule[] } | { error: string } {
  const name = ref?.name ?? '';
  if (ref?.kind === 'ClusterRole') {
    const role = policy.clusterRole(name);
    return role
      ? { rules: role.rules ?? [] }
      : { error: `clusterrole.rbac.authorization.k8s.io ${goQuote(name)} not found` };
  }
  if (ref?.kind === 'Role') {
    const role = bindingNamespace ? policy.role(bindingNamespace, name) : undefined;
    return role
      ? { rules: role.rules ?? [] }
      : { error: `role.rbac.authorization.k8s.io ${goQuote(name)} not found` };
  }
  return { error: `unsupported role reference kind: ${goQuote(ref?.kind ?? '')}` };
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  const name =
    subject.kind === 'ServiceAccount'
      ? `${subject.name ?? ''}/${subject.namespace || bindingNamespace}`
      : (subject.name ?? '');
  return `${subject.kind ?? ''} ${goQuote(name)}`;
}

function describeBinding(binding: BindingObject, subject: Subject, bindingNamespace: string): string {
  const name = bindingNamespace
    ? `RoleBinding ${goQuote(`${binding.metadata.name ?? ''}/${bindingNamespace}`)}`
    : `ClusterRoleBinding ${goQuote(binding.metadata.name ?? '')}`;
  const ref = binding.roleRef;
  return `${name} of ${ref?.kind ?? ''} ${goQuote(ref?.name ?? '')} to ${describeSubject(subject, bindingNamespace)}`;
}

/**
 * Whether the request is allowed, with upstream's reason: which binding allowed it, or why bindings
 * that applied could not be read.
 */
export function authorize(attrs: Attributes, policy: RbacPolicy): Decision {
  if (attrs.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
  const errors: string[] = [];
  const grant = (bindings: Iterable<BindingObject>, bindingNamespace: string): string | undefined => {
    for (const binding of bindings) {
      const subject = (binding.subjects ?? []).find((s) => subjectMatches(s, attrs.user, bindingNamespace));
      if (!subject) continue;
      const found = referencedRules(policy, binding.roleRef, bindingNamespace);
      if ('error' in found) errors.push(found.error);
      else if (found.rules.some((rule) => ruleAllows(rule, attrs)))
        return `RBAC: allowed by ${describeBinding(binding, subject, bindingNamespace)}`;
    }
    return undefined;
  };
  const namespace = attrs.kind === 'resource' ? attrs.namespace : '';
  const allowedBy =
    grant(policy.clusterRoleBindings(), '') ??
    (namespace ? grant(policy.roleBindings(namespace), namespace) : undefined);
  if (allowedBy) return { allowed: true, reason: allowedBy };
  return { allowed: false, reason: errors.length ? `RBAC: ${aggregate(errors)}` : '' };
}

/** Go's utilerrors.NewAggregate(...).Error(): one message alone, several as `[a, b]`, duplicates once. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}
