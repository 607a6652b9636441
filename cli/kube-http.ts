/**
 * The few requests the kubectl verbs make that `ApiClient` does not: a GET with a chosen Accept header
 * (server-side Tables, `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), a watch whose events
 * are Tables, discovery documents, and the plain-text `pods/log` stream.
 *
 * Contract: connection, TLS and credentials come from the KubeConfig as in `ApiClient`; a non-2xx
 * answer rejects with an `ApiStatusError` built from the server's Status; streams resolve when the
 * server ends them or `signal` aborts.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError } from '../machinery/api-status-error.js';
import type { ApiResource } from './resource-resolver.js';

export const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  accept?: string;
  signal?: AbortSignal;
}

/** `/api/v1/namespaces/ns/pods/name/log`; the namespace is left out for cluster-scoped resources. */
export function resourcePath(
  r: Pick<ApiResource, 'group' | 'version' | 'name' | 'namespaced'>,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let path = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.name}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

export class KubeHttp {
  private agent: http.Agent | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {}

  async getJson(path: string, options: RequestOptions = {}): Promise<unknown> {
    const chunks: Buffer[] = [];
    await this.stream(path, options, (chunk) => chunks.push(chunk));
    return parseBody(Buffer.concat(chunks).toString('utf8'));
  }

  /** A watch (`watch=true` is added): each newline-delimited event goes to `onEvent`. */
  async watch(path: string, options: RequestOptions, onEvent: (event: unknown) => void): Promise<void> {
    let buffered = '';
    await this.stream(path, { ...options, query: { ...options.query, watch: true } }, (chunk) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) onEvent(JSON.parse(line));
      }
    });
  }

  /** Streams a 2xx body to `onData`; anything else rejects with the server's Status. */
  async stream(path: string, options: RequestOptions, onData: (chunk: Buffer) => void): Promise<void> {
    if (options.signal?.aborted) return;
    const req = await this.open(path, options);
    const signal = options.signal;
    await new Promise<void>((resolve, reject) => {
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
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => finish(err));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            finish(ApiStatusError.fromResponse(status, parseBody(Buffer.concat(chunks).toString('utf8')))),
          );
          res.on('error', (err) => finish(err));
          return;
        }
        res.on('data', (chunk: Buffer) => {
          try {
            onData(chunk);
          } catch (err) {
            finish(err);
          }
        });
        res.on('error', (err) => finish(err));
        res.on('end', () => finish());
        res.on('close', () =>
          finish(res.complete ? undefined : new Error(`${path}: the connection was cut off`)),
        );
      });
      req.end();
    });
  }

  private async open(path: string, options: RequestOptions): Promise<http.ClientRequest> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const tls: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(tls);
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const secure = url.protocol === 'https:';
    this.agent ??= secure
      ? new https.Agent({
          keepAlive: true,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          pfx: tls.pfx,
          passphrase: tls.passphrase,
          rejectUnauthorized: tls.rejectUnauthorized,
          servername: tls.servername,
        })
      : new http.Agent({ keepAlive: true });
    const headers: http.OutgoingHttpHeaders = {
      ...(tls.headers as http.OutgoingHttpHeaders | undefined),
      Accept: options.accept ?? 'application/json',
      'User-Agent': 'kubicle',
    };
    return (secure ? https.request : http.request)(url, {
      method: 'GET',
      headers,
      agent: this.agent,
      auth: tls.auth,
    });
  }
}
