/**
 * The 403 a denied request gets, worded as upstream's responsewriters.Forbidden and
 * apierrors.NewForbidden word it, e.g. `pods "web" is forbidden: User "jane" cannot delete resource
 * "pods" in API group "" in the namespace "default"`. Pure.
 */
import { ApiError, qualifiedResource } from '../api-error.js';
import { goQuote } from '../admission/go-format.js';
import type { Attributes } from './request-attributes.js';

/** What the user cannot do, without the resource prefix. */
export function forbiddenMessage(attrs: Attributes): string {
  const user = goQuote(attrs.user.name);
  if (attrs.kind === 'non-resource') return `User ${user} cannot ${attrs.verb} path ${goQuote(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const what = `User ${user} cannot ${attrs.verb} resource ${goQuote(resource)} in API group ${goQuote(attrs.apiGroup)}`;
  return attrs.namespace
    ? `${what} in the namespace ${goQuote(attrs.namespace)}`
    : `${what} at the cluster scope`;
}

export function forbidden(attrs: Attributes, reason: string): ApiError {
  const detail = reason ? `${forbiddenMessage(attrs)}: ${reason}` : forbiddenMessage(attrs);
  if (attrs.kind === 'non-resource') return new ApiError(403, 'Forbidden', `forbidden: ${detail}`, {});
  const resource = qualifiedResource(attrs.resource, attrs.apiGroup);
  const message = attrs.name
    ? `${resource} ${goQuote(attrs.name)} is forbidden: ${detail}`
    : `${resource} is forbidden: ${detail}`;
  return new ApiError(403, 'Forbidden', message, {
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(attrs.apiGroup ? { group: attrs.apiGroup } : {}),
    kind: attrs.resource,
  });
}
