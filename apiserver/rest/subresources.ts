/**
 * The subresources that are not plain views of their parent: `scale` (autoscaling/v1 Scale over a
 * workload's replicas), `binding` (the scheduler's assignment of a pod to a node) and `eviction`
 * (a graceful pod deletion on behalf of drain).
 */
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import { badRequest, conflict, invalid } from '../api-error.js';
import { labelSelectorFromSpec } from '../../machinery/label-selector.js';
import { applyPatch } from '../patch/patch-type.js';
import type { DeleteOptions, ResourceStore, Scope, WriteOptions, WriteResult } from './resource-store.js';
import { timestamp } from './object-meta.js';

export function scaleOf(obj: KubeObject): KubeObject {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const status = isPlainObject(obj.status) ? obj.status : {};
  const selector = labelSelectorFromSpec(isPlainObject(spec.selector) ? spec.selector : undefined);
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: selector.toString(),
    },
  };
}

function replicasOf(scale: unknown, name: string): number {
  const spec = isPlainObject(scale) && isPlainObject(scale.spec) ? scale.spec : {};
  // Clients written in Go leave out a zero replica count (omitempty), so absent means 0.
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      },
    ]);
  }
  return replicas;
}

export async function getScale(store: ResourceStore, scope: Scope, name: string): Promise<KubeObject> {
  return scaleOf(await store.get(scope, name));
}

/**
 * The shape upstream's decoder insists on before a Scale is looked at: metadata and spec objects, and
 * the URL's name when the body names one. Anything else would read as "0 replicas" and scale down.
 */
function checkScaleShape(body: unknown, name: string): asserts body is Record<string, unknown> {
  if (!isPlainObject(body)) throw badRequest('the request body must be a Scale object');
  if (body.metadata !== undefined && body.metadata !== null && !isPlainObject(body.metadata))
    throw badRequest('Scale.metadata must be an object');
  if (body.spec !== undefined && body.spec !== null && !isPlainObject(body.spec))
    throw badRequest('Scale.spec must be an object');
  const bodyName = isPlainObject(body.metadata) ? body.metadata.name : undefined;
  if (bodyName !== undefined && bodyName !== null && bodyName !== '' && bodyName !== name)
    throw badRequest(
      `the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`,
    );
}

/** PUT of a Scale: its resourceVersion, when set, must be the parent's. */
export async function updateScale(
  store: ResourceStore,
  scope: Scope,
  name: string,
  body: unknown,
  opts: WriteOptions,
): Promise<KubeObject> {
  checkScaleShape(body, name);
  const replicas = replicasOf(body, name);
  const rv =
    isPlainObject(body.metadata) && typeof body.metadata.resourceVersion === 'string'
      ? body.metadata.resourceVersion
      : '';
  const current = await store.get(scope, name);
  if (rv && rv !== current.metadata.resourceVersion)
    throw conflict(scope.resource.plural, scope.resource.group, name);
  const next = { ...current, spec: { ...(current.spec as object), replicas } };
  const result = await store.update(
    scope,
    name,
    { ...next, metadata: { ...next.metadata, resourceVersion: rv || undefined } },
    opts,
  );
  return scaleOf(result.object);
}

export async function patchScale(
  store: ResourceStore,
  scope: Scope,
  name: string,
  contentType: string,
  body: unknown,
  opts: WriteOptions,
): Promise<KubeObject> {
  const current = await store.get(scope, name);
  const patched = applyPatch(contentType, scaleOf(current), body, 'V1Scale');
  return updateScale(store, scope, name, patched, opts);
}

/** Assigns a pod to a node once; a second binding of a bound pod is a conflict, as upstream. */
export async function bindPod(
  store: ResourceStore,
  scope: Scope,
  name: string,
  body: unknown,
  opts: WriteOptions,
): Promise<void> {
  if (
    !isPlainObject(body) ||
    !isPlainObject(body.target) ||
    typeof body.target.name !== 'string' ||
    !body.target.name
  ) {
    throw badRequest('a Binding needs target.name');
  }
  const nodeName = body.target.name;
  const meta = isPlainObject(body.metadata) ? body.metadata : {};
  if (meta.name && meta.name !== name) {
    throw badRequest(
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
    );
  }
  await store.rawUpdate(scope, name, opts, (pod) => {
    const spec = isPlainObject(pod.spec) ? pod.spec : {};
    if (pod.metadata.deletionTimestamp) {
      throw conflict('pods', '', name, 'pod is being deleted, cannot be assigned to a host');
    }
    if (spec.nodeName) {
      throw conflict('pods', '', name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    }
    if (typeof meta.uid === 'string' && meta.uid && meta.uid !== pod.metadata.uid) {
      throw conflict('pods', '', name, 'the UID in the binding does not match the pod');
    }
    const status = isPlainObject(pod.status) ? pod.status : {};
    const conditions = Array.isArray(status.conditions)
      ? status.conditions.filter((c) => !(isPlainObject(c) && c.type === 'PodScheduled'))
      : [];
    conditions.push({
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: timestamp(),
    });
    const annotations = isPlainObject(meta.annotations)
      ? (meta.annotations as Record<string, string>)
      : undefined;
    return {
      ...pod,
      metadata: annotations
        ? { ...pod.metadata, annotations: { ...pod.metadata.annotations, ...annotations } }
        : pod.metadata,
      spec: { ...spec, nodeName },
      status: { ...status, conditions },
    };
  });
}

/**
 * The delete an Eviction body asks for. Pure. An eviction deletes a pod, so a body that is not an
 * Eviction of this very pod, or options that do not parse, are a 400 rather than a plain delete,
 * as upstream: `name in URL does not match name in Eviction object`.
 */
export function evictionDeleteOptions(body: unknown, name: string): DeleteOptions {
  if (!isPlainObject(body)) throw badRequest('the request body must be an Eviction object');
  const meta = body.metadata;
  if (!isPlainObject(meta) || meta.name !== name)
    throw badRequest('name in URL does not match name in Eviction object');
  const options = body.deleteOptions ?? {};
  if (!isPlainObject(options)) throw badRequest('Eviction.deleteOptions must be an object');
  const grace = options.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isInteger(grace)))
    throw badRequest('gracePeriodSeconds must be an integer');
  const policy = options.propagationPolicy;
  if (
    policy !== undefined &&
    policy !== null &&
    !['Orphan', 'Background', 'Foreground'].includes(String(policy))
  )
    throw badRequest(
      `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Orphan", "Background", "Foreground"`,
    );
  const pre = options.preconditions ?? {};
  if (!isPlainObject(pre)) throw badRequest('DeleteOptions.preconditions must be an object');
  const dryRun = options.dryRun ?? [];
  if (!Array.isArray(dryRun) || dryRun.some((v) => v !== 'All'))
    throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(dryRun)}: supported values: "All"`);
  return {
    gracePeriodSeconds: typeof grace === 'number' ? grace : undefined,
    preconditions: {
      uid: typeof pre.uid === 'string' ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
    },
    dryRun: dryRun.length > 0,
  };
}

export async function evictPod(
  store: ResourceStore,
  scope: Scope,
  name: string,
  body: unknown,
): Promise<WriteResult['object']> {
  await store.delete(scope, name, evictionDeleteOptions(body, name));
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    code: 201,
  } as unknown as KubeObject;
}
