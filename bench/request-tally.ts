/**
 * Counts the requests an in-process API server receives, by verb and resource, through Node's
 * `http.server.request.start` diagnostics channel: the server needs no hook of its own, and a
 * benchmark can say how many writes of each kind one pod cost.
 *
 * `requestKey` is pure: `PATCH /api/v1/namespaces/ns/pods/p/status` → `PATCH pods/status`,
 * `GET /api/v1/pods?watch=true` → `WATCH pods`, `GET …/pods?…` → `LIST pods`.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

export function requestKey(method: string, url: string): string {
  const [path, query = ''] = url.split('?', 2);
  const parts = path.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return `${method} ${path}`;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  if (!resource) return `${method} (discovery)`;
  const target = subresource ? `${resource}/${subresource}` : resource;
  if (method === 'GET' && name === undefined) {
    const watching = new URLSearchParams(query).get('watch');
    return `${watching === 'true' || watching === '1' ? 'WATCH' : 'LIST'} ${target}`;
  }
  return `${method} ${target}`;
}

export class RequestTally {
  private counts = new Map<string, number>();
  private readonly onRequest = (message: unknown) => {
    const { request } = message as { request: IncomingMessage };
    const key = requestKey(request.method ?? '', request.url ?? '');
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };

  constructor() {
    diagnosticsChannel.subscribe('http.server.request.start', this.onRequest);
  }

  /** The counts since the last call, and starts counting afresh. */
  take(): Map<string, number> {
    const counts = this.counts;
    this.counts = new Map();
    return counts;
  }

  close(): void {
    diagnosticsChannel.unsubscribe('http.server.request.start', this.onRequest);
  }
}
