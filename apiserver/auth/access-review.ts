/**
 * SelfSubjectAccessReview (authorization.k8s.io/v1), what `kubectl auth can-i` asks: the requesting
 * user's own RBAC decision on the attributes in the spec, returned in status and never stored. Pure.
 */
import { invalid } from '../api-error.js';
import type { KubeObject } from '../api-object.js';
import { fieldError, goLiteral } from '../admission/field-error.js';
import { goQuote, goStruct } from '../admission/go-format.js';
import { objectAt, stringAt, type JsonObject } from '../admission/json-shape.js';
import type { RbacPolicy } from './rbac-authorizer.js';
import { authorize } from './rbac-authorizer.js';
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
  return {
    kind: 'resource',
    verb: stringAt(resource.verb),
    apiGroup: stringAt(resource.group),
    apiVersion: stringAt(resource.version),
    resource: stringAt(resource.resource),
    subresource: stringAt(resource.subresource),
    namespace: stringAt(resource.namespace),
    name: stringAt(resource.name),
    user,
  };
}

/** The review as upstream returns it: the request's metadata and spec with the decision in status. */
export function reviewSelfAccess(body: KubeObject, user: UserInfo, policy: RbacPolicy): KubeObject {
  const spec = objectAt(body.spec) ?? {};
  const decision = authorize(reviewAttributes(spec, user), policy);
  return {
    kind: KIND,
    apiVersion: `${GROUP}/v1`,
    metadata: { ...objectAt(body.metadata), creationTimestamp: null },
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  };
}
