/**
 * ResourceStore: the generic create/read/update/patch/delete flow every resource goes through, with
 * the per-resource rules from `strategies.ts`. It is the API server's registry layer: handlers parse
 * HTTP into calls here, and only `EtcdStorage` below it touches etcd.
 *
 * Contract:
 * - Every write is validated before it is stored and stored in one transaction; a rejected request
 *   changes nothing.
 * - Updates that carry a resourceVersion fail with 409 when it is stale. Updates without one (and
 *   patches) are retried against the newest object, so they never lose a concurrent write.
 * - A write that changes nothing is not stored: the resourceVersion stays and no watch event fires.
 */
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  internalError,
  invalid,
  notFound,
} from '../api-error.js';
import type { ResourceInfo, ResourceRegistry } from '../resource-registry.js';
import { apiVersionOf } from '../resource-registry.js';
import type { EtcdStorage, TxnExtras } from '../storage/etcd-storage.js';
import { StorageConflict, withRevision } from '../storage/etcd-storage.js';
import { collectionKey, objectKey } from '../storage/registry-keys.js';
import { applyDefaults } from '../admission/defaults.js';
import { validateObject } from '../admission/validation.js';
import { decodeFields } from '../openapi/field-validation.js';
import type { FieldValidationMode } from '../openapi/field-validation.js';
import { applyPatch } from '../patch/patch-type.js';
import type { FieldSelector } from '../field-selector.js';
import { fieldsOf } from '../field-selector.js';
import type { LabelSelector } from '../../machinery/label-selector.js';
import {
  generateName,
  jsonEqual,
  metadataForCreate,
  metadataForUpdate,
  sameContent,
  timestamp,
} from './object-meta.js';
import {
  podGracePeriod,
  prepareForCreate,
  prepareForStatusUpdate,
  prepareForUpdate,
  strategyFor,
} from './strategies.js';
import { AllocationInvalid, RangeFullError } from './service-allocations.js';
import type { ServiceAllocator } from './service-allocations.js';
import type { NamespaceLifecycle } from './namespace-lifecycle.js';

export interface Scope {
  resource: ResourceInfo;
  /** Set for namespaced requests; undefined for cluster-scoped resources and all-namespace lists. */
  namespace?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidationMode;
  fieldManager?: string;
  /**
   * A check by the caller, which knows who asks, on the object about to be written (before
   * validation, as upstream's RBAC storage checks escalation); it throws to refuse the write.
   */
  admit?: (obj: KubeObject) => void;
}

export interface WriteResult {
  object: KubeObject;
  /** 201 for creates, 200 otherwise. */
  created: boolean;
  warnings: string[];
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** False while finalizers or a grace period hold the object. */
  deleted: boolean;
}

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  items: KubeObject[];
  revision: number;
  continueToken?: string;
}

/** Creates with generated names or contended allocations retry this often before giving up. */
const MAX_RETRIES = 16;
/**
 * Updates without a client precondition retry until this deadline: every round some writer wins, so
 * under heavy contention the last one may need as many rounds as there are writers.
 */
const UPDATE_RETRY_DEADLINE_MS = 30_000;

export type Subresource = 'status' | undefined;

export class ResourceStore {
  private readonly namespaces: ResourceInfo;

  constructor(
    private readonly storage: EtcdStorage,
    registry: ResourceRegistry,
    private readonly allocator: ServiceAllocator,
    private readonly now: () => Date = () => new Date(),
  ) {
    const namespaces = registry.lookup('', 'v1', 'namespaces');
    if (!namespaces) throw new Error('the registry must serve namespaces');
    this.namespaces = namespaces;
  }

  /** Which namespaces refuse new content; unset (tests of the store alone) means none do. */
  namespaceLifecycle: Pick<NamespaceLifecycle, 'isTerminating'> | undefined;

  key(scope: Scope, name: string): string {
    return objectKey(
      this.storage.prefix,
      scope.resource.plural,
      scope.resource.namespaced ? scope.namespace : undefined,
      name,
    );
  }

  collection(scope: Scope): string {
    return collectionKey(
      this.storage.prefix,
      scope.resource.plural,
      scope.resource.namespaced ? scope.namespace : undefined,
    );
  }

  namespaceKey(namespace: string): string {
    return objectKey(this.storage.prefix, 'namespaces', undefined, namespace);
  }

  private notFound(scope: Scope, name: string): ApiError {
    return notFound(scope.resource.plural, scope.resource.group, name);
  }

  async get(scope: Scope, name: string): Promise<KubeObject> {
    const obj = await this.storage.get(this.key(scope, name));
    if (!obj) throw this.notFound(scope, name);
    return this.withTypeMeta(scope, obj);
  }

  withTypeMeta(scope: Scope, obj: KubeObject): KubeObject {
    return { apiVersion: apiVersionOf(scope.resource), kind: scope.resource.kind, ...obj };
  }

  async list(scope: Scope, opts: ListOptions = {}): Promise<ListResult> {
    const pinnedName = opts.fieldSelector?.requiredValue('metadata.name');
    const pinnedNamespace = opts.fieldSelector?.requiredValue('metadata.namespace');
    let effective = scope;
    if (scope.resource.namespaced && !scope.namespace && pinnedNamespace)
      effective = { ...scope, namespace: pinnedNamespace };

    let items: KubeObject[];
    let revision: number;
    let continueToken: string | undefined;
    if (
      pinnedName !== undefined &&
      (!scope.resource.namespaced || effective.namespace) &&
      !opts.continueToken
    ) {
      // A single-object list (kubectl wait, rollout status): one key read instead of a range.
      const [obj, rev] = await Promise.all([
        this.storage.get(this.key(effective, pinnedName)),
        this.storage.currentRevision(),
      ]);
      items = obj ? [obj] : [];
      revision = rev;
    } else {
      const page = await this.storage.list(this.collection(effective), {
        limit: opts.limit,
        continueToken: opts.continueToken,
      });
      ({ items, revision, continueToken } = page);
    }
    const matches = (obj: KubeObject) => this.matches(scope, obj, opts);
    return { items: items.filter(matches), revision, continueToken };
  }

  matches(
    scope: Scope,
    obj: KubeObject,
    opts: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>,
  ): boolean {
    if (opts.labelSelector && !opts.labelSelector.matches(obj.metadata.labels ?? {})) return false;
    if (opts.fieldSelector && !opts.fieldSelector.matches(fieldsOf(scope.resource.plural, obj))) return false;
    return true;
  }

  /** Checks what every body must satisfy before anything else looks at it. */
  private checkBody(scope: Scope, body: unknown, urlName?: string): KubeObject {
    if (!isPlainObject(body)) throw badRequest('the request body must be a JSON or YAML object');
    const obj = body as KubeObject;
    const apiVersion = apiVersionOf(scope.resource);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== scope.resource.kind) {
      throw badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${scope.resource.kind})`,
      );
    }
    if (obj.metadata !== undefined && !isPlainObject(obj.metadata))
      throw badRequest('metadata must be an object');
    const metadata = { ...(obj.metadata ?? {}) };
    if (scope.resource.namespaced) {
      if (metadata.namespace && scope.namespace && metadata.namespace !== scope.namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
    }
    // Upstream compares the names as they are: a body without one does not match the URL either.
    if (urlName !== undefined && (metadata.name ?? '') !== urlName) {
      throw badRequest(
        `the name of the object (${String(metadata.name ?? '')}) does not match the name on the URL (${urlName})`,
      );
    }
    return { ...obj, apiVersion, kind: scope.resource.kind, metadata };
  }

  /**
   * Field validation as upstream's decoder: type errors are always 400, unknown fields are 400 in
   * Strict mode and warnings in Warn mode, and in every mode they are dropped rather than stored.
   */
  private decode(
    scope: Scope,
    obj: KubeObject,
    mode: FieldValidationMode | undefined,
    forPatch = false,
  ): { obj: KubeObject; warnings: string[] } {
    const target = forPatch ? undefined : { kind: scope.resource.kind, version: scope.resource.version };
    return decodeFields(obj, scope.resource.modelName, mode ?? 'Ignore', target);
  }

  private validate(scope: Scope, obj: KubeObject, old?: KubeObject): void {
    const causes = validateObject(scope.resource, obj, old);
    if (causes.length)
      throw invalid(scope.resource.kind, scope.resource.group, obj.metadata.name ?? '', causes);
  }

  async create(scope: Scope, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    const { obj: request, warnings } = this.decode(scope, this.checkBody(scope, body), opts.fieldValidation);
    const meta = request.metadata;
    if (!meta.name && !meta.generateName) {
      throw invalid(scope.resource.kind, scope.resource.group, '', [
        {
          reason: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    if (scope.resource.namespaced && !scope.namespace)
      throw badRequest('the namespace must be set on the request');
    if (scope.resource.namespaced && this.namespaceLifecycle?.isTerminating(scope.namespace!)) {
      throw new ApiError(
        403,
        'Forbidden',
        `${scope.resource.plural} "${meta.name || meta.generateName || ''}" is forbidden: unable to create new content in namespace ${scope.namespace} because it is being terminated`,
        { name: meta.name, group: scope.resource.group || undefined, kind: scope.resource.plural },
      );
    }
    opts.admit?.(request);
    const strategy = strategyFor(scope.resource);

    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const name = meta.name || generateName(meta.generateName ?? '');
      let obj: KubeObject = {
        ...request,
        metadata: metadataForCreate(
          { ...meta, name },
          scope.resource.namespaced ? scope.namespace : undefined,
          this.now(),
        ),
      };
      obj = prepareForCreate(strategy, obj);
      obj = applyDefaults(scope.resource, obj);
      this.validate(scope, obj);
      let extras: TxnExtras = { compares: [], operations: [] };
      if (scope.resource.plural === 'services')
        ({ service: obj, extras } = await this.planServiceAllocations(scope, obj, undefined));
      if (scope.resource.namespaced) {
        extras = {
          compares: [
            ...extras.compares,
            {
              key: Buffer.from(this.namespaceKey(scope.namespace!)),
              target: 'Create',
              result: 'Greater',
              create_revision: 0,
            },
          ],
          operations: extras.operations,
        };
      }
      if (opts.dryRun) return { object: obj, created: true, warnings };
      try {
        const stored = await this.storage.create(this.key(scope, name), obj, extras);
        return { object: stored, created: true, warnings };
      } catch (err) {
        if (!(err instanceof StorageConflict)) throw err;
        await this.explainCreateConflict(scope, name, request, Boolean(meta.name));
      }
    }
    throw internalError('too many conflicts while creating the object; try again');
  }

  /** Works out why a create transaction failed; returns only when retrying may succeed. */
  private async explainCreateConflict(
    scope: Scope,
    name: string,
    request: KubeObject,
    fixedName: boolean,
  ): Promise<void> {
    if (scope.resource.namespaced) {
      const ns = await this.storage.get(this.namespaceKey(scope.namespace!));
      if (!ns) throw notFound('namespaces', '', scope.namespace!);
    }
    if (await this.storage.get(this.key(scope, name))) {
      if (fixedName) throw alreadyExists(scope.resource.plural, scope.resource.group, name);
      return; // a generated name collided: pick another
    }
    if (scope.resource.plural === 'services') {
      const causes = await this.allocator.takenAmong(request, undefined);
      if (causes.length) throw invalid(scope.resource.kind, scope.resource.group, name, causes);
    }
  }

  private async planServiceAllocations(
    scope: Scope,
    obj: KubeObject,
    current: KubeObject | undefined,
  ): Promise<{ service: KubeObject; extras: TxnExtras }> {
    try {
      return await this.allocator.plan(obj, current, `${scope.namespace}/${obj.metadata.name}`);
    } catch (err) {
      if (err instanceof AllocationInvalid) throw invalid('Service', '', obj.metadata.name ?? '', err.causes);
      if (err instanceof RangeFullError) throw new ApiError(500, 'InternalError', err.message);
      throw err;
    }
  }

  /**
   * Reads the newest object, computes the next version with `mutate`, and writes it if nothing changed
   * in between; on a concurrent write it starts again, unless the client pinned a resourceVersion.
   */
  private async guaranteedUpdate(
    scope: Scope,
    name: string,
    opts: WriteOptions,
    mutate: (
      current: KubeObject | undefined,
    ) => Promise<{ next: KubeObject; pinnedVersion?: string; createIfMissing?: boolean }>,
    subresource: Subresource,
  ): Promise<WriteResult> {
    const strategy = strategyFor(scope.resource);
    const key = this.key(scope, name);
    const deadline = Date.now() + UPDATE_RETRY_DEADLINE_MS;
    // After a lost race the failed transaction already returned the newest object: no extra read.
    let fresh: { current: KubeObject | undefined } | undefined;
    while (Date.now() < deadline) {
      const current = fresh ? fresh.current : await this.storage.get(key);
      const { next, pinnedVersion, createIfMissing } = await mutate(
        current ? this.withTypeMeta(scope, current) : undefined,
      );
      if (!current) {
        if (!(strategy.allowCreateOnUpdate || createIfMissing) || subresource)
          throw this.notFound(scope, name);
        return this.create(scope, { ...next, metadata: { ...next.metadata, name } }, opts);
      }
      if (pinnedVersion && pinnedVersion !== current.metadata.resourceVersion) {
        throw conflict(scope.resource.plural, scope.resource.group, name);
      }
      this.checkUidPrecondition(scope, name, next, current);
      let obj: KubeObject = { ...next, metadata: metadataForUpdate(next.metadata ?? {}, current.metadata) };
      obj =
        subresource === 'status'
          ? prepareForStatusUpdate(obj, current)
          : prepareForUpdate(strategy, obj, current);
      obj = applyDefaults(scope.resource, obj, current);
      opts.admit?.(obj);
      this.validate(scope, obj, current);
      this.refuseNewFinalizers(scope, obj, current);
      const currentRevision = Number(current.metadata.resourceVersion);

      if (this.finalizersDone(obj)) {
        if (opts.dryRun) return { object: obj, created: false, warnings: [] };
        try {
          const revision = await this.storage.delete(
            key,
            currentRevision,
            this.releaseExtras(scope, current),
          );
          return { object: withRevision(obj, revision), created: false, warnings: [] };
        } catch (err) {
          if (err instanceof StorageConflict) {
            fresh = { current: err.current };
            continue;
          }
          throw err;
        }
      }
      // A stale value (e.g. under an old encryption key) is rewritten even when nothing changed.
      if (sameContent(obj, current) && !this.storage.isStale(current))
        return { object: this.withTypeMeta(scope, current), created: false, warnings: [] };

      let extras: TxnExtras = { compares: [], operations: [] };
      if (scope.resource.plural === 'services' && !subresource) {
        ({ service: obj, extras } = await this.planServiceAllocations(scope, obj, current));
      }
      if (opts.dryRun) return { object: obj, created: false, warnings: [] };
      try {
        const stored = await this.storage.update(key, obj, currentRevision, extras);
        return { object: stored, created: false, warnings: [] };
      } catch (err) {
        if (!(err instanceof StorageConflict)) throw err;
        if (pinnedVersion) throw conflict(scope.resource.plural, scope.resource.group, name);
        fresh = { current: err.current };
        if (scope.resource.plural === 'services') {
          const causes = await this.allocator.takenAmong(next, current);
          if (causes.length) throw invalid('Service', '', name, causes);
        }
      }
    }
    throw conflict(scope.resource.plural, scope.resource.group, name);
  }

  /**
   * A uid in the new object is a precondition, as upstream reads it: it names the object the client
   * means to change, so a different one is a 409 rather than a rewrite of the identity.
   */
  private checkUidPrecondition(scope: Scope, name: string, next: KubeObject, current: KubeObject): void {
    const wanted = next.metadata?.uid;
    if (!wanted || wanted === current.metadata.uid) return;
    throw conflict(
      scope.resource.plural,
      scope.resource.group,
      name,
      `Precondition failed: UID in precondition: ${String(wanted)}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  }

  /** Upstream forbids adding finalizers once deletion started: the object could otherwise never go. */
  private refuseNewFinalizers(scope: Scope, obj: KubeObject, current: KubeObject): void {
    if (!current.metadata.deletionTimestamp) return;
    const before = new Set(current.metadata.finalizers ?? []);
    const added = (obj.metadata.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length) {
      throw invalid(scope.resource.kind, scope.resource.group, obj.metadata.name ?? '', [
        {
          reason: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          message:
            'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{' +
            added.map((f) => JSON.stringify(f)).join(', ') +
            '}',
        },
      ]);
    }
  }

  /** An object marked for deletion whose last finalizer is gone and that waits for no grace period. */
  private finalizersDone(obj: KubeObject): boolean {
    const meta = obj.metadata;
    // A namespace also waits for its own `spec.finalizers` (the namespace controller's "kubernetes").
    const spec = isPlainObject(obj.spec) ? obj.spec : {};
    if (obj.kind === 'Namespace' && Array.isArray(spec.finalizers) && spec.finalizers.length) return false;
    return Boolean(meta.deletionTimestamp) && !meta.finalizers?.length && !meta.deletionGracePeriodSeconds;
  }

  private releaseExtras(scope: Scope, obj: KubeObject): TxnExtras {
    return scope.resource.plural === 'services'
      ? this.allocator.releaseAll(obj)
      : { compares: [], operations: [] };
  }

  /**
   * An update computed from the stored object, skipping the rules for client updates: for writes the
   * API server makes on a client's behalf (binding), which may touch otherwise immutable fields.
   */
  async rawUpdate(
    scope: Scope,
    name: string,
    opts: WriteOptions,
    mutate: (current: KubeObject) => KubeObject,
  ): Promise<KubeObject> {
    const key = this.key(scope, name);
    const deadline = Date.now() + UPDATE_RETRY_DEADLINE_MS;
    while (Date.now() < deadline) {
      const current = await this.storage.get(key);
      if (!current) throw this.notFound(scope, name);
      const next = mutate(current);
      if (opts.dryRun) return next;
      try {
        return await this.storage.update(key, next, Number(current.metadata.resourceVersion));
      } catch (err) {
        if (!(err instanceof StorageConflict)) throw err;
      }
    }
    throw conflict(scope.resource.plural, scope.resource.group, name);
  }

  /**
   * `namespaces/<name>/finalize`: replaces `spec.finalizers`. The namespace controller calls it once the
   * namespace is empty; a terminating namespace with no finalizers left is then removed. The body is a
   * whole Namespace, checked as an update's is: its name must match the URL, a resourceVersion in it
   * must be current, and the finalizers must decode and be valid names.
   */
  async finalizeNamespace(name: string, body: unknown, opts: WriteOptions): Promise<WriteResult> {
    const scope: Scope = { resource: this.namespaces };
    const { obj: request } = this.decode(scope, this.checkBody(scope, body, name), opts.fieldValidation);
    const spec = isPlainObject(request.spec) ? request.spec : {};
    const requested = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    const pinnedVersion = request.metadata.resourceVersion || undefined;
    const updated = await this.rawUpdate(scope, name, opts, (ns) => {
      if (pinnedVersion && pinnedVersion !== ns.metadata.resourceVersion)
        throw conflict(scope.resource.plural, scope.resource.group, name);
      this.checkUidPrecondition(scope, name, request, ns);
      const next = { ...ns, spec: { ...(isPlainObject(ns.spec) ? ns.spec : {}), finalizers: requested } };
      this.validate(scope, next, ns);
      return next;
    });
    if (
      updated.metadata.deletionTimestamp &&
      requested.length === 0 &&
      !updated.metadata.finalizers?.length &&
      !opts.dryRun
    ) {
      const deleted = await this.delete(scope, name, {});
      return { object: deleted.object, created: false, warnings: [] };
    }
    return { object: this.withTypeMeta(scope, updated), created: false, warnings: [] };
  }

  async update(
    scope: Scope,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
    subresource?: Subresource,
  ): Promise<WriteResult> {
    const { obj: request, warnings } = this.decode(
      scope,
      this.checkBody(scope, body, name),
      opts.fieldValidation,
    );
    const pinnedVersion = request.metadata.resourceVersion || undefined;
    const result = await this.guaranteedUpdate(
      scope,
      name,
      opts,
      async () => ({ next: { ...request, metadata: { ...request.metadata, name } }, pinnedVersion }),
      subresource,
    );
    return { ...result, warnings: [...warnings, ...result.warnings] };
  }

  async patch(
    scope: Scope,
    name: string,
    contentType: string,
    body: unknown,
    opts: WriteOptions & { force?: boolean } = {},
    subresource?: Subresource,
  ): Promise<WriteResult> {
    const isApply = contentType.split(';')[0].trim() === 'application/apply-patch+yaml';
    let warnings: string[] = [];
    const result = await this.guaranteedUpdate(
      scope,
      name,
      opts,
      async (current) => {
        if (!current) {
          // Server-side apply creates what does not exist; other patches need an object to patch.
          if (!isApply || subresource) throw this.notFound(scope, name);
          const applied = applyPatch(contentType, undefined, body, scope.resource.modelName);
          const decoded = this.decode(
            scope,
            this.checkBody(scope, applied, name),
            opts.fieldValidation,
            true,
          );
          warnings = decoded.warnings;
          return { next: decoded.obj, createIfMissing: true };
        }
        const patched = applyPatch(contentType, current, body, scope.resource.modelName);
        const decoded = this.decode(scope, this.checkBody(scope, patched, name), opts.fieldValidation, true);
        const next = decoded.obj;
        warnings = decoded.warnings;
        const rv = next.metadata.resourceVersion;
        return { next, pinnedVersion: rv && rv !== current.metadata.resourceVersion ? rv : undefined };
      },
      subresource,
    );
    return { ...result, warnings: [...warnings, ...result.warnings] };
  }

  async delete(scope: Scope, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const key = this.key(scope, name);
    const deadline = Date.now() + UPDATE_RETRY_DEADLINE_MS;
    while (Date.now() < deadline) {
      const current = await this.storage.get(key);
      if (!current) throw this.notFound(scope, name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw conflict(
          scope.resource.plural,
          scope.resource.group,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
        );
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(
          scope.resource.plural,
          scope.resource.group,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
        );
      }
      const next = this.markForDeletion(scope, current, opts);
      const revision = Number(current.metadata.resourceVersion);
      try {
        if (next) {
          if (jsonEqual(next, current)) return { object: this.withTypeMeta(scope, current), deleted: false };
          if (opts.dryRun) return { object: this.withTypeMeta(scope, next), deleted: false };
          const stored = await this.storage.update(key, next, revision);
          return { object: this.withTypeMeta(scope, stored), deleted: false };
        }
        if (opts.dryRun) return { object: this.withTypeMeta(scope, current), deleted: true };
        const deletedAt = await this.storage.delete(key, revision, this.releaseExtras(scope, current));
        return { object: this.withTypeMeta(scope, withRevision(current, deletedAt)), deleted: true };
      } catch (err) {
        if (!(err instanceof StorageConflict)) throw err;
      }
    }
    throw conflict(scope.resource.plural, scope.resource.group, name);
  }

  /**
   * The object as it should be stored while its deletion is pending (finalizers or a grace period),
   * or undefined when it can be removed now.
   */
  private markForDeletion(scope: Scope, current: KubeObject, opts: DeleteOptions): KubeObject | undefined {
    const meta = current.metadata;
    const finalizers = [...(meta.finalizers ?? [])];
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : undefined);
    const addFinalizer = (f: string) => !finalizers.includes(f) && finalizers.push(f);
    const dropFinalizer = (f: string) =>
      finalizers.includes(f) && finalizers.splice(finalizers.indexOf(f), 1);
    if (!meta.deletionTimestamp) {
      if (policy === 'Orphan') {
        addFinalizer('orphan');
        dropFinalizer('foregroundDeletion');
      } else if (policy === 'Foreground') {
        addFinalizer('foregroundDeletion');
        dropFinalizer('orphan');
      }
    }
    const spec = isPlainObject(current.spec) ? current.spec : {};
    const grace = scope.resource.plural === 'pods' ? podGracePeriod(current, opts.gracePeriodSeconds) : 0;
    const namespaceFinalizers =
      scope.resource.plural === 'namespaces' && Array.isArray(spec.finalizers) ? spec.finalizers.length : 0;
    if (!finalizers.length && grace === 0 && namespaceFinalizers === 0) return undefined;

    const now = this.now();
    if (meta.deletionTimestamp) {
      // Already going: a shorter grace period may bring the deletion forward, never push it back.
      const remaining = meta.deletionGracePeriodSeconds ?? 0;
      if (grace >= remaining)
        return { ...current, metadata: { ...meta, finalizers: finalizers.length ? finalizers : undefined } };
    }
    const next: KubeObject = {
      ...current,
      metadata: {
        ...meta,
        deletionTimestamp: timestamp(new Date(now.getTime() + grace * 1000)),
        deletionGracePeriodSeconds: grace,
        finalizers: finalizers.length ? finalizers : undefined,
      },
    };
    if (!next.metadata.finalizers) delete next.metadata.finalizers;
    if (scope.resource.plural === 'namespaces') {
      next.status = { ...(isPlainObject(current.status) ? current.status : {}), phase: 'Terminating' };
    }
    return next;
  }
}
