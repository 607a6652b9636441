/**
 * Whether a user already holds every permission a Role, ClusterRole or binding would grant, as
 * upstream's escalation check (registry/rbac/validation) decides it. Pure.
 *
 * Contract:
 * - `userRules` are the rules bound to the user where the grant would apply: ClusterRoleBindings
 *   always, plus the RoleBindings of `namespace` when it is set (a ClusterRole or ClusterRoleBinding
 *   is checked against the cluster-wide rules alone);
 * - `missingRules` breaks each requested rule into one rule per (group, resource, verb, name) and per
 *   (URL, verb), and returns those no held rule covers; empty means the request escalates nothing.
 *   Coverage is upstream's, which is stricter than matching a request: a requested `*` is covered
 *   only by a held `*`, a held `pods` does not cover a requested `pods/*`, and a rule restricted to
 *   resource names never covers an unrestricted one;
 * - `escalationMessage` words a refusal as upstream does, the missing rules compacted and sorted.
 */
import { goQuote } from '../admission/go-format.js';
import type { BindingObject, PolicyRule, RbacPolicy, RoleRef } from './rbac-authorizer.js';
import { subjectMatches } from './rbac-authorizer.js';
import type { UserInfo } from './user-info.js';

const ALL = '*';

function roleRules(policy: RbacPolicy, ref: RoleRef | undefined, bindingNamespace: string): PolicyRule[] {
  const name = ref?.name ?? '';
  if (ref?.kind === 'ClusterRole') return policy.clusterRole(name)?.rules ?? [];
  if (ref?.kind === 'Role' && bindingNamespace) return policy.role(bindingNamespace, name)?.rules ?? [];
  return [];
}

/** Every rule bound to `user` that applies in `namespace` ('' for cluster-wide only). */
export function userRules(user: UserInfo, namespace: string, policy: RbacPolicy): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const collect = (bindings: Iterable<BindingObject>, bindingNamespace: string) => {
    for (const binding of bindings) {
      if ((binding.subjects ?? []).some((s) => subjectMatches(s, user, bindingNamespace)))
        rules.push(...roleRules(policy, binding.roleRef, bindingNamespace));
    }
  };
  collect(policy.clusterRoleBindings(), '');
  if (namespace) collect(policy.roleBindings(namespace), namespace);
  return rules;
}

/** One rule per (group, resource, verb, resource name) and per (non-resource URL, verb). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const verbs = rule.verbs ?? [];
  const names = rule.resourceNames ?? [];
  const pieces: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of verbs) {
        const base = { apiGroups: [group], resources: [resource], verbs: [verb] };
        if (names.length) for (const name of names) pieces.push({ ...base, resourceNames: [name] });
        else pieces.push(base);
      }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of verbs) pieces.push({ nonResourceURLs: [url], verbs: [verb] });
  return pieces;
}

function hasAll(held: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((w) => held?.includes(w));
}

function resourcesCovered(
  held: readonly string[] | undefined,
  wanted: readonly string[] | undefined,
): boolean {
  if (held?.includes(ALL)) return true;
  return (wanted ?? []).every((resource) => {
    if (held?.includes(resource)) return true;
    const slash = resource.indexOf('/');
    return slash >= 0 && Boolean(held?.includes(`${ALL}${resource.slice(slash)}`));
  });
}

function urlCovered(held: string, wanted: string): boolean {
  return held === wanted || (held.endsWith(ALL) && wanted.startsWith(held.replace(/\*+$/, '')));
}

/** Whether `held` grants everything `wanted` does, by upstream's coverage rules. */
export function ruleCovers(held: PolicyRule, wanted: PolicyRule): boolean {
  const verbs = Boolean(held.verbs?.includes(ALL)) || hasAll(held.verbs, wanted.verbs);
  const groups = Boolean(held.apiGroups?.includes(ALL)) || hasAll(held.apiGroups, wanted.apiGroups);
  const urls = (wanted.nonResourceURLs ?? []).every((url) =>
    (held.nonResourceURLs ?? []).some((h) => urlCovered(h, url)),
  );
  const heldNames = held.resourceNames ?? [];
  const names =
    heldNames.length === 0 ||
    ((wanted.resourceNames ?? []).length > 0 && hasAll(heldNames, wanted.resourceNames));
  return verbs && groups && resourcesCovered(held.resources, wanted.resources) && urls && names;
}

/** The pieces of `requested` that no rule in `held` covers; empty when `held` covers them all. */
export function missingRules(held: readonly PolicyRule[], requested: readonly PolicyRule[]): PolicyRule[] {
  return requested.flatMap(breakdownRule).filter((piece) => !held.some((rule) => ruleCovers(rule, piece)));
}

/** Merges single-resource rules that differ only in verbs, as upstream's CompactRules. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  const others: PolicyRule[] = [];
  for (const rule of rules) {
    const simple =
      rule.apiGroups?.length === 1 &&
      rule.resources?.length === 1 &&
      (rule.resourceNames ?? []).length <= 1 &&
      !(rule.nonResourceURLs ?? []).length;
    if (!simple) {
      others.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups, rule.resources, rule.resourceNames ?? []]);
    const existing = merged.get(key);
    if (!existing) merged.set(key, { ...rule, verbs: [...(rule.verbs ?? [])] });
    else for (const verb of rule.verbs ?? []) if (!existing.verbs!.includes(verb)) existing.verbs!.push(verb);
  }
  return [...others, ...merged.values()];
}

/** Go's `%q` of a `[]string`: `["a" "b"]`. */
function quotedList(values: readonly string[]): string {
  return `[${values.map(goQuote).join(' ')}]`;
}

/** Upstream's PolicyRule.CompactString: only the fields that are set. */
export function compactString(rule: PolicyRule): string {
  const fields: [string, string[] | undefined][] = [
    ['APIGroups', rule.apiGroups],
    ['Resources', rule.resources],
    ['NonResourceURLs', rule.nonResourceURLs],
    ['ResourceNames', rule.resourceNames],
    ['Verbs', rule.verbs],
  ];
  const parts = fields
    .filter(([, values]) => values?.length)
    .map(([label, values]) => `${label}:${quotedList(values!)}`);
  return `{${parts.join(', ')}}`;
}

/** The refusal's text, without the `<resource> "<name>" is forbidden: ` prefix. */
export function escalationMessage(user: UserInfo, missing: readonly PolicyRule[]): string {
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  return `user ${goQuote(user.name)} (groups=${quotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
}
