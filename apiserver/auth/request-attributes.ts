/**
 * The authorization attributes of an HTTP request, derived as upstream's RequestInfoFactory does:
 * resource URLs (parsed by request-path.ts, the same parse that routes them) give verb, API group,
 * resource, subresource, namespace and name; every other URL is a non-resource request on its path
 * with the lower-cased method as verb. Pure.
 */
import { parseFieldSelector } from '../field-selector.js';
import type { FieldRequirement } from '../field-selector.js';
import { parseResourcePath } from '../http/request-path.js';
import type { UserInfo } from './user-info.js';

export interface ResourceAttributes {
  kind: 'resource';
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /**
   * The field selector of a list, watch or deletecollection, as upstream hands it to authorizers
   * (the Node authorizer lets a node list its own pods by `spec.nodeName`); absent when there is none
   * or it does not parse.
   */
  fieldSelector?: readonly FieldRequirement[];
}

export interface NonResourceAttributes {
  kind: 'non-resource';
  verb: string;
  path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

/** What the authorizer decides on: who, and what they ask to do. */
export type Attributes = RequestAttributes & { user: UserInfo };

const METHOD_VERBS: Readonly<Record<string, string>> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

function isTrue(value: unknown): boolean {
  return typeof value === 'string' && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}

/** The name a list or watch is narrowed to by `fieldSelector=metadata.name=<name>`, which upstream authorizes as that name. */
function selectedName(fieldSelector: unknown): string {
  if (typeof fieldSelector !== 'string') return '';
  for (const term of fieldSelector.split(',')) {
    const match = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (match) return match[1];
  }
  return '';
}

function fieldRequirements(fieldSelector: unknown): readonly FieldRequirement[] | undefined {
  if (typeof fieldSelector !== 'string' || fieldSelector === '') return undefined;
  try {
    const requirements = parseFieldSelector(fieldSelector).requirements;
    return requirements.length ? requirements : undefined;
  } catch {
    // Upstream authorizes as if there were no selector; the handler then refuses it with a 400.
    return undefined;
  }
}

export function requestAttributes(
  method: string,
  path: string,
  query: Readonly<Record<string, unknown>>,
): RequestAttributes {
  const parsed = parseResourcePath(path);
  const methodVerb = METHOD_VERBS[method.toUpperCase()];
  if (parsed.kind !== 'resource' || !methodVerb) {
    return { kind: 'non-resource', verb: method.toLowerCase(), path };
  }
  const p = parsed.path;
  let verb = methodVerb;
  let name = p.name ?? '';
  if (!p.name && verb === 'get') {
    verb = isTrue(query.watch) ? 'watch' : 'list';
    name = selectedName(query.fieldSelector);
  }
  if (!p.name && verb === 'delete') verb = 'deletecollection';
  const collection = verb === 'list' || verb === 'watch' || verb === 'deletecollection';
  const fieldSelector = collection ? fieldRequirements(query.fieldSelector) : undefined;
  // `/api/v1/namespaces/foo` is also *in* namespace foo, so a RoleBinding there can grant it.
  const namespace = p.namespace ?? (p.plural === 'namespaces' && p.name ? p.name : '');
  return {
    kind: 'resource',
    verb,
    apiGroup: p.group,
    apiVersion: p.version,
    resource: p.plural,
    subresource: p.subresource ?? '',
    namespace,
    name,
    ...(fieldSelector ? { fieldSelector } : {}),
  };
}
