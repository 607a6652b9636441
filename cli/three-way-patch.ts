/**
 * kubectl's client-side apply patch: from the last applied configuration (`original`), the new
 * manifest (`modified`) and the live object (`current`), the patch that makes the live object carry
 * every field of the manifest, drops the fields the previous apply set and this one no longer does,
 * and leaves alone whatever others set. Pure.
 *
 * - Built-in kinds get a strategic merge patch (apimachinery's CreateThreeWayMergePatch): additions
 *   and changes are diffed from `current` to `modified`, deletions from `original` to `modified`,
 *   and the two are merged. Lists with a merge key are diffed item by item (`$patch: delete` for
 *   removed items, `$setElementOrder/<list>` for their order), merging lists of scalars as sets
 *   (`$deleteFromPrimitiveList/<list>`), other lists atomically; `retainKeys` fields get `$retainKeys`.
 * - Other kinds get a JSON merge patch built the same way (CreateThreeWayJSONMergePatch).
 * - `{}` means nothing to do: kubectl then reports `unchanged`.
 * - apiVersion, kind and metadata.name must not change (kubectl's preconditions).
 */
import { isPlainObject } from '../apiserver/api-object.js';
import { fieldPatchInfo, isMergeList } from '../apiserver/patch/merge-keys.js';
import type { FieldType } from '../apiserver/schema/model-schema.js';
import { goJson } from './go-json.js';

type JsonObject = Record<string, unknown>;

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';
const RETAIN_KEYS = '$retainKeys';

interface DiffOptions {
  ignoreDeletions: boolean;
  ignoreChangesAndAdditions: boolean;
  buildRetainKeys: boolean;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

/** Go's `fmt.Sprintf("%v")` of a merge key or scalar, which is how upstream orders them. */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function childInfo(type: FieldType | undefined, key: string) {
  return fieldPatchInfo(type, key);
}

function diffMaps(
  original: JsonObject,
  modified: JsonObject,
  type: FieldType | undefined,
  opts: DiffOptions,
) {
  const patch: JsonObject = {};
  const retainKeys: string[] = [];
  for (const [key, modifiedValue] of Object.entries(modified)) {
    if (opts.buildRetainKeys && modifiedValue !== null) retainKeys.push(key);
    if (!Object.hasOwn(original, key)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    const originalValue = original[key];
    if (kindOf(originalValue) !== kindOf(modifiedValue)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    if (isPlainObject(originalValue) && isPlainObject(modifiedValue)) {
      const { type: childType, meta } = childInfo(type, key);
      const retain = meta?.strategy.includes('retainKeys') ?? false;
      const sub = diffMaps(originalValue, modifiedValue, childType, { ...opts, buildRetainKeys: retain });
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (Array.isArray(originalValue) && Array.isArray(modifiedValue)) {
      diffSlice(key, originalValue, modifiedValue, patch, type, opts);
    } else if (!deepEqual(originalValue, modifiedValue) && !opts.ignoreChangesAndAdditions) {
      patch[key] = modifiedValue;
    }
  }
  if (!opts.ignoreDeletions) {
    for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) patch[key] = null;
  }
  const needsClearing = Object.entries(original).some(([k, v]) => v !== null && !Object.hasOwn(modified, k));
  if (retainKeys.length > 0 && (Object.keys(patch).length > 0 || needsClearing)) {
    patch[RETAIN_KEYS] = retainKeys.sort(compareText);
  }
  return patch;
}

function diffSlice(
  key: string,
  original: unknown[],
  modified: unknown[],
  patch: JsonObject,
  parentType: FieldType | undefined,
  opts: DiffOptions,
): void {
  const { type, meta } = childInfo(parentType, key);
  const itemsAreMaps = [...original, ...modified].some(isPlainObject);
  if (!isMergeList(meta) || (itemsAreMaps && !meta?.mergeKey)) {
    if (!deepEqual(original, modified) && !opts.ignoreChangesAndAdditions) patch[key] = modified;
    return;
  }
  const itemType = type?.kind === 'array' ? type.items : undefined;
  const retain = meta?.strategy.includes('retainKeys') ?? false;
  const { patchList, deleteList, orderList } = diffLists(original, modified, itemType, meta?.mergeKey, {
    ...opts,
    buildRetainKeys: retain,
  });
  if (patchList.length > 0) patch[key] = patchList;
  if (deleteList.length > 0) patch[`${DELETE_FROM_PRIMITIVE_LIST}/${key}`] = deleteList;
  if (orderList.length > 0) patch[`${SET_ELEMENT_ORDER}/${key}`] = orderList;
}

function mergeKeyValue(item: unknown, mergeKey: string): unknown {
  if (!isPlainObject(item) || !Object.hasOwn(item, mergeKey))
    throw new Error(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
  return item[mergeKey];
}

function diffLists(
  original: unknown[],
  modified: unknown[],
  itemType: FieldType | undefined,
  mergeKey: string | undefined,
  opts: DiffOptions,
): { patchList: unknown[]; deleteList: unknown[]; orderList: unknown[] } {
  const none = { patchList: [], deleteList: [], orderList: [] };
  if (original.length === 0) {
    if (modified.length === 0 || opts.ignoreChangesAndAdditions) return none;
    return { patchList: modified, deleteList: [], orderList: [] };
  }
  if ([...original, ...modified].some(isPlainObject) && mergeKey) {
    const { patch, deletions } = diffListsOfMaps(original, modified, itemType, mergeKey, opts);
    const ordered = orderLike(patch, modified, (item) => scalarText(mergeKeyValue(item, mergeKey)));
    const orderSame =
      original.length === modified.length &&
      original.every(
        (item, i) =>
          scalarText(mergeKeyValue(item, mergeKey)) === scalarText(mergeKeyValue(modified[i], mergeKey)),
      );
    const patchList = [...ordered, ...deletions];
    const wantsOrder =
      (!opts.ignoreChangesAndAdditions && (patchList.length > 0 || !orderSame)) ||
      (!opts.ignoreDeletions && patchList.length > 0);
    const orderList = wantsOrder
      ? modified.map((item) => ({ [mergeKey]: mergeKeyValue(item, mergeKey) }))
      : [];
    return { patchList, deleteList: [], orderList };
  }
  const { additions, deletions } = diffListsOfScalars(original, modified, opts);
  const patchList = orderLike(additions, modified, scalarText);
  const wantsOrder =
    (!opts.ignoreDeletions && deletions.length > 0) ||
    (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified));
  return { patchList, deleteList: deletions, orderList: wantsOrder ? modified : [] };
}

/** Stable-sorts `items` by where their identity appears in `order` (absent ones first, as upstream). */
function orderLike(items: unknown[], order: unknown[], identity: (item: unknown) => string): unknown[] {
  const positions = order.map(identity);
  return items
    .map((item, i) => ({ item, i, at: positions.indexOf(identity(item)) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.item);
}

function diffListsOfMaps(
  original: unknown[],
  modified: unknown[],
  itemType: FieldType | undefined,
  mergeKey: string,
  opts: DiffOptions,
): { patch: unknown[]; deletions: unknown[] } {
  const byKey = (items: unknown[]) =>
    items
      .map((item) => ({ item: item as JsonObject, key: mergeKeyValue(item, mergeKey) }))
      .sort((a, b) => compareText(scalarText(a.key), scalarText(b.key)));
  const from = byKey(original);
  const to = byKey(modified);
  const patch: unknown[] = [];
  const deletions: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const order =
      i < from.length && j < to.length ? compareText(scalarText(from[i].key), scalarText(to[j].key)) : 0;
    if (i < from.length && j < to.length && order === 0) {
      const sub = diffMaps(from[i].item, to[j].item, itemType, opts);
      if (Object.keys(sub).length > 0) patch.push({ ...sub, [mergeKey]: to[j].key });
      i++;
      j++;
    } else if (i >= from.length || (j < to.length && order > 0)) {
      if (!opts.ignoreChangesAndAdditions) patch.push(to[j].item);
      j++;
    } else {
      if (!opts.ignoreDeletions) deletions.push({ $patch: 'delete', [mergeKey]: from[i].key });
      i++;
    }
  }
  return { patch, deletions };
}

function diffListsOfScalars(
  original: unknown[],
  modified: unknown[],
  opts: DiffOptions,
): { additions: unknown[]; deletions: unknown[] } {
  const sorted = (items: unknown[]) => [...items].sort((a, b) => compareText(scalarText(a), scalarText(b)));
  const from = sorted(original);
  const to = sorted(modified);
  const additions: unknown[] = [];
  const deletions: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const order = i < from.length && j < to.length ? compareText(scalarText(from[i]), scalarText(to[j])) : 0;
    if (i < from.length && j < to.length && order === 0) {
      i++;
      j++;
    } else if (i < from.length && (j >= to.length || order < 0)) {
      if (!opts.ignoreDeletions && !deletions.some((d) => deepEqual(d, from[i]))) deletions.push(from[i]);
      i++;
    } else {
      if (!opts.ignoreChangesAndAdditions) additions.push(to[j]);
      j++;
    }
  }
  return { additions, deletions };
}

/**
 * Merges the additions-and-changes patch into the deletions patch. Nulls in `delta` are dropped (they
 * come from explicit nulls in the manifest), merge-keyed list items are merged by key, and
 * directives (`$setElementOrder/…`, `$retainKeys`) are copied.
 */
function mergePatches(deletions: JsonObject, delta: JsonObject, type: FieldType | undefined): JsonObject {
  const result: JsonObject = { ...deletions };
  for (const [key, value] of Object.entries(delta)) {
    if (key.startsWith('$')) {
      if (!Object.hasOwn(result, key)) result[key] = value;
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    if (!Object.hasOwn(result, key)) {
      result[key] = value;
      continue;
    }
    const existing = result[key];
    const { type: childType, meta } = childInfo(type, key);
    if (isPlainObject(existing) && isPlainObject(value)) {
      result[key] = mergePatches(existing, value, childType);
    } else if (Array.isArray(existing) && Array.isArray(value) && isMergeList(meta) && meta?.mergeKey) {
      const itemType = childType?.kind === 'array' ? childType.items : undefined;
      result[key] = mergePatchLists(existing, value, meta.mergeKey, itemType);
    } else {
      result[key] = value;
    }
  }
  return result;
}

/**
 * Two patch lists of one merge-keyed list, merged item by item and put in upstream's order: the
 * delta's items in their order, the deletion side's items woven in where they stood, `$patch: delete`
 * items last.
 */
function mergePatchLists(
  deletions: unknown[],
  delta: unknown[],
  mergeKey: string,
  itemType: FieldType | undefined,
): unknown[] {
  const keyOf = (item: unknown) =>
    isPlainObject(item) && Object.hasOwn(item, mergeKey) ? scalarText(item[mergeKey]) : undefined;
  const merged = [...deletions];
  for (const item of delta) {
    const at = merged.findIndex((m) => keyOf(m) === keyOf(item));
    if (at >= 0) merged[at] = mergePatches(merged[at] as JsonObject, item as JsonObject, itemType);
    else merged.push(item);
  }
  const deltaKeys = delta.map(keyOf);
  const serverOrder = deletions.map(keyOf);
  const identity = (item: unknown) => keyOf(item) ?? '';
  const fromDelta = orderLike(
    merged.filter((m) => deltaKeys.includes(keyOf(m))),
    delta,
    identity,
  );
  const others = merged.filter((m) => !deltaKeys.includes(keyOf(m)));
  const isDelete = (m: unknown) => isPlainObject(m) && m.$patch === 'delete';
  const fromDeletions = [
    ...orderLike(
      others.filter((m) => !isDelete(m)),
      deletions,
      identity,
    ),
    ...others.filter(isDelete),
  ];
  // Weave the deletion side into the delta's order where both know an item's place.
  const woven: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < fromDeletions.length || j < fromDelta.length) {
    if (i >= fromDeletions.length) woven.push(fromDelta[j++]);
    else if (j >= fromDelta.length) woven.push(fromDeletions[i++]);
    else {
      const left = serverOrder.indexOf(keyOf(fromDeletions[i]));
      const right = serverOrder.indexOf(keyOf(fromDelta[j]));
      if (left >= 0 && right >= 0 && left < right) woven.push(fromDeletions[i++]);
      else woven.push(fromDelta[j++]);
    }
  }
  return woven;
}

function checkPreconditions(patch: JsonObject): void {
  const metadata = patch.metadata;
  if (
    Object.hasOwn(patch, 'apiVersion') ||
    Object.hasOwn(patch, 'kind') ||
    (isPlainObject(metadata) && Object.hasOwn(metadata, 'name'))
  ) {
    throw new Error('At least one of apiVersion, kind and name was changed');
  }
}

/** The strategic merge patch for a built-in kind whose client model is `modelName` (`V1Deployment`). */
export function threeWayStrategicMergePatch(
  original: JsonObject | undefined,
  modified: JsonObject,
  current: JsonObject,
  modelName: string,
): JsonObject {
  const type: FieldType = { kind: 'model', model: modelName };
  const delta = diffMaps(current, modified, type, {
    ignoreDeletions: true,
    ignoreChangesAndAdditions: false,
    buildRetainKeys: false,
  });
  const deletions = diffMaps(original ?? {}, modified, type, {
    ignoreDeletions: false,
    ignoreChangesAndAdditions: true,
    buildRetainKeys: false,
  });
  const patch = mergePatches(deletions, delta, type);
  checkPreconditions(patch);
  return patch;
}

/** RFC 7386 diff: the merge patch that turns `from` into `to`. */
export function createMergePatch(from: JsonObject, to: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(to)) {
    if (!Object.hasOwn(from, key)) patch[key] = value;
    else if (isPlainObject(from[key]) && isPlainObject(value)) {
      const sub = createMergePatch(from[key] as JsonObject, value);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (!deepEqual(from[key], value)) patch[key] = value;
  }
  for (const key of Object.keys(from)) if (!Object.hasOwn(to, key)) patch[key] = null;
  return patch;
}

/** Keeps only the nulls of a merge patch (`keepNulls`) or everything but them. */
function filterNulls(patch: JsonObject, keepNulls: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      if (keepNulls) out[key] = null;
    } else if (isPlainObject(value)) {
      if (Object.keys(value).length === 0) {
        if (!keepNulls) out[key] = value;
        continue;
      }
      const sub = filterNulls(value, keepNulls);
      if (Object.keys(sub).length > 0) out[key] = sub;
    } else if (!keepNulls) {
      out[key] = value;
    }
  }
  return out;
}

function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isPlainObject(value) && isPlainObject(result[key]))
      result[key] = applyMergePatch(result[key] as JsonObject, value);
    else result[key] = value;
  }
  return result;
}

/** The JSON merge patch for kinds without a strategic-merge schema (custom resources). */
export function threeWayJsonMergePatch(
  original: JsonObject | undefined,
  modified: JsonObject,
  current: JsonObject,
): JsonObject {
  const additions = filterNulls(createMergePatch(current, modified), false);
  const deletions = filterNulls(createMergePatch(original ?? {}, modified), true);
  const patch = applyMergePatch(deletions, additions);
  checkPreconditions(patch);
  return patch;
}

/**
 * The manifest as apply sends it: carrying, in the last-applied annotation, its own JSON (without
 * that annotation, with `annotations: {}` when it had none, newline-terminated) exactly as kubectl
 * writes it.
 */
export function withLastApplied(manifest: JsonObject): JsonObject {
  const metadata = isPlainObject(manifest.metadata) ? manifest.metadata : {};
  const annotations = isPlainObject(metadata.annotations) ? { ...metadata.annotations } : {};
  delete annotations[LAST_APPLIED_ANNOTATION];
  const bare = { ...manifest, metadata: { ...metadata, annotations } };
  const text = `${goJson(bare)}\n`;
  return {
    ...manifest,
    metadata: { ...metadata, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: text } },
  };
}

/** The configuration the last apply stored on a live object, if any (unparsable counts as none). */
export function lastAppliedOf(live: JsonObject): JsonObject | undefined {
  const metadata = isPlainObject(live.metadata) ? live.metadata : {};
  const annotations = isPlainObject(metadata.annotations) ? metadata.annotations : {};
  const text = annotations[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || !text.trim()) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
