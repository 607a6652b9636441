/**
 * The API server: Express over the ResourceStore, serving the Kubernetes REST API from etcd.
 *
 * startApiServer resolves once etcd answered, the system objects exist and the port listens; close()
 * ends every watch cleanly (so informers re-watch instead of failing) and then stops listening.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Etcd3 } from 'etcd3';
import { ApiError } from './api-error.js';
import { ResourceRegistry } from './resource-registry.js';
import { EtcdStorage } from './storage/etcd-storage.js';
import { kvCallsFor } from './storage/etcd-kv-channel.js';
import type { EncryptionConfig } from './storage/encryption-config.js';
import { valueTransformer } from './storage/value-transformer.js';
import { WatchCache } from './storage/watch-cache.js';
import { ResourceStore } from './rest/resource-store.js';
import { DEFAULT_SERVICE_RANGES, firstServiceIp, ServiceAllocator } from './rest/service-allocations.js';
import type { ServiceRanges } from './rest/service-allocations.js';
import { resourceHandler } from './http/resource-handlers.js';
import type { HandlerDeps } from './http/resource-handlers.js';
import { discoveryRouter } from './http/discovery-routes.js';
import { bodyReader } from './http/body-reader.js';
import { knownTokenHashes, knownTokens } from './http/token-authentication.js';
import { requestAuthentication } from './http/request-authentication.js';
import { nodeCredentialsHandler } from './http/node-credentials.js';
import type { ClientCertificateSigner } from './http/node-credentials.js';
import { requestAuthorization } from './http/authorization.js';
import { selfSubjectAccessReviewHandler } from './http/self-subject-access-review.js';
import { RbacIndex } from './auth/rbac-index.js';
import { NodeGraph } from './auth/node-graph.js';
import { nodeAuthorizer } from './auth/node-authorizer.js';
import { authorizerChain, rbacAuthorizer } from './auth/authorizer-chain.js';
import type { TokenHash, TokenUser } from './auth/token-file.js';
import { ADMIN_USER } from './auth/user-info.js';
import { maxInFlight } from './http/max-in-flight.js';
import { bootstrapCluster } from './bootstrap.js';
import { EtcdCompactor } from './storage/etcd-compactor.js';
import { NamespaceLifecycle } from './rest/namespace-lifecycle.js';

export interface ApiServerConfig {
  etcdServers: string[];
  /** 0 picks a free port. */
  port: number;
  bindAddress: string;
  etcdPrefix: string;
  serviceRanges: ServiceRanges;
  /** How often history older than one interval is compacted away; 0 disables it. */
  compactionIntervalMs: number;
  bookmarkIntervalMs: number;
  /** Bodies over this size get 413. */
  maxBodyBytes: number;
  /**
   * Bearer tokens of the cluster admin (`kubicle-admin` in `system:masters`). With no tokens of any
   * kind and no `clientCA` nobody is authenticated and nothing is authorized: every request may do
   * anything.
   */
  tokens?: readonly string[];
  /** Further bearer tokens, each with its user (`--token-auth-file`, see auth/token-file.ts). */
  tokenUsers?: readonly TokenUser[];
  /** Bearer tokens known by their SHA-256 only (the hashes `up` keeps on disk), each with its user. */
  tokenHashes?: readonly TokenHash[];
  /**
   * Authenticate TLS client certificates signed by this CA (PEM): user = subject CN, groups = every
   * subject O. Only with `tls`.
   */
  clientCA?: string;
  /**
   * Signs node CSRs with the cluster CA for `POST /v1-kubicle/node-credentials`
   * (http/node-credentials.ts); without it that endpoint is not served.
   */
  signClientCertificate?: ClientCertificateSigner;
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP without. */
  tls?: { cert: string; key: string };
  /** The cluster CA (PEM), served to anyone at `/cacerts` so joining agents can check it. */
  caCert?: string;
  /**
   * Reach kubelets (pods/log) over HTTPS with this client certificate and key (PEM), CN
   * `kube-apiserver-kubelet-client`; their serving certificates are not verified, as upstream's
   * without `--kubelet-certificate-authority`. Plain HTTP without.
   */
  kubeletClient?: { cert: string; key: string };
  /** Read-only requests served at once before 429 (watches and log follows not counted); 0: no limit. */
  maxRequestsInFlight?: number;
  /** Mutating requests served at once before 429; 0: no limit. */
  maxMutatingRequestsInFlight?: number;
  /** Encryption at rest (`--encryption-provider-config`, see encryption-config.ts); none: plaintext. */
  encryption?: EncryptionConfig;
  log: (line: string) => void;
}

export const DEFAULT_API_SERVER_CONFIG: ApiServerConfig = {
  etcdServers: ['http://127.0.0.1:2379'],
  port: 6443,
  bindAddress: '127.0.0.1',
  etcdPrefix: '/registry',
  serviceRanges: DEFAULT_SERVICE_RANGES,
  compactionIntervalMs: 5 * 60 * 1000,
  bookmarkIntervalMs: 60 * 1000,
  maxBodyBytes: 3 * 1024 * 1024,
  maxRequestsInFlight: 400,
  maxMutatingRequestsInFlight: 200,
  log: (line) => console.log(line),
};

export interface RunningApiServer {
  url: string;
  port: number;
  storage: EtcdStorage;
  close(): Promise<void>;
}

export async function waitForEtcd(client: Etcd3, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await client.maintenance.status();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`etcd did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

function errorMiddleware(log: (line: string) => void) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    let apiError: ApiError;
    const e = err as { type?: string; status?: number; message?: string };
    if (err instanceof ApiError) apiError = err;
    else if (e?.type === 'entity.too.large')
      apiError = new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    else if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      apiError = new ApiError(e.status, 'BadRequest', e.message ?? 'bad request');
    } else {
      log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      apiError = new ApiError(
        500,
        'InternalError',
        `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(apiError.code).type('application/json').send(JSON.stringify(apiError.toStatus()));
  };
}

export async function startApiServer(partial: Partial<ApiServerConfig>): Promise<RunningApiServer> {
  const config: ApiServerConfig = { ...DEFAULT_API_SERVER_CONFIG, ...partial };
  // grpc-js caps received messages at 4 MiB, which a LIST of ~1,600 pods already exceeds; etcd's own Go
  // client (and so kube-apiserver) lifts that cap for range responses, and so does this one.
  const client = new Etcd3({
    hosts: config.etcdServers,
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
  });
  await waitForEtcd(client, 30_000);

  const registry = new ResourceRegistry();
  const kvCalls = kvCallsFor(config.etcdServers, client.kv);
  const storage = new EtcdStorage(
    client,
    config.etcdPrefix,
    kvCalls.kv,
    config.encryption?.secrets.length ? { secrets: valueTransformer(config.encryption.secrets) } : {},
  );
  const allocator = new ServiceAllocator(config.etcdPrefix, config.serviceRanges, async (prefix) => {
    const keys = await client.getAll().prefix(prefix).keys();
    return keys.map((k) => k.slice(prefix.length));
  });
  const store = new ResourceStore(storage, registry, allocator);
  const caches = new Map<string, WatchCache>();
  const openWatches = new Set<() => void>();
  const deps: HandlerDeps = {
    registry,
    store,
    storage,
    bookmarkIntervalMs: config.bookmarkIntervalMs,
    kubeletClient: config.kubeletClient,
    cacheFor: (plural) => {
      let cache = caches.get(plural);
      if (!cache) {
        cache = new WatchCache(storage, `${config.etcdPrefix}/${plural}/`);
        caches.set(plural, cache);
      }
      return cache;
    },
    register: (end) => {
      openWatches.add(end);
      return () => openWatches.delete(end);
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const tokenUsers: TokenUser[] = [
    ...(config.tokens ?? [])
      .filter(Boolean)
      .map((token) => ({ token, user: ADMIN_USER.name, groups: [...ADMIN_USER.groups] })),
    ...(config.tokenUsers ?? []),
  ];
  const tokens = [...knownTokens(tokenUsers), ...knownTokenHashes(config.tokenHashes ?? [])];
  const clientCA = config.tls ? config.clientCA : undefined;
  const authorizing = tokens.length > 0 || clientCA !== undefined;
  const rbac = new RbacIndex(storage, deps.cacheFor, config.log);
  const nodeGraph = new NodeGraph({ storage, cacheFor: deps.cacheFor, log: config.log });
  // As upstream's --authorization-mode=Node,RBAC.
  const authorize = authorizerChain([nodeAuthorizer(nodeGraph), rbacAuthorizer(rbac)]);
  app.use(requestAuthentication({ tokens, clientCertificates: clientCA !== undefined }));
  app.use(
    maxInFlight({
      readonly: config.maxRequestsInFlight ?? 0,
      mutating: config.maxMutatingRequestsInFlight ?? 0,
    }),
  );
  if (authorizing) {
    app.use(requestAuthorization(authorize));
    deps.rbacPolicy = rbac;
  }
  app.use(bodyReader(config.maxBodyBytes));
  app.use(selfSubjectAccessReviewHandler(authorize));
  if (config.signClientCertificate)
    app.use(nodeCredentialsHandler(config.signClientCertificate, config.clientCA ?? config.caCert ?? ''));
  // Resource URLs are nearly all the traffic and no other route claims them: they are matched first,
  // so a request does not walk the discovery routes on its way.
  app.use(resourceHandler(deps));
  app.get(['/healthz', '/livez'], (_req, res) => void res.type('text/plain').send('ok'));
  if (config.caCert) {
    const caCert = config.caCert;
    app.get('/cacerts', (_req, res) => void res.type('application/x-pem-file').send(caCert));
  }
  app.get('/readyz', async (_req, res) => {
    try {
      await client.maintenance.status();
      res.type('text/plain').send('ok');
    } catch (err) {
      res
        .status(500)
        .type('text/plain')
        .send(`[-]etcd failed: ${String(err)}\nreadyz check failed`);
    }
  });
  app.use(discoveryRouter(registry, () => `${config.bindAddress}:${boundPort}`));
  app.use((_req: Request, _res: Response, next: NextFunction) =>
    next(new ApiError(404, 'NotFound', 'the server could not find the requested resource')),
  );
  app.use(errorMiddleware(config.log));

  const server = config.tls
    ? https.createServer(
        {
          cert: config.tls.cert,
          key: config.tls.key,
          // Clients without a certificate still get in (with a token, or to public paths), so an
          // unverified one is left to authentication to ignore rather than refused in the handshake.
          ...(clientCA ? { requestCert: true, rejectUnauthorized: false, ca: clientCA } : {}),
        },
        app,
      )
    : http.createServer(app);
  // Watches are long-lived; Node's default request timeouts would cut them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  let boundPort = config.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  boundPort = (server.address() as AddressInfo).port;

  try {
    await bootstrapCluster(store, registry, {
      clusterIp: firstServiceIp(config.serviceRanges.clusterIpRange),
      port: boundPort,
    });
  } catch (err) {
    server.close();
    kvCalls.close();
    client.close();
    throw err;
  }
  const namespaceLifecycle = new NamespaceLifecycle(storage, deps.cacheFor('namespaces'), config.log);
  await namespaceLifecycle.start();
  store.namespaceLifecycle = namespaceLifecycle;
  if (authorizing) await Promise.all([rbac.start(), nodeGraph.start()]);
  const compactor = new EtcdCompactor(storage, config.compactionIntervalMs, config.log);
  compactor.start();

  const host = config.bindAddress === '0.0.0.0' ? '127.0.0.1' : config.bindAddress;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${boundPort}`,
    port: boundPort,
    storage,
    async close() {
      compactor.stop();
      namespaceLifecycle.stop();
      rbac.stop();
      nodeGraph.stop();
      for (const end of [...openWatches]) end();
      for (const cache of caches.values()) cache.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      kvCalls.close();
      client.close();
    },
  };
}
