/**
 * Validation and defaulting of rbac.authorization.k8s.io/v1 objects with upstream's rules and wording
 * (pkg/apis/rbac/validation, rbac/v1 defaults). Pure; inputs are never modified except by the
 * defaulter, which fills the copy it is given.
 */
import { child, fieldError, goLiteral, index, invalidFor, type FieldCause } from './field-error.js';
import { goQuote, goStringSlice, goStruct } from './go-format.js';
import { objectAt, objectsAt, stringAt, stringsAt, type JsonObject } from './json-shape.js';
import { isDNS1123Subdomain, isPathSegmentName } from './name-rules.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group'];

function validateRule(rule: JsonObject, namespaced: boolean, path: string): FieldCause[] {
  const errs: FieldCause[] = [];
  const verbs = stringsAt(rule.verbs);
  const urls = stringsAt(rule.nonResourceURLs);
  if (verbs.length === 0)
    errs.push(fieldError.required(child(path, 'verbs'), 'verbs must contain at least one value'));
  if (urls.length > 0) {
    const urlsField = child(path, 'nonResourceURLs');
    if (namespaced)
      errs.push(
        fieldError.invalid(
          urlsField,
          goLiteral(goStringSlice(urls)),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (
      stringsAt(rule.apiGroups).length ||
      stringsAt(rule.resources).length ||
      stringsAt(rule.resourceNames).length
    )
      errs.push(
        fieldError.invalid(
          urlsField,
          goLiteral(goStringSlice(urls)),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    return errs;
  }
  if (stringsAt(rule.apiGroups).length === 0)
    errs.push(
      fieldError.required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'),
    );
  if (stringsAt(rule.resources).length === 0)
    errs.push(
      fieldError.required(child(path, 'resources'), 'resource rules must supply at least one resource'),
    );
  return errs;
}

function validateRules(obj: JsonObject, namespaced: boolean): FieldCause[] {
  return objectsAt(obj.rules).flatMap((rule, i) => validateRule(rule, namespaced, index('rules', i)));
}

export const validateRole = (obj: JsonObject): FieldCause[] => validateRules(obj, true);
export const validateClusterRole = (obj: JsonObject): FieldCause[] => validateRules(obj, false);

function validateSubject(subject: JsonObject, namespaced: boolean, path: string): FieldCause[] {
  const errs: FieldCause[] = [];
  const name = stringAt(subject.name);
  const apiGroup = stringAt(subject.apiGroup);
  if (!name) errs.push(fieldError.required(child(path, 'name')));
  switch (stringAt(subject.kind)) {
    case 'ServiceAccount':
      if (name) errs.push(...invalidFor(child(path, 'name'), name, isDNS1123Subdomain(name)));
      if (apiGroup) errs.push(fieldError.notSupported(child(path, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && !stringAt(subject.namespace))
        errs.push(fieldError.required(child(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP)
        errs.push(fieldError.notSupported(child(path, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldError.notSupported(child(path, 'kind'), stringAt(subject.kind), SUBJECT_KINDS));
  }
  return errs;
}

function validateBinding(obj: JsonObject, namespaced: boolean): FieldCause[] {
  const errs: FieldCause[] = [];
  const ref = objectAt(obj.roleRef) ?? {};
  const apiGroup = stringAt(ref.apiGroup);
  if (apiGroup !== RBAC_GROUP) errs.push(fieldError.notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const kind = stringAt(ref.kind);
  if (!kinds.includes(kind)) errs.push(fieldError.notSupported('roleRef.kind', kind, kinds));
  const name = stringAt(ref.name);
  if (!name) errs.push(fieldError.required('roleRef.name'));
  else errs.push(...invalidFor('roleRef.name', name, isPathSegmentName(name, false)));
  objectsAt(obj.subjects).forEach((subject, i) =>
    errs.push(...validateSubject(subject, namespaced, index('subjects', i))),
  );
  return errs;
}

export const validateRoleBinding = (obj: JsonObject): FieldCause[] => validateBinding(obj, true);
export const validateClusterRoleBinding = (obj: JsonObject): FieldCause[] => validateBinding(obj, false);

function renderRoleRef(ref: JsonObject): string {
  return goStruct('rbac.RoleRef', [
    ['APIGroup', goQuote(stringAt(ref.apiGroup))],
    ['Kind', goQuote(stringAt(ref.kind))],
    ['Name', goQuote(stringAt(ref.name))],
  ]);
}

/** A binding's roleRef never changes: upstream makes you delete and recreate the binding. */
export function validateBindingUpdate(obj: JsonObject, old: JsonObject): FieldCause[] {
  const ref = objectAt(obj.roleRef) ?? {};
  const oldRef = objectAt(old.roleRef) ?? {};
  const same = ['apiGroup', 'kind', 'name'].every((f) => stringAt(ref[f]) === stringAt(oldRef[f]));
  return same ? [] : [fieldError.invalid('roleRef', goLiteral(renderRoleRef(ref)), 'cannot change roleRef')];
}

/** rbac/v1's SetDefaults_Subject: User and Group subjects without an apiGroup are RBAC's. */
export function defaultBindingSubjects(obj: JsonObject): void {
  for (const subject of objectsAt(obj.subjects)) {
    if (stringAt(subject.apiGroup)) continue;
    const kind = stringAt(subject.kind);
    if (kind === 'User' || kind === 'Group') subject.apiGroup = RBAC_GROUP;
  }
}
