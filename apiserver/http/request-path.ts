/**
 * Parses a resource URL (`/api/v1/namespaces/default/pods/web/status`) into what it addresses. Pure.
 * A segment with a broken percent-escape is a 400, as Go's URL parser refuses it before any handler.
 */
import { badRequest } from '../api-error.js';

export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
}

export type ParsedPath =
  | { kind: 'resource'; path: ResourcePath }
  | { kind: 'group-version'; group: string; version: string }
  | { kind: 'none' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid URL escape ${JSON.stringify(segment)}`);
  }
}

export function parseResourcePath(pathname: string): ParsedPath {
  const parts = pathname.split('/').filter(Boolean);
  // Nearly every URL is plain ASCII; only escaped ones need decoding.
  const segments = pathname.includes('%') ? parts.map(decodeSegment) : parts;
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else {
    return { kind: 'none' };
  }
  if (rest.length === 0) return { kind: 'group-version', group, version };

  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]))
  ) {
    const [, namespace, plural, name, subresource, ...extra] = rest;
    if (extra.length) return { kind: 'none' };
    return { kind: 'resource', path: { group, version, namespace, plural, name, subresource } };
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length) return { kind: 'none' };
  return { kind: 'resource', path: { group, version, plural, name, subresource } };
}
