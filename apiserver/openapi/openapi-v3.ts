/**
 * The OpenAPI v3 documents served under `/openapi/v3`: an index of group-versions and one document
 * per group-version, built from the resource catalogue and the client model schemas.
 *
 * kubectl 1.29+ relies on two details. Before `apply`/`create` it looks for the kind's PATCH
 * operation (found by the `x-kubernetes-group-version-kind` object on the operation) and, if that
 * operation lists a `fieldValidation` parameter, leaves validation to the server instead of
 * fetching the protobuf v2 document. `kubectl explain` finds a kind's schema by the
 * `x-kubernetes-group-version-kind` list on `components.schemas` entries and follows `allOf`/`$ref`.
 *
 * Documents are deterministic for a given registry and client version and cached per registry and
 * group-version; the index's `?hash=` changes whenever a document does, since kubectl caches the
 * documents on disk by URL. Returned documents are frozen: they are shared between requests.
 */
import { createHash } from 'node:crypto';
import type {
  GroupVersionKind,
  ResourceInfo,
  ResourceRegistry,
  SubresourceInfo,
} from '../resource-registry.js';
import { groupVersion } from '../resource-registry.js';
import { apiModelFields, type ApiFieldType } from './api-field-types.js';
import { modelDoc } from './model-docs.js';
import { patchExtension } from './patch-extensions.js';
import {
  INT_OR_STRING_SCHEMA,
  MICRO_TIME_SCHEMA,
  PATCH_SCHEMA,
  QUANTITY_SCHEMA,
  TIME_SCHEMA,
  schemaName,
} from './schema-names.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface OpenApiV3Document {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, JsonObject>;
  components: { schemas: Record<string, JsonObject> };
}

const STATUS_MODEL = 'V1Status';
const DELETE_OPTIONS_MODEL = 'V1DeleteOptions';
const WATCH_EVENT_MODEL = 'V1WatchEvent';

/** Subresources that stream or upgrade instead of exchanging API objects. */
const STREAMING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

const SPECIAL_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  [QUANTITY_SCHEMA]: {
    description:
      'Quantity is a fixed-point representation of a number, written as a string with an optional ' +
      'suffix: binary SI (Ki, Mi, Gi, Ti, Pi, Ei), decimal SI (m, "", k, M, G, T, P, E) or a decimal ' +
      'exponent (e3, E-6). Examples: "100m", "1.5Gi", "2". A plain JSON number is also accepted.',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
  [INT_OR_STRING_SCHEMA]: {
    description:
      'IntOrString holds either an int32 or a string, e.g. a port number or a named port, or a ' +
      'count or a percentage.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  },
  [TIME_SCHEMA]: {
    description: 'Time is a timestamp in RFC 3339 form, with second precision, always in UTC.',
    format: 'date-time',
    type: 'string',
  },
  [MICRO_TIME_SCHEMA]: {
    description: 'MicroTime is a timestamp in RFC 3339 form with microsecond precision.',
    format: 'date-time',
    type: 'string',
  },
  [PATCH_SCHEMA]: {
    description:
      'Patch is the body of a PATCH request: a JSON patch, a JSON merge patch, a strategic merge ' +
      'patch or a server-side apply configuration, depending on the Content-Type.',
    type: 'object',
  },
};

const JSON_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const WATCH_MEDIA_TYPES = [
  'application/json;stream=watch',
  'application/vnd.kubernetes.protobuf;stream=watch',
];
const PATCH_MEDIA_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

function queryParam(name: string, type: 'string' | 'boolean' | 'integer', description: string): JsonObject {
  return { description, in: 'query', name, schema: { type, uniqueItems: true } };
}

function pathParam(name: string, description: string): JsonObject {
  return { description, in: 'path', name, required: true, schema: { type: 'string', uniqueItems: true } };
}

const PARAM = {
  pretty: queryParam('pretty', 'string', "If 'true', then the output is pretty printed."),
  dryRun: queryParam(
    'dryRun',
    'string',
    'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: queryParam(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. It is required for apply requests (application/apply-patch) and optional otherwise.',
  ),
  fieldValidation: queryParam(
    'fieldValidation',
    'string',
    'fieldValidation tells the server what to do with unknown or duplicate fields in the request object. Valid values are: - Ignore: drop them silently. - Warn: drop them and return a warning for each. - Strict: fail the request.',
  ),
  force: queryParam(
    'force',
    'boolean',
    'Force makes an apply request take over fields that other managers own. It must be unset for other patch types.',
  ),
  gracePeriodSeconds: queryParam(
    'gracePeriodSeconds',
    'integer',
    'The duration in seconds before the object should be deleted. Zero means delete immediately; unset uses the default for the type.',
  ),
  orphanDependents: queryParam(
    'orphanDependents',
    'boolean',
    'Deprecated: use propagationPolicy. Whether dependents should be orphaned.',
  ),
  propagationPolicy: queryParam(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
  ),
  allowWatchBookmarks: queryParam(
    'allowWatchBookmarks',
    'boolean',
    'allowWatchBookmarks requests watch events with type "BOOKMARK".',
  ),
  continue: queryParam(
    'continue',
    'string',
    'The continue token from a previous list result, to fetch the next chunk.',
  ),
  fieldSelector: queryParam(
    'fieldSelector',
    'string',
    'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  ),
  labelSelector: queryParam(
    'labelSelector',
    'string',
    'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  ),
  limit: queryParam('limit', 'integer', 'The maximum number of items to return in one list response.'),
  resourceVersion: queryParam(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  resourceVersionMatch: queryParam(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  ),
  sendInitialEvents: queryParam(
    'sendInitialEvents',
    'boolean',
    'sendInitialEvents makes a watch start with synthetic ADDED events for the current state.',
  ),
  timeoutSeconds: queryParam(
    'timeoutSeconds',
    'integer',
    'Timeout for the list/watch call, regardless of any activity or inactivity.',
  ),
  watch: queryParam(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
  ),
};

const LIST_PARAMS = [
  PARAM.allowWatchBookmarks,
  PARAM.continue,
  PARAM.fieldSelector,
  PARAM.labelSelector,
  PARAM.limit,
  PARAM.resourceVersion,
  PARAM.resourceVersionMatch,
  PARAM.sendInitialEvents,
  PARAM.timeoutSeconds,
  PARAM.watch,
];
const WRITE_PARAMS = [PARAM.dryRun, PARAM.fieldManager, PARAM.fieldValidation];
const PATCH_PARAMS = [PARAM.dryRun, PARAM.force, PARAM.fieldManager, PARAM.fieldValidation];
const DELETE_PARAMS = [
  PARAM.gracePeriodSeconds,
  PARAM.orphanDependents,
  PARAM.propagationPolicy,
  PARAM.dryRun,
];
const DELETE_COLLECTION_PARAMS = [
  ...DELETE_PARAMS,
  PARAM.continue,
  PARAM.fieldSelector,
  PARAM.labelSelector,
  PARAM.limit,
  PARAM.resourceVersion,
  PARAM.resourceVersionMatch,
  PARAM.sendInitialEvents,
  PARAM.timeoutSeconds,
];

function ref(name: string): JsonObject {
  return { $ref: `#/components/schemas/${name}` };
}

function content(mediaTypes: readonly string[], schema: JsonObject): JsonObject {
  return Object.fromEntries(mediaTypes.map((type) => [type, { schema }]));
}

function response(description: string, schemaRef: string, mediaTypes = JSON_MEDIA_TYPES): JsonObject {
  return { content: content(mediaTypes, ref(schemaRef)), description };
}

function gvkJson(gvk: GroupVersionKind): JsonObject {
  return { group: gvk.group, kind: gvk.kind, version: gvk.version };
}

function compareGvk(a: GroupVersionKind, b: GroupVersionKind): number {
  return a.group.localeCompare(b.group) || a.version.localeCompare(b.version) || a.kind.localeCompare(b.kind);
}

/** `apps` → `Apps`, `coordination.k8s.io` → `Coordination`, core → `Core`: upstream operationId style. */
function groupWord(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Sorts object keys recursively, so documents (and their hashes) do not depend on build order. */
function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const sorted: JsonObject = {};
  for (const key of Object.keys(value).sort()) sorted[key] = canonical(value[key]);
  return sorted;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Collects the component schemas one document needs, following model references transitively. */
class SchemaCollector {
  private readonly models = new Map<string, string>();
  private readonly queue: string[] = [];
  private readonly specials = new Set<string>();
  private readonly gvks = new Map<string, GroupVersionKind[]>();

  /** Registers a model (and everything it references); returns its schema name. */
  add(modelName: string, gvk?: GroupVersionKind): string {
    const name = schemaName(modelName);
    if (!this.models.has(name)) {
      this.models.set(name, modelName);
      this.queue.push(modelName);
    }
    if (gvk) {
      const list = this.gvks.get(name) ?? [];
      if (!list.some((known) => compareGvk(known, gvk) === 0)) list.push(gvk);
      this.gvks.set(name, list);
    }
    return name;
  }

  addSpecial(name: string): string {
    this.specials.add(name);
    return name;
  }

  build(): Record<string, JsonObject> {
    const schemas: Record<string, JsonObject> = {};
    for (let modelName = this.queue.shift(); modelName; modelName = this.queue.shift()) {
      schemas[schemaName(modelName)] = this.modelSchema(modelName);
    }
    for (const name of this.specials) schemas[name] = { ...SPECIAL_SCHEMAS[name] };
    for (const [name, gvks] of this.gvks) {
      schemas[name]['x-kubernetes-group-version-kind'] = [...gvks].sort(compareGvk).map(gvkJson);
    }
    return schemas;
  }

  private modelSchema(modelName: string): JsonObject {
    const fields = apiModelFields(modelName) ?? new Map<string, ApiFieldType>();
    const doc = modelDoc(modelName);
    const properties: JsonObject = {};
    const required: string[] = [];
    for (const [field, type] of fields) {
      const property = this.typeSchema(type);
      const fieldDoc = doc?.fields.get(field);
      if (fieldDoc?.description) property.description = fieldDoc.description;
      const patch = patchExtension(modelName, field);
      if (patch) {
        property['x-kubernetes-patch-strategy'] = patch.strategy;
        if (patch.mergeKey) property['x-kubernetes-patch-merge-key'] = patch.mergeKey;
      }
      properties[field] = property;
      if (fieldDoc?.required) required.push(field);
    }
    const schema: JsonObject = { type: 'object', properties };
    if (doc?.description) schema.description = doc.description;
    if (required.length) schema.required = required;
    return schema;
  }

  private typeSchema(type: ApiFieldType): JsonObject {
    switch (type.kind) {
      case 'string':
        return { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'number':
        return type.format === 'double' || type.format === 'float'
          ? { type: 'number', format: type.format }
          : { type: 'integer', ...(type.format ? { format: type.format } : {}) };
      case 'any':
        return { type: 'object' };
      case 'date':
        return { allOf: [ref(this.addSpecial(TIME_SCHEMA))] };
      case 'micro-time':
        return { allOf: [ref(this.addSpecial(MICRO_TIME_SCHEMA))] };
      case 'int-or-string':
        return { allOf: [ref(this.addSpecial(INT_OR_STRING_SCHEMA))] };
      case 'quantity':
        return { allOf: [ref(this.addSpecial(QUANTITY_SCHEMA))] };
      case 'model':
        return apiModelFields(type.model) ? { allOf: [ref(this.add(type.model))] } : { type: 'object' };
      case 'array':
        return { type: 'array', items: this.typeSchema(type.items) };
      case 'map':
        return { type: 'object', additionalProperties: this.typeSchema(type.values) };
    }
  }
}

/** The client model describing a group/version/kind, preferring the registry's choice. */
function modelForKind(registry: ResourceRegistry, gvk: GroupVersionKind): string | undefined {
  const known = registry.lookupKind(groupVersion(gvk.group, gvk.version), gvk.kind);
  if (known) return known.modelName;
  const guess = `V${gvk.version.slice(1)}${gvk.kind}`;
  return apiModelFields(guess) ? guess : undefined;
}

interface OperationSpec {
  method: 'get' | 'put' | 'patch' | 'post' | 'delete';
  action: string;
  operationId: string;
  description: string;
  gvk: GroupVersionKind;
  parameters: JsonObject[];
  requestBody?: JsonObject;
  responses: JsonObject;
}

function operation(spec: OperationSpec, tag: string): JsonObject {
  const op: JsonObject = {
    description: spec.description,
    operationId: spec.operationId,
    responses: spec.responses,
    tags: [tag],
    'x-kubernetes-action': spec.action,
    'x-kubernetes-group-version-kind': gvkJson(spec.gvk),
  };
  if (spec.parameters.length) op.parameters = spec.parameters;
  if (spec.requestBody) op.requestBody = spec.requestBody;
  return op;
}

function objectBody(schemaRef: string): JsonObject {
  return { content: { '*/*': { schema: ref(schemaRef) } }, required: true };
}

function patchBody(): JsonObject {
  return { content: content(PATCH_MEDIA_TYPES, ref(PATCH_SCHEMA)), required: true };
}

function deleteBody(deleteOptionsRef: string): JsonObject {
  return { content: { '*/*': { schema: ref(deleteOptionsRef) } } };
}

class DocumentBuilder {
  readonly paths: Record<string, JsonObject> = {};
  readonly schemas = new SchemaCollector();
  private readonly statusRef: string;
  private readonly deleteOptionsRef: string;

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly group: string,
    private readonly version: string,
  ) {
    this.statusRef = this.schemas.add(STATUS_MODEL, { group: '', version: 'v1', kind: 'Status' });
    this.deleteOptionsRef = this.schemas.add(DELETE_OPTIONS_MODEL);
    this.schemas.add(WATCH_EVENT_MODEL);
    this.schemas.addSpecial(PATCH_SCHEMA);
  }

  private get tag(): string {
    const word = groupWord(this.group);
    return `${word.charAt(0).toLowerCase()}${word.slice(1)}_${this.version}`;
  }

  private setOperation(path: string, spec: OperationSpec, pathParameters: JsonObject[]): void {
    const item = this.paths[path] ?? { parameters: pathParameters };
    item[spec.method] = operation(spec, this.tag);
    this.paths[path] = item;
  }

  addResource(resource: ResourceInfo): void {
    const gvk: GroupVersionKind = { group: resource.group, version: resource.version, kind: resource.kind };
    const kindRef = this.schemas.add(resource.modelName, gvk);
    const listModel = `${resource.modelName}List`;
    const listRef = apiModelFields(listModel)
      ? this.schemas.add(listModel, { ...gvk, kind: `${resource.kind}List` })
      : kindRef;
    const prefix = resource.group
      ? `/apis/${resource.group}/${resource.version}`
      : `/api/${resource.version}`;
    const scope = resource.namespaced ? 'Namespaced' : '';
    const idSuffix = `${groupWord(resource.group)}${capitalize(resource.version)}${scope}${resource.kind}`;
    const collection = resource.namespaced
      ? `${prefix}/namespaces/{namespace}/${resource.plural}`
      : `${prefix}/${resource.plural}`;
    const item = `${collection}/{name}`;
    const namespaceParam = pathParam(
      'namespace',
      'object name and auth scope, such as for teams and projects',
    );
    const nameParam = pathParam('name', `name of the ${resource.kind}`);
    const collectionParams = resource.namespaced ? [namespaceParam, PARAM.pretty] : [PARAM.pretty];
    const itemParams = resource.namespaced
      ? [nameParam, namespaceParam, PARAM.pretty]
      : [nameParam, PARAM.pretty];
    const verbs = new Set(resource.verbs);
    const listResponses = { '200': response('OK', listRef, [...JSON_MEDIA_TYPES, ...WATCH_MEDIA_TYPES]) };

    if (verbs.has('list')) {
      this.setOperation(
        collection,
        {
          method: 'get',
          action: 'list',
          operationId: `list${idSuffix}`,
          description: `list or watch objects of kind ${resource.kind}`,
          gvk,
          parameters: LIST_PARAMS,
          responses: listResponses,
        },
        collectionParams,
      );
    }
    if (verbs.has('create')) {
      this.setOperation(
        collection,
        {
          method: 'post',
          action: 'post',
          operationId: `create${idSuffix}`,
          description: `create a ${resource.kind}`,
          gvk,
          parameters: WRITE_PARAMS,
          requestBody: objectBody(kindRef),
          responses: {
            '200': response('OK', kindRef),
            '201': response('Created', kindRef),
            '202': response('Accepted', kindRef),
          },
        },
        collectionParams,
      );
    }
    if (verbs.has('deletecollection')) {
      this.setOperation(
        collection,
        {
          method: 'delete',
          action: 'deletecollection',
          operationId: `delete${groupWord(resource.group)}${capitalize(resource.version)}Collection${scope}${resource.kind}`,
          description: `delete collection of ${resource.kind}`,
          gvk,
          parameters: DELETE_COLLECTION_PARAMS,
          requestBody: deleteBody(this.deleteOptionsRef),
          responses: { '200': response('OK', this.statusRef) },
        },
        collectionParams,
      );
    }
    if (verbs.has('get')) {
      this.setOperation(
        item,
        {
          method: 'get',
          action: 'get',
          operationId: `read${idSuffix}`,
          description: `read the specified ${resource.kind}`,
          gvk,
          parameters: [],
          responses: { '200': response('OK', kindRef) },
        },
        itemParams,
      );
    }
    if (verbs.has('update')) {
      this.setOperation(
        item,
        {
          method: 'put',
          action: 'put',
          operationId: `replace${idSuffix}`,
          description: `replace the specified ${resource.kind}`,
          gvk,
          parameters: WRITE_PARAMS,
          requestBody: objectBody(kindRef),
          responses: { '200': response('OK', kindRef), '201': response('Created', kindRef) },
        },
        itemParams,
      );
    }
    if (verbs.has('patch')) {
      this.setOperation(
        item,
        {
          method: 'patch',
          action: 'patch',
          operationId: `patch${idSuffix}`,
          description: `partially update the specified ${resource.kind}`,
          gvk,
          parameters: PATCH_PARAMS,
          requestBody: patchBody(),
          responses: { '200': response('OK', kindRef), '201': response('Created', kindRef) },
        },
        itemParams,
      );
    }
    if (verbs.has('delete')) {
      this.setOperation(
        item,
        {
          method: 'delete',
          action: 'delete',
          operationId: `delete${idSuffix}`,
          description: `delete a ${resource.kind}`,
          gvk,
          parameters: DELETE_PARAMS,
          requestBody: deleteBody(this.deleteOptionsRef),
          responses: { '200': response('OK', kindRef), '202': response('Accepted', kindRef) },
        },
        itemParams,
      );
    }
    if (resource.namespaced && verbs.has('list')) {
      this.setOperation(
        `${prefix}/${resource.plural}`,
        {
          method: 'get',
          action: 'list',
          operationId: `list${groupWord(resource.group)}${capitalize(resource.version)}${resource.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${resource.kind}`,
          gvk,
          parameters: LIST_PARAMS,
          responses: listResponses,
        },
        [PARAM.pretty],
      );
    }
    for (const subresource of resource.subresources) {
      this.addSubresource(resource, subresource, item, itemParams);
    }
  }

  private addSubresource(
    resource: ResourceInfo,
    subresource: SubresourceInfo,
    itemPath: string,
    itemParams: JsonObject[],
  ): void {
    const path = `${itemPath}/${subresource.name}`;
    const gvk = subresource.responseKind;
    const idPrefix = `${groupWord(resource.group)}${capitalize(resource.version)}`;
    const scope = resource.namespaced ? 'Namespaced' : '';
    const idName = `${idPrefix}${scope}${resource.kind}${capitalize(subresource.name)}`;
    const verbs = new Set(subresource.verbs);
    const what = `${subresource.name} of the specified ${resource.kind}`;

    if (STREAMING_SUBRESOURCES.has(subresource.name)) {
      const textResponse = {
        '200': { content: { '*/*': { schema: { type: 'string' } } }, description: 'OK' },
      };
      if (subresource.name === 'log') {
        this.setOperation(
          path,
          {
            method: 'get',
            action: 'get',
            operationId: `read${idName}`,
            description: `read ${what}`,
            gvk,
            parameters: [],
            responses: textResponse,
          },
          itemParams,
        );
        return;
      }
      const connectMethods: ['get' | 'post', string][] = [
        ['get', 'get'],
        ['post', 'create'],
      ];
      for (const [method, verb] of connectMethods) {
        if (!verbs.has(verb)) continue;
        this.setOperation(
          path,
          {
            method,
            action: 'connect',
            operationId: `connect${idPrefix}${capitalize(method)}${scope}${resource.kind}${capitalize(subresource.name)}`,
            description: `connect ${method.toUpperCase()} requests to ${what}`,
            gvk,
            parameters: [],
            responses: textResponse,
          },
          itemParams,
        );
      }
      return;
    }

    const model = modelForKind(this.registry, gvk);
    const bodyRef = model ? this.schemas.add(model, gvk) : this.statusRef;
    const ok = response('OK', bodyRef);
    const created = response('Created', bodyRef);
    if (verbs.has('get')) {
      this.setOperation(
        path,
        {
          method: 'get',
          action: 'get',
          operationId: `read${idName}`,
          description: `read ${what}`,
          gvk,
          parameters: [],
          responses: { '200': ok },
        },
        itemParams,
      );
    }
    if (verbs.has('update')) {
      this.setOperation(
        path,
        {
          method: 'put',
          action: 'put',
          operationId: `replace${idName}`,
          description: `replace ${what}`,
          gvk,
          parameters: WRITE_PARAMS,
          requestBody: objectBody(bodyRef),
          responses: { '200': ok, '201': created },
        },
        itemParams,
      );
    }
    if (verbs.has('patch')) {
      this.setOperation(
        path,
        {
          method: 'patch',
          action: 'patch',
          operationId: `patch${idName}`,
          description: `partially update ${what}`,
          gvk,
          parameters: PATCH_PARAMS,
          requestBody: patchBody(),
          responses: { '200': ok, '201': created },
        },
        itemParams,
      );
    }
    if (verbs.has('create')) {
      this.setOperation(
        path,
        {
          method: 'post',
          action: 'post',
          operationId: `create${idName}`,
          description: `create ${what}`,
          gvk,
          parameters: WRITE_PARAMS,
          requestBody: objectBody(bodyRef),
          responses: { '200': ok, '201': created, '202': response('Accepted', bodyRef) },
        },
        itemParams,
      );
    }
  }

  build(groupVersions: GroupVersionKind[]): OpenApiV3Document {
    // Every group accepts DeleteOptions and emits WatchEvents; upstream lists them per group-version.
    for (const gv of groupVersions) {
      this.schemas.add(DELETE_OPTIONS_MODEL, { ...gv, kind: 'DeleteOptions' });
      this.schemas.add(WATCH_EVENT_MODEL, { ...gv, kind: 'WatchEvent' });
    }
    const document = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'unversioned' },
      paths: this.paths,
      components: { schemas: this.schemas.build() },
    };
    return canonical(document as unknown as Json) as unknown as OpenApiV3Document;
  }
}

interface CachedDocument {
  document: OpenApiV3Document;
  hash: string;
}

const documentCache = new WeakMap<ResourceRegistry, Map<string, CachedDocument | null>>();

/** The group-versions a registry serves, core first, then by group name. */
function servedGroupVersions(registry: ResourceRegistry): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of registry.resources)
    seen.set(groupVersion(r.group, r.version), { group: r.group, version: r.version });
  return [...seen.values()].sort(
    (a, b) => a.group.localeCompare(b.group) || a.version.localeCompare(b.version),
  );
}

/** The group-versions DeleteOptions/WatchEvent carry: everything served plus those subresources answer in. */
function referencedGroupVersions(registry: ResourceRegistry): GroupVersionKind[] {
  const seen = new Map<string, GroupVersionKind>();
  const note = (group: string, version: string) =>
    seen.set(groupVersion(group, version), { group, version, kind: '' });
  for (const r of registry.resources) {
    note(r.group, r.version);
    for (const s of r.subresources) note(s.responseKind.group, s.responseKind.version);
  }
  return [...seen.values()];
}

function cachedDocument(registry: ResourceRegistry, group: string, version: string): CachedDocument | null {
  let perRegistry = documentCache.get(registry);
  if (!perRegistry) {
    perRegistry = new Map();
    documentCache.set(registry, perRegistry);
  }
  const key = groupVersion(group, version);
  const cached = perRegistry.get(key);
  if (cached !== undefined) return cached;

  const resources = registry.inGroupVersion(group, version);
  let entry: CachedDocument | null = null;
  if (resources.length) {
    const builder = new DocumentBuilder(registry, group, version);
    for (const resource of resources) builder.addResource(resource);
    const document = deepFreeze(builder.build(referencedGroupVersions(registry)));
    const hash = createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
    entry = { document, hash };
  }
  perRegistry.set(key, entry);
  return entry;
}

/** The index path of a group-version: `api/v1`, `apis/apps/v1`. */
export function openApiV3Path(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** `GET /openapi/v3`: one entry per served group-version, each URL carrying the document's hash. */
export function openApiV3Index(registry: ResourceRegistry): OpenApiV3Index {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of servedGroupVersions(registry)) {
    const entry = cachedDocument(registry, group, version);
    if (!entry) continue;
    const path = openApiV3Path(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${entry.hash}` };
  }
  return { paths };
}

/** `GET /openapi/v3/<path>`: the document of one group-version, or undefined when it is not served. */
export function openApiV3Document(
  registry: ResourceRegistry,
  group: string,
  version: string,
): OpenApiV3Document | undefined {
  return cachedDocument(registry, group, version)?.document;
}

/** The hash the index advertises for a group-version (useful for ETag / cache headers). */
export function openApiV3DocumentHash(
  registry: ResourceRegistry,
  group: string,
  version: string,
): string | undefined {
  return cachedDocument(registry, group, version)?.hash;
}
