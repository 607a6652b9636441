/**
 * Caps the requests being served at once, as upstream's `--max-requests-inflight` (reads) and
 * `--max-mutating-requests-inflight` (writes): one request beyond a cap gets 429 TooManyRequests with
 * `Retry-After: 1`, so clients back off instead of piling more work onto a saturated server.
 *
 * Contract: long-running requests (watches, followed pod logs) hold a connection for minutes and are
 * not counted, or a few hundred informers would lock everyone out; health endpoints are never
 * limited, so a busy server is not mistaken for a dead one. A cap of 0 means unlimited. A request
 * frees its slot when its response finishes or its connection closes, whichever comes first.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parseResourcePath } from './request-path.js';
import { queryBool } from './request-query.js';
import type { Query } from './request-query.js';

export type RequestKind = 'readonly' | 'mutating' | 'long-running' | 'exempt';

export interface InFlightLimits {
  /** Reads served at once; 0: unlimited. */
  readonly: number;
  /** Writes served at once; 0: unlimited. */
  mutating: number;
}

const HEALTH_PATHS = ['/healthz', '/livez', '/readyz'];
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isHealthPath(path: string): boolean {
  return HEALTH_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

function isWatchPath(path: string): boolean {
  const segments = path.split('/');
  // /api/v1/watch/... and /apis/<group>/<version>/watch/...
  return (
    (segments[1] === 'api' && segments[3] === 'watch') || (segments[1] === 'apis' && segments[4] === 'watch')
  );
}

/**
 * How a request counts against the caps. Pure. Only reads can be long-running: a write carrying
 * `?watch=true` is still a write, or the flag would be a way round the mutating cap.
 */
export function requestKind(method: string, path: string, query: Query): RequestKind {
  if (isHealthPath(path)) return 'exempt';
  const upper = method.toUpperCase();
  if (!READ_METHODS.has(upper)) return 'mutating';
  if (upper !== 'GET') return 'readonly';
  if (isWatchPath(path)) return 'long-running';
  let parsed;
  try {
    parsed = parseResourcePath(path);
  } catch {
    // An undecodable path is answered with an error by whoever routes it; it is still a read.
    return 'readonly';
  }
  if (parsed.kind !== 'resource') return 'readonly';
  const { name, plural, subresource, group } = parsed.path;
  // Matches the handler: only a collection GET becomes a watch.
  if (name === undefined && queryBool(query, 'watch')) return 'long-running';
  if (group === '' && plural === 'pods' && subresource === 'log' && queryBool(query, 'follow'))
    return 'long-running';
  return 'readonly';
}

const TOO_MANY_REQUESTS = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Too many requests, please try again later.',
  reason: 'TooManyRequests',
  details: { retryAfterSeconds: 1 },
  code: 429,
});

export function maxInFlight(limits: InFlightLimits): RequestHandler {
  const inFlight = { readonly: 0, mutating: 0 };
  return (req: Request, res: Response, next: NextFunction): void => {
    const kind = requestKind(req.method, req.path, req.query as Query);
    if (kind !== 'readonly' && kind !== 'mutating') return next();
    const limit = limits[kind];
    if (limit <= 0) return next();
    if (inFlight[kind] >= limit) {
      res.writeHead(429, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(TOO_MANY_REQUESTS),
        'Retry-After': '1',
      });
      res.end(TOO_MANY_REQUESTS);
      return;
    }
    inFlight[kind]++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight[kind]--;
      res.off('finish', release);
      res.off('close', release);
    };
    res.on('finish', release);
    res.on('close', release);
    next();
  };
}
