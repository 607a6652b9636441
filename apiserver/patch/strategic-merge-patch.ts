/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), the server half of
 * k8s.io/apimachinery/pkg/util/strategicpatch. The type of every field comes from the client models
 * (`fieldType`) and list strategies from `merge-keys.ts`:
 * - objects merge recursively and `null` removes a member;
 * - lists with a merge key merge item by item; `{"$patch": "delete", <key>: v}` removes an item and a
 *   `{"$patch": "replace"}` item makes the rest of the patch list the whole list;
 * - lists of primitives with the merge strategy are sets; every other list is replaced whole;
 * - `$patch: replace|delete|merge` on an object, `$retainKeys`, `$setElementOrder/<list>` and
 *   `$deleteFromPrimitiveList/<list>` act as upstream, and no directive is ever left in the result.
 * Error codes and messages follow upstream (see patch-errors.ts). Inputs are never mutated.
 * Deliberate differences: `$patch: merge` on an object is accepted as a plain merge (upstream fails), a
 * new object carrying `$patch: replace` keeps its content (upstream drops it), and
 * `$deleteFromPrimitiveList` only ever removes items (upstream replaces non-merging lists with it).
 */
import { isPlainObject } from '../api-object.js';
import { badRequest } from '../api-error.js';
import type { ApiError } from '../api-error.js';
import type { FieldType } from '../schema/model-schema.js';
import { identityOf, normalizeElementOrder, partitionByPresence } from './element-order.js';
import { goTypeName, goValue, jsonKindName } from './go-text.js';
import { fieldPatchInfo, isMergeList } from './merge-keys.js';
import type { PatchMeta } from './merge-keys.js';
import { getOwn, setOwn } from './own-property.js';
import { patchFailed, patchRejected } from './patch-errors.js';
import { cloneJson } from '../clone-json.js';

type JsonObject = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

const badPrimitiveList = () => badRequest('invalid patch format of primitive list');
const badRetainKeys = () => badRequest('invalid patch format of retainKeys');
const badSetElementOrder = () => badRequest('invalid patch format of setElementOrder list');
const noMergeKey = (item: unknown, key: string) =>
  patchFailed(`map: ${goValue(item)} does not contain declared merge key: ${key}`);
const notAList = (value: unknown) =>
  patchFailed(`expected a []interface {}, but received a ${goTypeName(value)}`);

export function applyStrategicMergePatch(original: object, patch: unknown, modelName: string): JsonObject {
  if (!isPlainObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKindName(patch)} into Go value of type map[string]interface {}`,
    );
  }
  const start = isPlainObject(original) ? cloneJson(original) : {};
  // The engine consumes directives out of the patch as it goes; it works on its own copy.
  return mergeMap(start, cloneJson(patch), { kind: 'model', model: modelName });
}

/** Merges `patch` into `original`, both owned by the engine and mutated in place. */
function mergeMap(original: JsonObject, patch: JsonObject, type: FieldType | undefined): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'delete') return {};
    if (directive !== 'replace' && directive !== 'merge') {
      throw patchFailed(`unknown patch type: ${goValue(directive)} in map: ${goValue(patch)}`);
    }
    delete patch[DIRECTIVE];
    if (directive === 'replace') return mergeMap({}, patch, type);
  }
  applyRetainKeys(original, patch);
  applyElementOrders(original, patch, type);

  for (const [patchKey, patchValue] of Object.entries(patch)) {
    const isDeleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    const key = isDeleteList
      ? directiveTarget(patchKey, DELETE_FROM_PRIMITIVE_LIST, badPrimitiveList)
      : patchKey;
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const { type: childType, meta } = fieldPatchInfo(type, key);
    const current = getOwn(original, key);
    if (isDeleteList) {
      if (Array.isArray(current) && Array.isArray(patchValue)) {
        setOwn(original, key, deleteFromList(current, patchValue));
      }
    } else if (isPlainObject(current) && isPlainObject(patchValue)) {
      setOwn(original, key, mergeMap(current, patchValue, childType));
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      setOwn(original, key, mergeList(current, patchValue, childType, meta));
    } else {
      const value = fresh(patchValue, childType, meta);
      if (value === undefined) delete original[key];
      else setOwn(original, key, value);
    }
  }
  return original;
}

/** A patch value with nothing to merge into: directives applied against emptiness, nulls dropped. */
function fresh(value: unknown, type: FieldType | undefined, meta: PatchMeta | undefined): unknown {
  if (isPlainObject(value)) {
    return value[DIRECTIVE] === 'delete' ? undefined : mergeMap({}, value, type);
  }
  if (Array.isArray(value)) return mergeList([], value, type, meta);
  return value;
}

function itemTypeOf(listType: FieldType | undefined): FieldType | undefined {
  return listType?.kind === 'array' ? listType.items : undefined;
}

function mergeList(
  original: unknown[],
  patch: unknown[],
  type: FieldType | undefined,
  meta: PatchMeta | undefined,
): unknown[] {
  const itemType = itemTypeOf(type);
  if (!isMergeList(meta)) {
    // Atomic: the patch list is the new value; items that are directives have no meaning here.
    return patch
      .filter((item) => !(isPlainObject(item) && Object.hasOwn(item, DIRECTIVE)))
      .map((item) => fresh(item, itemType, undefined));
  }
  if (original.length === 0 && patch.length === 0) return original;
  if (elementKind(original, patch) !== 'object') {
    const merged = [...new Set([...original, ...patch])];
    return orderMerged(merged, patch, original, undefined);
  }
  const mergeKey = meta?.mergeKey;
  if (mergeKey === undefined) throw patchFailed('cannot merge lists without merge key for type struct');
  const [remaining, items] = applySpecialItems(original, patch, mergeKey, itemType);
  const base = [...remaining];
  for (const item of items) {
    const value = getOwn(item, mergeKey);
    if (value === undefined) throw noMergeKey(item, mergeKey);
    const index = indexByKey(base, mergeKey, value);
    if (index >= 0) {
      base[index] = mergeMap(base[index] as JsonObject, item, itemType);
    } else {
      base.push(mergeMap({}, item, itemType));
    }
  }
  return orderMerged(base, items, remaining, mergeKey);
}

function orderMerged(
  merged: unknown[],
  patchItems: unknown[],
  live: unknown[],
  mergeKey: string | undefined,
) {
  const identity = identityOf(mergeKey);
  const [named, serverOnly] = partitionByPresence(merged, patchItems, identity);
  return normalizeElementOrder(named, serverOnly, patchItems, live, identity);
}

/**
 * Applies the `$patch` items of a merging list. Returns the list the remaining items merge into (the
 * original minus deletions, or the replacement) and those remaining items.
 */
function applySpecialItems(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  itemType: FieldType | undefined,
): [base: unknown[], items: JsonObject[]] {
  let base = original;
  const items: JsonObject[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, DIRECTIVE)) {
      items.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      const value = getOwn(item, mergeKey);
      if (value === undefined) throw noMergeKey(item, mergeKey);
      assertObjects(base);
      base = base.filter((candidate) => getOwn(candidate as JsonObject, mergeKey) !== value);
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw patchFailed('merging lists cannot yet be specified in the patch');
    } else {
      throw patchFailed(`unknown patch type: ${goValue(directive)} in map: ${goValue(item)}`);
    }
  }
  if (replace) return [items.map((item) => mergeMap({}, item, itemType)), []];
  return [base, items];
}

function assertObjects(list: unknown[]): void {
  const index = list.findIndex((item) => !isPlainObject(item));
  if (index >= 0) throw patchFailed(`value for key ${index} is not a map.`);
}

function indexByKey(list: unknown[], mergeKey: string, value: unknown): number {
  assertObjects(list);
  return list.findIndex((item) => getOwn(item as JsonObject, mergeKey) === value);
}

type ElementKind = 'object' | 'string' | 'number' | 'boolean' | 'null';

/** The one kind of element the lists hold, as upstream requires before merging them. */
function elementKind(...lists: unknown[][]): ElementKind {
  let kind: ElementKind | undefined;
  for (const item of lists.flat()) {
    if (Array.isArray(item)) throw patchRejected();
    const itemKind: ElementKind = item === null ? 'null' : (typeof item as ElementKind);
    if (kind !== undefined && kind !== itemKind) {
      throw patchFailed(`list element types are not identical: ${goValue(lists)}`);
    }
    kind = itemKind;
  }
  return kind ?? 'null';
}

function deleteFromList(current: unknown[], toDelete: unknown[]): unknown[] {
  if (current.length === 0 && toDelete.length === 0) return current;
  elementKind(current, toDelete);
  return current.filter((item) => !toDelete.includes(item));
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retained = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retained)) throw badRetainKeys();
  const keep = new Set(retained);
  for (const [key, value] of Object.entries(patch)) {
    const isDirective = key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER);
    if (value !== null && !isDirective && !keep.has(key)) throw badRetainKeys();
  }
  for (const key of Object.keys(original)) {
    if (!keep.has(key)) delete original[key];
  }
}

/**
 * Merges each list named by a `$setElementOrder/<list>` directive and orders it: the directive's order
 * for the items it names, live order for the others. The merged lists leave the patch.
 */
function applyElementOrders(original: JsonObject, patch: JsonObject, type: FieldType | undefined): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    if (!Array.isArray(order)) throw notAList(order);
    const key = directiveTarget(directiveKey, SET_ELEMENT_ORDER, badSetElementOrder);
    const hasLive = Object.hasOwn(original, key);
    const hasPatch = Object.hasOwn(patch, key);
    if (!hasLive && !hasPatch) continue;
    const live = hasLive ? original[key] : [];
    const patchList = hasPatch ? patch[key] : [];
    if (!Array.isArray(live)) throw notAList(live);
    if (!Array.isArray(patchList)) throw notAList(patchList);
    delete patch[key];

    const { type: listType, meta } = fieldPatchInfo(type, key);
    const mergeKey = meta?.mergeKey;
    const ordered = isMergeList(meta);
    if (ordered) validateElementOrder(patchList, order, mergeKey);
    const merged = hasPatch ? mergeList(live, patchList, listType, meta) : live;
    if (!ordered) {
      // Only merging lists have an order to keep; clients never send the directive for the others.
      setOwn(original, key, merged);
      continue;
    }
    const identity = identityOf(mergeKey);
    const [named, serverOnly] = partitionByPresence(merged, order, identity);
    setOwn(original, key, normalizeElementOrder(named, serverOnly, order, live, identity));
  }
}

/** The patch list must name its items in the same relative order as the directive (deletions aside). */
function validateElementOrder(patchList: unknown[], order: unknown[], mergeKey: string | undefined): void {
  if (mergeKey !== undefined) {
    for (const item of order) {
      if (!isPlainObject(item))
        throw patchFailed(`expected a map[string]interface {}, but received a ${goTypeName(item)}`);
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
  }
  const identity = identityOf(mergeKey);
  const named = patchList.filter((item) => !(isPlainObject(item) && Object.hasOwn(item, DIRECTIVE)));
  let p = 0;
  for (let o = 0; p < named.length && o < order.length; o++) {
    if (mergeKey !== undefined && identity(named[p]) === undefined) throw noMergeKey(named[p], mergeKey);
    if (identity(named[p]) === identity(order[o])) p++;
  }
  if (p < named.length) {
    throw patchFailed(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValue(order)}\n`,
    );
  }
}

/** `<prefix>/<field>` → `<field>`. */
function directiveTarget(key: string, prefix: string, malformed: () => ApiError): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw malformed();
  return key.slice(slash + 1);
}
