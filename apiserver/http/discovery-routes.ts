/**
 * Discovery, version and OpenAPI endpoints. Aggregated discovery is served only when the client asks
 * for it, with the echoed media type (kubectl misreads it otherwise); the legacy documents are always
 * served too, since drain and client-node read them directly.
 */
import { Router } from 'express';
import type { Request, Response } from 'express';
import { ApiError } from '../api-error.js';
import type { ResourceRegistry } from '../resource-registry.js';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  negotiateDiscovery,
  versionInfo,
} from '../discovery.js';
import { openApiV3Document, openApiV3Index } from '../openapi/openapi-v3.js';

function notFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

function json(res: Response, body: unknown, contentType = 'application/json'): void {
  res.set('Content-Type', contentType).send(JSON.stringify(body));
}

export function discoveryRouter(registry: ResourceRegistry, serverAddress: () => string): Router {
  const router = Router();
  const version = versionInfo();

  router.get('/version', (_req, res) => json(res, version));

  const root = (which: 'core' | 'groups', legacy: () => unknown) => (req: Request, res: Response) => {
    res.set('Vary', 'Accept');
    const negotiated = negotiateDiscovery(req.headers.accept);
    if (negotiated)
      return json(res, aggregatedDiscovery(registry, which, negotiated.apiVersion), negotiated.contentType);
    json(res, legacy());
  };
  router.get(
    ['/api', '/api/'],
    root('core', () => apiVersions(serverAddress())),
  );
  router.get(
    ['/apis', '/apis/'],
    root('groups', () => apiGroupList(registry)),
  );

  router.get('/api/:version', (req, res, next) => {
    const list = apiResourceList(registry, '', String(req.params.version));
    if (!list) return next(notFound());
    json(res, list);
  });
  router.get('/apis/:group', (req, res, next) => {
    const group = apiGroup(registry, String(req.params.group));
    if (!group) return next(notFound());
    json(res, group);
  });
  router.get('/apis/:group/:version', (req, res, next) => {
    const list = apiResourceList(registry, String(req.params.group), String(req.params.version));
    if (!list) return next(notFound());
    json(res, list);
  });

  router.get('/openapi/v3', (_req, res) => json(res, openApiV3Index(registry)));
  router.get(['/openapi/v3/api/:version', '/openapi/v3/apis/:group/:version'], (req, res, next) => {
    const doc = openApiV3Document(registry, String(req.params.group ?? ''), String(req.params.version));
    if (!doc) return next(notFound());
    // The URL carries a content hash, so the document at it never changes.
    res.set('Cache-Control', 'public, immutable');
    json(res, doc);
  });
  return router;
}
