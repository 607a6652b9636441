/**
 * `pods/<name>/log`: the API server does not hold logs; it finds the pod's node and streams the
 * kubelet's answer through, so `kubectl logs -f` follows for as long as the kubelet writes. With
 * `kubeletClient` the kubelet is reached over HTTPS with that client certificate.
 */
import http from 'node:http';
import https from 'node:https';
import type { Request, Response } from 'express';
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import { ApiError, badRequest } from '../api-error.js';
import { queryString } from './request-query.js';
import type { Query } from './request-query.js';
import type { HandlerDeps } from './resource-handlers.js';

const FORWARDED = [
  'follow',
  'tailLines',
  'timestamps',
  'previous',
  'sinceSeconds',
  'sinceTime',
  'limitBytes',
];

export function chooseContainer(pod: KubeObject, requested: string | undefined): string {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const names = [
    ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
    ...(Array.isArray(spec.containers) ? spec.containers : []),
  ]
    .map((c) => (isPlainObject(c) && typeof c.name === 'string' ? c.name : ''))
    .filter(Boolean);
  const podName = pod.metadata.name ?? '';
  if (requested) {
    if (!names.includes(requested))
      throw badRequest(`container ${requested} is not valid for pod ${podName}`);
    return requested;
  }
  const appContainers = (Array.isArray(spec.containers) ? spec.containers : []).filter(isPlainObject);
  if (appContainers.length === 1) return String(appContainers[0].name);
  throw badRequest(
    `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`,
  );
}

/**
 * The error for a kubelet's refusal: its own text, with its status where that says who is at fault
 * (not found; the API server's kubelet client refused), otherwise a bad request. Pure.
 */
export function kubeletRefusal(status: number, text: string): ApiError {
  if (status === 404) return new ApiError(404, 'NotFound', text);
  if (status === 401) return new ApiError(401, 'Unauthorized', text);
  if (status === 403) return new ApiError(403, 'Forbidden', text);
  return new ApiError(400, 'BadRequest', text);
}

export async function streamPodLog(
  req: Request,
  res: Response,
  pod: KubeObject,
  deps: HandlerDeps,
): Promise<void> {
  const container = chooseContainer(pod, queryString(req.query as Query, 'container'));
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : '';
  if (!nodeName) throw badRequest(`pod ${pod.metadata.name ?? ''} does not have a host assigned`);
  const nodes = deps.registry.lookup('', 'v1', 'nodes');
  const node = nodes ? await deps.store.get({ resource: nodes }, nodeName) : undefined;
  const status = node && isPlainObject(node.status) ? node.status : {};
  const endpoints =
    isPlainObject(status.daemonEndpoints) && isPlainObject(status.daemonEndpoints.kubeletEndpoint)
      ? status.daemonEndpoints.kubeletEndpoint
      : {};
  const port = typeof endpoints.Port === 'number' ? endpoints.Port : 0;
  const addresses = Array.isArray(status.addresses) ? status.addresses.filter(isPlainObject) : [];
  const address = addresses.find((a) => a.type === 'InternalIP') ?? addresses[0];
  if (!port || !address) {
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `the kubelet of node ${nodeName} serves no logs (no kubelet endpoint)`,
    );
  }
  const params = new URLSearchParams();
  for (const key of FORWARDED) {
    const value = queryString(req.query as Query, key);
    if (value !== undefined) params.set(key, value);
  }
  const path = `/containerLogs/${encodeURIComponent(pod.metadata.namespace ?? '')}/${encodeURIComponent(pod.metadata.name ?? '')}/${encodeURIComponent(container)}?${params}`;
  await new Promise<void>((resolve, reject) => {
    const target = { host: String(address.address), port, path };
    const onResponse = (kubelet: http.IncomingMessage) => {
      if ((kubelet.statusCode ?? 500) >= 400) {
        let text = '';
        kubelet.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        kubelet.on('end', () =>
          reject(
            kubeletRefusal(kubelet.statusCode ?? 500, text.trim() || 'the kubelet refused the log request'),
          ),
        );
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      kubelet.pipe(res);
      kubelet.on('end', () => resolve());
      kubelet.on('error', () => resolve());
    };
    // The kubelet's serving certificate is commonly self-signed, and nothing names a CA to check it
    // against; the client certificate is what the kubelet relies on.
    const upstream = deps.kubeletClient
      ? https.get({ ...target, ...deps.kubeletClient, rejectUnauthorized: false }, onResponse)
      : http.get(target, onResponse);
    upstream.on('error', (err) =>
      reject(
        new ApiError(
          503,
          'ServiceUnavailable',
          `cannot reach the kubelet of node ${nodeName}: ${err.message}`,
        ),
      ),
    );
    req.on('close', () => upstream.destroy());
  });
}
