/**
 * ApiClient: the small, generic REST client the components use, addressed by (apiVersion, kind).
 *
 * Contract:
 * - Objects go in and come out as the plain JSON the server sends: timestamps stay RFC 3339 strings,
 *   quantities stay strings, nothing is converted to classes. (client-node's typed APIs turn timestamps
 *   into Date objects; mixing the two in one cache would make equality and patches lie, so every
 *   component reads and writes through this client and informers built on it.)
 * - Every non-2xx answer rejects with an `ApiStatusError` carrying the server's `code`, `reason` and
 *   `details`; network failures reject with the Node error itself (e.g. `code: 'ECONNREFUSED'`).
 * - Connection, TLS and credentials come from a `ClusterAccess`, such as client-node's `KubeConfig`
 *   (`applyToHTTPSOptions`), read again when the last reading is `credentialsTtlMs` old (default 1 s,
 *   0: on every request) so refreshed tokens are picked up; a failed reading is not reused.
 *   Connections are kept alive and reused.
 * - Kinds are mapped to resources through discovery (`/api/v1`, `/apis/<group>/<version>`), fetched
 *   once per group version and fetched again when a kind is missing.
 * - Subresources are addressed through the parent's kind: a binding is
 *   `create('v1', 'Pod', ns, binding, { subresource: 'binding', name })`, a status write
 *   `updateStatus('v1', 'Pod', ns, pod)`.
 * - `namespace` is ignored for cluster-scoped kinds; for namespaced kinds an empty namespace means "all
 *   namespaces" when listing or watching and the object's own `metadata.namespace` when writing.
 * - `watch` delivers each event to `onEvent` in order, resolves when the server ends the stream cleanly
 *   or `signal` aborts, and rejects when the stream breaks or `onEvent` throws (the watch is then
 *   closed). An ERROR event is passed to `onEvent` like any other; handling it is the caller's job.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { KubeList, KubeObject, WatchEvent } from '../apiserver/api-object.js';
import { ApiStatusError } from './api-status-error.js';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  limit?: number;
  continue?: string;
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Where to resume; events strictly after it are sent. Empty means "current state first". */
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
}

export interface ReadOptions {
  subresource?: string;
  signal?: AbortSignal;
}

export interface WriteOptions {
  /** e.g. 'status', 'binding', 'eviction', 'scale'. */
  subresource?: string;
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface CreateOptions extends WriteOptions {
  /** The parent object's name for subresource creates (`pods/<name>/binding`). */
  name?: string;
}

/** merge: JSON merge patch; strategic: strategic merge patch; json: JSON patch; apply: server-side apply. */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface PatchOptions extends WriteOptions {
  type?: PatchType;
  /** Server-side apply only: take over conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface ApiClient {
  list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options?: ListOptions,
  ): Promise<KubeList<T>>;
  watch(
    apiVersion: string,
    kind: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): Promise<void>;
  get<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    options?: ReadOptions,
  ): Promise<T>;
  create<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: object,
    options?: CreateOptions,
  ): Promise<T>;
  /** PUT; the name comes from `obj.metadata.name`, and a stale `metadata.resourceVersion` gets 409. */
  update<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: KubeObject,
    options?: WriteOptions,
  ): Promise<T>;
  /** `update` on the status subresource. */
  updateStatus<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: KubeObject,
    options?: WriteOptions,
  ): Promise<T>;
  /** Defaults to a JSON merge patch. */
  patch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T>;
  /** Resolves with what the server returns: the object (still terminating) or a Success Status. */
  delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): Promise<KubeObject>;
}

/**
 * What the client needs of a kubeconfig: the current cluster's URL, and the TLS options and
 * credentials of a request. client-node's `KubeConfig` is one; `cli/cluster-access.ts` reads a static
 * kubeconfig into one without loading client-node.
 */
export interface ClusterAccess {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

export interface HttpApiClientOptions {
  userAgent?: string;
  /** For everything but watches, which last as long as the server keeps them open. */
  requestTimeoutMs?: number;
  /**
   * How long one reading of the credentials serves further requests; default 1000 ms, 0 reads them for
   * every request. client-node builds a new Agent on every reading, which costs more than the request.
   */
  credentialsTtlMs?: number;
}

interface ResourceRef {
  plural: string;
  namespaced: boolean;
}

type Query = Record<string, string | number | boolean | undefined>;

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export function clientFor(kubeConfig: ClusterAccess, options: HttpApiClientOptions = {}): ApiClient {
  return new HttpApiClient(kubeConfig, options);
}

export class HttpApiClient implements ApiClient {
  private readonly discovery = new Map<string, Promise<Map<string, ResourceRef>>>();
  private agent: http.Agent | undefined;
  private target: RequestTarget | undefined;
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;
  private readonly credentialsTtlMs: number;
  private credentials: { readAt: number; options: Promise<https.RequestOptions> } | undefined;

  constructor(
    private readonly kubeConfig: ClusterAccess,
    options: HttpApiClientOptions = {},
  ) {
    this.userAgent = options.userAgent ?? 'kubicle';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.credentialsTtlMs = options.credentialsTtlMs ?? 1_000;
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    const path = await this.path(apiVersion, kind, options.namespace);
    const { namespace: _ns, signal, ...query } = options;
    return (await this.send('GET', path, query, undefined, signal)) as KubeList<T>;
  }

  async watch(
    apiVersion: string,
    kind: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): Promise<void> {
    const path = await this.path(apiVersion, kind, options.namespace);
    const { namespace: _ns, signal, ...query } = options;
    await this.stream(path, { ...query, watch: true }, onEvent, signal);
  }

  async get<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    options: ReadOptions = {},
  ): Promise<T> {
    const path = await this.path(apiVersion, kind, namespace, name, options.subresource);
    return (await this.send('GET', path, {}, undefined, options.signal)) as T;
  }

  async create<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: object,
    options: CreateOptions = {},
  ): Promise<T> {
    const ns = namespace || metadataOf(obj)?.namespace;
    const path = await this.path(apiVersion, kind, ns, options.name, options.subresource);
    return (await this.send('POST', path, writeQuery(options), { json: obj }, options.signal)) as T;
  }

  async update<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: KubeObject,
    options: WriteOptions = {},
  ): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new Error(`update of ${kind} needs metadata.name`);
    const ns = namespace || obj.metadata.namespace;
    const path = await this.path(apiVersion, kind, ns, name, options.subresource);
    return (await this.send('PUT', path, writeQuery(options), { json: obj }, options.signal)) as T;
  }

  updateStatus<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: KubeObject,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.update<T>(apiVersion, kind, namespace, obj, { ...options, subresource: 'status' });
  }

  async patch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const type = options.type ?? 'merge';
    const path = await this.path(apiVersion, kind, namespace, name, options.subresource);
    const query = { ...writeQuery(options), ...(options.force ? { force: true } : {}) };
    const body = { json: patch, contentType: PATCH_CONTENT_TYPES[type] };
    return (await this.send('PATCH', path, query, body, options.signal)) as T;
  }

  async delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject> {
    const path = await this.path(apiVersion, kind, namespace, name);
    const { signal, dryRun, ...rest } = options;
    const body = { json: { apiVersion: 'v1', kind: 'DeleteOptions', ...rest } };
    return (await this.send('DELETE', path, dryRun ? { dryRun: 'All' } : {}, body, signal)) as KubeObject;
  }

  private async path(
    apiVersion: string,
    kind: string,
    namespace?: string,
    name?: string,
    subresource?: string,
  ): Promise<string> {
    const ref = await this.resource(apiVersion, kind);
    let path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (ref.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    path += `/${ref.plural}`;
    if (name !== undefined) path += `/${encodeURIComponent(name)}`;
    if (subresource) {
      if (name === undefined) throw new Error(`subresource ${subresource} of ${kind} needs a name`);
      path += `/${subresource}`;
    }
    return path;
  }

  private async resource(apiVersion: string, kind: string): Promise<ResourceRef> {
    const found = (await this.discover(apiVersion)).get(kind);
    if (found) return found;
    // The kind may have been added since (a new group version being served): look once more.
    this.discovery.delete(apiVersion);
    const again = (await this.discover(apiVersion)).get(kind);
    if (!again) throw new Error(`the server has no resource for kind ${kind} in ${apiVersion}`);
    return again;
  }

  private discover(apiVersion: string): Promise<Map<string, ResourceRef>> {
    let pending = this.discovery.get(apiVersion);
    if (!pending) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      pending = this.send('GET', path, {}).then((body) => {
        const kinds = new Map<string, ResourceRef>();
        const resources = (body as { resources?: { name: string; kind: string; namespaced: boolean }[] })
          .resources;
        for (const r of resources ?? []) {
          if (!r.name.includes('/')) kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        }
        return kinds;
      });
      // A failed discovery must not stick: the next call asks again.
      pending.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, pending);
    }
    return pending;
  }

  private async send(
    method: string,
    path: string,
    query: Query,
    body?: { json: unknown; contentType?: string },
    signal?: AbortSignal,
  ): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body.json);
    // Node frames DELETE bodies only when told their length (it never chunks DELETE requests).
    const length = payload === undefined ? undefined : Buffer.byteLength(payload);
    const req = await this.open(method, path, query, body?.contentType ?? 'application/json', length);
    return new Promise((resolve, reject) => {
      const onAbort = () => req.destroy(abortError());
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.setTimeout(this.requestTimeoutMs, () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${this.requestTimeoutMs} ms`)),
      );
      req.on('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      });
      req.on('response', (res) => {
        // Most answers arrive in one chunk; only longer ones are gathered and joined.
        let first: Buffer | undefined;
        let more: Buffer[] | undefined;
        res.on('data', (chunk: Buffer) => {
          if (first === undefined) first = chunk;
          else (more ??= [first]).push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          const text = more ? Buffer.concat(more).toString('utf8') : (first?.toString('utf8') ?? '');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed);
          else reject(ApiStatusError.fromResponse(status, parsed ?? text));
        });
      });
      req.end(payload);
    });
  }

  private async stream(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (signal?.aborted) return;
    const req = await this.open('GET', path, query);
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
        req.destroy();
      };
      const onAbort = () => finish();
      req.on('error', (err) => finish(err));
      // The signal may have fired while the request was being opened.
      if (signal?.aborted) return finish();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              parsed = undefined;
            }
            finish(ApiStatusError.fromResponse(status, parsed));
          });
          res.on('error', (err) => finish(err));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while (!settled && (newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent);
            } catch (err) {
              finish(err);
            }
          }
        });
        res.on('error', (err) => finish(err));
        // A stream cut off without its final chunk is a failure, not a clean end.
        res.on('close', () =>
          finish(res.complete ? undefined : new Error(`watch ${path}: the connection was cut off`)),
        );
      });
      req.end();
    });
  }

  private async open(
    method: string,
    path: string,
    query: Query,
    contentType = 'application/json',
    contentLength?: number,
  ): Promise<http.ClientRequest> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const options = await this.requestOptions();
    const target = this.targetFor(cluster.server);
    const headers: http.OutgoingHttpHeaders = {
      ...(options.headers as http.OutgoingHttpHeaders | undefined),
      Accept: 'application/json',
      'Content-Type': contentType,
      'User-Agent': this.userAgent,
    };
    if (contentLength !== undefined) headers['Content-Length'] = contentLength;
    this.agent ??= target.secure
      ? new https.Agent({
          keepAlive: true,
          ca: options.ca,
          cert: options.cert,
          key: options.key,
          pfx: options.pfx,
          passphrase: options.passphrase,
          rejectUnauthorized: options.rejectUnauthorized,
          servername: options.servername,
        })
      : new http.Agent({ keepAlive: true });
    const request = target.secure ? https.request : http.request;
    // Plain request options, not a URL object: what Node would derive from the URL, without parsing
    // one per request.
    return request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.basePath + path + queryString(query),
      method,
      headers,
      agent: this.agent,
      auth: options.auth,
    });
  }

  /** TLS options and credentials; shared by the requests of one reading, so never changed. */
  private requestOptions(): Promise<https.RequestOptions> {
    const now = performance.now();
    const cached = this.credentials;
    if (cached && now - cached.readAt < this.credentialsTtlMs) return cached.options;
    const options: https.RequestOptions = {};
    const reading = this.kubeConfig.applyToHTTPSOptions(options).then(() => options);
    const entry = { readAt: now, options: reading };
    this.credentials = entry;
    reading.catch(() => {
      if (this.credentials === entry) this.credentials = undefined;
    });
    return reading;
  }

  /** The parts of the server URL every request shares, parsed again only when the server changes. */
  private targetFor(server: string): RequestTarget {
    if (this.target?.server !== server) {
      const url = new URL(server.replace(/\/+$/, ''));
      this.target = {
        server,
        secure: url.protocol === 'https:',
        protocol: url.protocol,
        // Node wants an IPv6 literal without its brackets here.
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port,
        basePath: url.pathname === '/' ? '' : url.pathname,
      };
    }
    return this.target;
  }
}

interface RequestTarget {
  server: string;
  secure: boolean;
  protocol: string;
  hostname: string;
  port: string;
  /** The server URL's path without a trailing slash ('' at the root). */
  basePath: string;
}

/** `?a=b&…` for the defined, non-empty values, encoded as URLSearchParams encodes them; '' for none. */
function queryString(query: Query): string {
  let params: URLSearchParams | undefined;
  for (const key in query) {
    const value = query[key];
    if (value !== undefined && value !== '') (params ??= new URLSearchParams()).set(key, String(value));
  }
  return params ? `?${params.toString()}` : '';
}

function writeQuery(options: WriteOptions): Query {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined };
}

function metadataOf(obj: object): { namespace?: string } | undefined {
  return (obj as { metadata?: { namespace?: string } }).metadata;
}

function abortError(): Error {
  const err = new Error('the request was aborted');
  err.name = 'AbortError';
  return err;
}
