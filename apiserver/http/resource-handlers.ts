/**
 * The REST verbs on resource URLs: parses the request into a ResourceStore call and the result into a
 * JSON (or Table) response. Everything that can go wrong throws ApiError, which the error middleware
 * turns into a Status.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { KubeObject } from '../api-object.js';
import {
  ApiError,
  badRequest,
  invalid,
  methodNotAllowed,
  notFound,
  unsupportedMediaType,
} from '../api-error.js';
import { SUPPORTED_PATCH_TYPES } from '../patch/patch-type.js';
import type { ResourceInfo, ResourceRegistry } from '../resource-registry.js';
import { apiVersionOf } from '../resource-registry.js';
import type { ListOptions, Scope, WriteOptions } from '../rest/resource-store.js';
import { bindPod, evictPod, getScale, patchScale, updateScale } from '../rest/subresources.js';
import { parseFieldSelectorQuery } from '../field-selector.js';
import { parseLabelSelectorQuery } from '../label-selector-query.js';
import { buildTable, wantsTable } from '../table/build-table.js';
import { StorageExpired } from '../storage/etcd-storage.js';
import { parseResourcePath } from './request-path.js';
import type { ResourcePath } from './request-path.js';
import { mediaType, parseObjectBody } from './request-body.js';
import { PROTOBUF_MEDIA_TYPE } from '../protobuf/protobuf-body.js';
import { deleteOptions, queryBool, queryInt, queryString, writeOptions } from './request-query.js';
import type { Query } from './request-query.js';
import { serveWatch } from './watch-stream.js';
import type { WatchDeps } from './watch-stream.js';
import { streamPodLog } from './pod-log.js';
import { checkNestingDepth } from './nesting-depth.js';
import { requestUser } from './token-authentication.js';
import type { RbacPolicy } from '../auth/rbac-authorizer.js';
import { admitRbacWrite, guardsEscalation } from '../admission/rbac-escalation.js';
import { nodeCreateAdmission } from '../admission/node-restriction.js';

export interface HandlerDeps extends WatchDeps {
  registry: ResourceRegistry;
  /**
   * Set when requests are authorized: RBAC writes are then checked for privilege escalation, and what
   * nodes create for NodeRestriction.
   */
  rbacPolicy?: RbacPolicy;
  /** The client certificate and key (PEM) kubelets are reached with, over HTTPS; plain HTTP without. */
  kubeletClient?: { cert: string; key: string };
}

/**
 * Writes a JSON response with the headers Express's `res.send` would set, but straight to Node: the
 * string goes out with the headers in one write, without Express's per-response header bookkeeping
 * and Buffer copy.
 */
function sendJson(res: Response, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: OutgoingHttpHeaders = {};
  if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = Buffer.byteLength(text);
  res.writeHead(code, headers);
  res.end(text);
}

function resolve(deps: HandlerDeps, path: ResourcePath): { resource: ResourceInfo; scope: Scope } {
  const resource = deps.registry.lookup(path.group, path.version, path.plural);
  if (!resource) throw notFound(path.plural, path.group, path.name ?? '');
  if (path.namespace !== undefined && !resource.namespaced)
    throw notFound(path.plural, path.group, path.name ?? '');
  if (resource.namespaced && path.namespace === undefined && path.name !== undefined) {
    throw notFound(path.plural, path.group, path.name);
  }
  if (path.subresource && !resource.subresources.some((s) => s.name === path.subresource)) {
    throw notFound(`${path.plural}/${path.subresource}`, path.group, path.name ?? '');
  }
  return { resource, scope: { resource, namespace: path.namespace } };
}

function listOptions(query: Query, resource: ResourceInfo): ListOptions {
  const label = queryString(query, 'labelSelector');
  const field = queryString(query, 'fieldSelector');
  return {
    labelSelector: label ? parseLabelSelectorQuery(label) : undefined,
    fieldSelector: field ? parseFieldSelectorQuery(field, resource.plural) : undefined,
    limit: queryInt(query, 'limit'),
    continueToken: queryString(query, 'continue') || undefined,
  };
}

function render(
  req: Request,
  resource: ResourceInfo,
  objects: KubeObject[],
  meta: { resourceVersion: string; continue?: string },
) {
  const tableVersion = wantsTable(req.headers.accept ?? '');
  if (!tableVersion) return undefined;
  const include = queryString(req.query as Query, 'includeObject') as
    'None' | 'Metadata' | 'Object' | undefined;
  return buildTable(resource.plural, objects, {
    resourceVersion: meta.resourceVersion,
    continueToken: meta.continue,
    includeObject: include,
    now: new Date(),
    tableVersion,
  });
}

/** The write options of a request, with the escalation check when it writes an RBAC object. */
function objectWriteOptions(
  deps: HandlerDeps,
  scope: Scope,
  name: string | undefined,
  query: Query,
  res: Response,
): WriteOptions {
  const opts = writeOptions(query);
  const policy = deps.rbacPolicy;
  if (policy && name === undefined) {
    const namespace = scope.namespace ?? '';
    const { group: apiGroup, plural: resource } = scope.resource;
    const admit = nodeCreateAdmission({ apiGroup, resource, namespace, user: requestUser(res) });
    if (admit) return { ...opts, admit };
  }
  if (!policy || !guardsEscalation(scope.resource.group, scope.resource.plural)) return opts;
  const user = requestUser(res);
  const write = {
    resource: scope.resource.plural,
    namespace: scope.namespace ?? '',
    requestName: name ?? '',
    user,
  };
  return { ...opts, admit: (object) => admitRbacWrite({ ...write, object }, policy) };
}

export function resourceHandler(deps: HandlerDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const parsed = parseResourcePath(req.path);
    if (parsed.kind !== 'resource') return next();
    try {
      await handle(deps, parsed.path, req, res);
    } catch (err) {
      next(err);
    }
  };
}

async function handle(deps: HandlerDeps, path: ResourcePath, req: Request, res: Response): Promise<void> {
  const { resource, scope } = resolve(deps, path);
  const store = deps.store;
  const query = req.query as Query;
  const body = req.body as Buffer | undefined;
  const name = path.name;
  const sub = path.subresource;
  const typed = (obj: KubeObject) => store.withTypeMeta(scope, obj);

  switch (req.method) {
    case 'GET': {
      if (name === undefined) {
        const opts = listOptions(query, resource);
        if (queryBool(query, 'watch')) {
          const tableVersion = wantsTable(req.headers.accept ?? '');
          await serveWatch(
            req,
            res,
            {
              scope,
              selectors: opts,
              resourceVersion: queryString(query, 'resourceVersion'),
              timeoutSeconds: queryInt(query, 'timeoutSeconds'),
              allowBookmarks: queryBool(query, 'allowWatchBookmarks'),
              render: tableVersion
                ? (obj, first) =>
                    buildTable(resource.plural, [obj], {
                      resourceVersion: obj.metadata.resourceVersion ?? '',
                      includeColumnDefinitions: first,
                      now: new Date(),
                      tableVersion,
                    })
                : undefined,
            },
            deps,
          );
          return;
        }
        let list;
        try {
          list = await store.list(scope, opts);
        } catch (err) {
          if (err instanceof StorageExpired) {
            throw new ApiError(
              410,
              'Expired',
              'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
            );
          }
          if (err instanceof TypeError && /continue/.test(err.message))
            throw badRequest('invalid continue token');
          throw err;
        }
        const meta = {
          resourceVersion: String(list.revision),
          ...(list.continueToken ? { continue: list.continueToken } : {}),
        };
        const items = list.items.map(typed);
        const table = render(req, resource, items, meta);
        if (table) return sendJson(res, 200, table);
        return sendJson(res, 200, {
          kind: `${resource.kind}List`,
          apiVersion: apiVersionOf(resource),
          metadata: meta,
          items,
        });
      }
      if (sub === 'scale') return sendJson(res, 200, await getScale(store, scope, name));
      if (sub === 'log') return streamPodLog(req, res, await store.get(scope, name), deps);
      const obj = await store.get(scope, name);
      const table = sub
        ? undefined
        : render(req, resource, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' });
      return sendJson(res, 200, table ?? obj);
    }
    case 'POST': {
      if (name === undefined) {
        const result = await store.create(
          scope,
          parseObjectBody(req.headers['content-type'], body),
          objectWriteOptions(deps, scope, name, query, res),
        );
        return sendJson(res, 201, typed(result.object), result.warnings);
      }
      if (sub === 'binding') {
        await bindPod(
          store,
          scope,
          name,
          parseObjectBody(req.headers['content-type'], body),
          writeOptions(query),
        );
        return sendJson(res, 201, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          code: 201,
        });
      }
      if (sub === 'eviction')
        return sendJson(
          res,
          201,
          await evictPod(store, scope, name, parseObjectBody(req.headers['content-type'], body)),
        );
      throw methodNotAllowed();
    }
    case 'PUT': {
      if (name === undefined) throw methodNotAllowed();
      const parsedBody = parseObjectBody(req.headers['content-type'], body);
      if (sub === 'scale')
        return sendJson(res, 200, await updateScale(store, scope, name, parsedBody, writeOptions(query)));
      if (sub === 'finalize')
        return sendJson(
          res,
          200,
          typed((await store.finalizeNamespace(name, parsedBody, writeOptions(query))).object),
        );
      const result = await store.update(
        scope,
        name,
        parsedBody,
        sub ? writeOptions(query) : objectWriteOptions(deps, scope, name, query, res),
        sub === 'status' ? 'status' : undefined,
      );
      return sendJson(res, result.created ? 201 : 200, typed(result.object), result.warnings);
    }
    case 'PATCH': {
      if (name === undefined) throw methodNotAllowed();
      const contentType = mediaType(req.headers['content-type']);
      // The media type is checked before the object is looked up, as upstream does.
      if (!(SUPPORTED_PATCH_TYPES as readonly string[]).includes(contentType)) {
        throw unsupportedMediaType(contentType, [...SUPPORTED_PATCH_TYPES]);
      }
      const opts = {
        ...(sub ? writeOptions(query) : objectWriteOptions(deps, scope, name, query, res)),
        force: queryBool(query, 'force'),
      };
      // As upstream, the options are checked before the body is read; controllers must name themselves
      // (kubectl defaults it), since apply records which manager owns each field.
      if (contentType === 'application/apply-patch+yaml' && !opts.fieldManager) {
        throw invalid('PatchOptions', 'meta.k8s.io', '', [
          {
            reason: 'FieldValueRequired',
            field: 'fieldManager',
            message: 'Required value: is required for apply patch',
          },
        ]);
      }
      const patchBody = decodePatchBody(contentType, body);
      if (sub === 'scale')
        return sendJson(res, 200, await patchScale(store, scope, name, contentType, patchBody, opts));
      const result = await store.patch(
        scope,
        name,
        contentType,
        patchBody,
        opts,
        sub === 'status' ? 'status' : undefined,
      );
      return sendJson(res, result.created ? 201 : 200, typed(result.object), result.warnings);
    }
    case 'DELETE': {
      // Typed clients send DeleteOptions as protobuf; any other body is read as JSON, as before.
      const deleteBodyType =
        mediaType(req.headers['content-type']) === PROTOBUF_MEDIA_TYPE
          ? PROTOBUF_MEDIA_TYPE
          : 'application/json';
      const rawBody = body && body.length ? parseObjectBody(deleteBodyType, body) : undefined;
      const options = deleteOptions(query, rawBody);
      if (name === undefined) {
        const opts = listOptions(query, resource);
        const list = await store.list(scope, opts);
        const deleted: KubeObject[] = [];
        for (const item of list.items) {
          try {
            deleted.push(
              (
                await store.delete(
                  { ...scope, namespace: item.metadata.namespace },
                  item.metadata.name ?? '',
                  options,
                )
              ).object,
            );
          } catch (err) {
            if (!(err instanceof ApiError && err.code === 404)) throw err;
          }
        }
        return sendJson(res, 200, {
          kind: `${resource.kind}List`,
          apiVersion: apiVersionOf(resource),
          metadata: { resourceVersion: String(list.revision) },
          items: deleted,
        });
      }
      if (sub) throw methodNotAllowed();
      const result = await store.delete(scope, name, options);
      const code = !result.deleted && options.propagationPolicy === 'Foreground' ? 202 : 200;
      return sendJson(res, code, result.object);
    }
    default:
      throw methodNotAllowed();
  }
}

/** Patch bodies stay raw text for apply (YAML); the other patch types are JSON. */
function decodePatchBody(contentType: string, raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) throw badRequest('the patch body is empty');
  checkNestingDepth(raw);
  if (contentType === 'application/apply-patch+yaml') return raw.toString('utf8');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw badRequest(`the patch body is not valid JSON: ${(err as Error).message}`);
  }
}
