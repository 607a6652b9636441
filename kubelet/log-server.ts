/**
 * The kubelet's HTTP endpoint for container logs, which the API server's `pods/<name>/log` proxies
 * to (see apiserver/http/pod-log.ts): `GET /containerLogs/<namespace>/<pod>/<container>` with the
 * query parameters of PodLogOptions: follow, tailLines, timestamps, previous, sinceSeconds,
 * sinceTime, limitBytes. Also `GET /healthz`.
 *
 * Contract:
 * - The container is the newest runtime container of that name in the pod (`previous`: the one
 *   before it), found through the runtime's labels, so logs of a container that already exited can
 *   still be read as long as the runtime keeps it.
 * - Errors are plain text with upstream's messages: 404 for an unknown pod, 400 for a container that
 *   has not started (or has no previous instance) and for malformed parameters.
 * - A followed stream lasts until the container stops or the client goes away, whichever is first;
 *   the client going away releases the runtime's stream.
 * - With `tls` it serves HTTPS and demands a client certificate signed by `clientCA` (a client
 *   without one fails the TLS handshake); a verified client whose subject CN is not among
 *   `allowedClientNames` (default: the API server's, `kube-apiserver-kubelet-client`) gets 403 with
 *   upstream's message. That holds for `/healthz` too: upstream serves an open healthz on a port of
 *   its own, which this endpoint does not have. Without `tls` it is plain HTTP, unauthenticated:
 *   bind it to an address only the API server and the cluster's hosts reach.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { Pod } from './api-types.js';
import type { ContainerRuntime, ContainerSummary, LogOptions } from './runtime/runtime.js';

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceTime?: number;
  limitBytes?: number;
}

/** The subject CN of the client certificate the API server presents to kubelets. */
export const API_SERVER_KUBELET_CLIENT = 'kube-apiserver-kubelet-client';

export interface LogServerTls {
  /** The serving certificate and key (PEM). */
  cert: string;
  key: string;
  /** The CA (PEM) that must have signed a client's certificate. */
  clientCA: string;
  /** The client certificate subject CNs let in; default: only the API server's. */
  allowedClientNames?: readonly string[];
}

export interface LogServerOptions {
  runtime: Pick<ContainerRuntime, 'logs' | 'listContainers'>;
  /** The pod of that name if this node runs it. */
  findPod(namespace: string, name: string): Pod | undefined;
  now?: () => number;
  /** Serve HTTPS to certified clients only; plain HTTP without. */
  tls?: LogServerTls;
}

export type LogServer = http.Server | https.Server;

export class LogRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function booleanParam(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  return value !== null && value !== 'false' && value !== '0';
}

function integerParam(params: URLSearchParams, name: string, min: number): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new LogRequestError(400, `${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** Parses `/containerLogs/...` with its query; throws LogRequestError for what is malformed. */
export function parseLogRequest(url: URL, now: number): LogRequest {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length !== 4 || parts[0] !== 'containerLogs') {
    throw new LogRequestError(404, `not found: ${url.pathname}`);
  }
  const params = url.searchParams;
  const request: LogRequest = {
    namespace: parts[1],
    pod: parts[2],
    container: parts[3],
    follow: booleanParam(params, 'follow'),
    previous: booleanParam(params, 'previous'),
    timestamps: booleanParam(params, 'timestamps'),
    tailLines: integerParam(params, 'tailLines', 0),
    limitBytes: integerParam(params, 'limitBytes', 1),
  };
  const sinceSeconds = integerParam(params, 'sinceSeconds', 1);
  const sinceTime = params.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) {
    throw new LogRequestError(400, 'at most one of sinceTime or sinceSeconds may be specified');
  }
  if (sinceSeconds !== undefined) request.sinceTime = now - sinceSeconds * 1000;
  if (sinceTime) {
    const parsed = Date.parse(sinceTime);
    if (Number.isNaN(parsed))
      throw new LogRequestError(400, `sinceTime must be an RFC 3339 time, got "${sinceTime}"`);
    request.sinceTime = parsed;
  }
  return request;
}

/** Newest first: by creation, then restart count (two attempts in the same second). */
export function pickContainer(
  containers: ContainerSummary[],
  name: string,
  previous: boolean,
): ContainerSummary | undefined {
  const attempts = containers
    .filter((c) => c.name === name)
    .sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);
  return attempts[previous ? 1 : 0];
}

/** Passes at most `limit` bytes, then ends the stream. */
class ByteLimit extends Transform {
  private left: number;
  constructor(limit: number) {
    super();
    this.left = limit;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.left <= 0) return callback();
    const part = chunk.length > this.left ? chunk.subarray(0, this.left) : chunk;
    this.left -= part.length;
    this.push(part);
    if (this.left <= 0) this.end();
    callback();
  }
}

async function serveLogs(options: LogServerOptions, req: http.IncomingMessage, res: http.ServerResponse) {
  const now = options.now ?? (() => Date.now());
  const request = parseLogRequest(new URL(req.url ?? '/', 'http://kubelet'), now());
  const pod = options.findPod(request.namespace, request.pod);
  if (!pod)
    throw new LogRequestError(404, `pod "${request.pod}" in namespace "${request.namespace}" not found`);
  const known = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some(
    (c) => c.name === request.container,
  );
  if (!known) {
    throw new LogRequestError(400, `container ${request.container} is not valid for pod ${request.pod}`);
  }
  const containers = await options.runtime.listContainers({ podUid: pod.metadata?.uid ?? '' });
  const container = pickContainer(containers, request.container, request.previous);
  if (!container) {
    throw new LogRequestError(
      400,
      request.previous
        ? `previous terminated container "${request.container}" in pod "${request.pod}" not found`
        : `container "${request.container}" in pod "${request.pod}" is waiting to start: ContainerCreating`,
    );
  }
  const abort = new AbortController();
  const logOptions: LogOptions = {
    follow: request.follow && container.state === 'running' && !request.previous,
    tailLines: request.tailLines,
    timestamps: request.timestamps,
    sinceTime: request.sinceTime,
    signal: abort.signal,
  };
  const stream = await options.runtime.logs(container.id, logOptions);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.on('close', () => {
    abort.abort();
    stream.destroy();
  });
  const body = request.limitBytes ? stream.pipe(new ByteLimit(request.limitBytes)) : stream;
  body.on('error', () => res.end());
  body.pipe(res);
}

const VERBS: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * Whether a client certificate's user (its subject CN; undefined: none was verified) may make this
 * request; the refusal carries upstream's kubelet status and message, which name the node
 * subresource the request maps to. Pure.
 */
export function authorizeClient(
  user: string | undefined,
  method: string,
  pathname: string,
  allowed: readonly string[],
): { status: 401 | 403; message: string } | undefined {
  if (user === undefined) return { status: 401, message: 'Unauthorized' };
  if (allowed.includes(user)) return undefined;
  const verb = VERBS[method] ?? method.toLowerCase();
  const subresource = pathname === '/healthz' || pathname.startsWith('/healthz/') ? 'healthz' : 'proxy';
  return {
    status: 403,
    message: `Forbidden (user=${user}, verb=${verb}, resource=nodes, subresource=${subresource})`,
  };
}

function commonName(cert: PeerCertificate): string | undefined {
  const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

export function createLogServer(options: LogServerOptions): LogServer {
  const { tls } = options;
  if (!tls) return http.createServer((req, res) => handle(options, req, res));
  const allowed = tls.allowedClientNames ?? [API_SERVER_KUBELET_CLIENT];
  return https.createServer(
    { cert: tls.cert, key: tls.key, ca: tls.clientCA, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const user = socket.authorized ? commonName(socket.getPeerCertificate()) : undefined;
      const pathname = new URL(req.url ?? '/', 'https://kubelet').pathname;
      const refused = authorizeClient(user, req.method ?? 'GET', pathname, allowed);
      if (refused) {
        res.writeHead(refused.status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(refused.message);
        return;
      }
      handle(options, req, res);
    },
  );
}

function handle(options: LogServerOptions, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  if (req.method === 'GET' && (url === '/healthz' || url.startsWith('/healthz?'))) {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method !== 'GET') {
    res.writeHead(405, { 'Content-Type': 'text/plain' }).end('method not allowed');
    return;
  }
  serveLogs(options, req, res).catch((err: unknown) => {
    const status = err instanceof LogRequestError ? err.status : 500;
    const message = err instanceof Error ? err.message : String(err);
    if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain' }).end(message);
    else res.end();
  });
}

export async function listen(server: LogServer, address: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
