/**
 * SelfSubjectAccessReview (authorization.k8s.io/v1), what `kubectl auth can-i` asks: the requesting
 * user's own decision by the same authorizer chain that authorizes requests (Node, then RBAC) on the
 * attributes in the spec, returned in status and never stored. Pure.
 */
import { invalid } from '../api-error.js';
import type { KubeObject } from '../api-object.js';
import { fieldError, goLiteral } from '../admission/field-error.js';
import { goQuote, goStruct } from '../admission/go-format.js';
import { objectAt, stringAt, type JsonObject } from '../admission/json-shape.js';
import { parseFieldSelector } from '../field-selector.js';
import type { FieldRequirement } from '../field-selector.js';
import type { ChainAuthorizer } from './authorizer-chain.js';
import type { Attributes } from './request-attributes.js';
import type { UserInfo } from './user-info.js';

const KIND = 'SelfSubjectAccessReview';
const GROUP = 'authorization.k8s.io';

function renderNonResource(attrs: JsonObject): string {
  return `&${goStruct('authorization.NonResourceAttributes', [
    ['Path', goQuote(stringAt(attrs.path))],
    ['Verb', goQuote(stringAt(attrs.verb))],
  ])}`;
}

/**
 * The spec's field selector (authorization.k8s.io/v1 FieldSelectorAttributes): `rawSelector`, or
 * `requirements` whose single-valued In and NotIn are the `=` and `!=` a selector can say. One that
 * cannot be read counts as none, as upstream authorizes it.
 */
function reviewFieldSelector(resource: JsonObject): readonly FieldRequirement[] | undefined {
  const selector = objectAt(resource.fieldSelector);
  if (!selector) return undefined;
  const raw = stringAt(selector.rawSelector);
  if (raw) {
    try {
      const requirements = parseFieldSelector(raw).requirements;
      return requirements.length ? requirements : undefined;
    } catch {
      return undefined;
    }
  }
  const requirements: FieldRequirement[] = [];
  for (const item of Array.isArray(selector.requirements) ? selector.requirements : []) {
    const req = objectAt(item);
    const values = Array.isArray(req?.values) ? req.values : [];
    const operator = stringAt(req?.operator);
    if (!req || values.length !== 1 || typeof values[0] !== 'string') return undefined;
    if (operator !== 'In' && operator !== 'NotIn') return undefined;
    requirements.push({
      field: stringAt(req.key),
      operator: operator === 'In' ? '=' : '!=',
      value: values[0],
    });
  }
  return requirements.length ? requirements : undefined;
}

function reviewAttributes(spec: JsonObject, user: UserInfo): Attributes {
  const resource = objectAt(spec.resourceAttributes);
  const nonResource = objectAt(spec.nonResourceAttributes);
  if (resource && nonResource)
    throw invalid(KIND, GROUP, '', [
      fieldError.invalid(
        'spec.nonResourceAttributes',
        goLiteral(renderNonResource(nonResource)),
        'cannot be specified in combination with resourceAttributes',
      ),
    ]);
  if (nonResource)
    return { kind: 'non-resource', verb: stringAt(nonResource.verb), path: stringAt(nonResource.path), user };
  if (!resource)
    throw invalid(KIND, GROUP, '', [
      fieldError.invalid(
        'spec.resourceAttributes',
        undefined,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    ]);
  const fieldSelector = reviewFieldSelector(resource);
  return {
    kind: 'resource',
    verb: stringAt(resource.verb),
    apiGroup: stringAt(resource.group),
    apiVersion: stringAt(resource.version),
    resource: stringAt(resource.resource),
    subresource: stringAt(resource.subresource),
    namespace: stringAt(resource.namespace),
    name: stringAt(resource.name),
    ...(fieldSelector ? { fieldSelector } : {}),
    user,
  };
}

/** The review as upstream returns it: the request's metadata and spec with the decision in status. */
export function reviewSelfAccess(body: KubeObject, user: UserInfo, authorize: ChainAuthorizer): KubeObject {
  const spec = objectAt(body.spec) ?? {};
  const decision = authorize(reviewAttributes(spec, user));
  return {
    kind: KIND,
    apiVersion: `${GROUP}/v1`,
    metadata: { ...objectAt(body.metadata), creationTimestamp: null },
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  };
}
