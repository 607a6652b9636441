/**
 * A basic server-side apply (`application/apply-patch+yaml`): with no live object the applied
 * configuration is the new object; otherwise it merges into the live object field by field with the
 * structural rules of strategic merge (objects recursively, lists with a merge key item by item, lists of
 * primitives with the merge strategy as sets, every other list replaced whole), without directives.
 * `null` in the applied configuration removes the field. Items the live lists hold that the configuration
 * does not mention are kept, and new ones are appended.
 *
 * Out of scope: field ownership. There are no managedFields, no field managers and no conflicts, so
 * fields dropped from a configuration are never removed and `force` has nothing to override.
 */
import { isPlainObject } from '../api-object.js';
import { badRequest } from '../api-error.js';
import type { FieldType } from '../schema/model-schema.js';
import { fieldPatchInfo, isMergeList } from './merge-keys.js';
import type { FieldPatchInfo } from './merge-keys.js';
import { getOwn, setOwn } from './own-property.js';
import { cloneJson } from '../clone-json.js';

type JsonObject = Record<string, unknown>;

export function applyServerSide(live: object | undefined, applied: object, modelName: string): JsonObject {
  const root: FieldType = { kind: 'model', model: modelName };
  const start = isPlainObject(live) ? cloneJson(live) : {};
  return mergeObject(start, applied as JsonObject, root, '');
}

/** `live` is owned by the engine and mutated; `applied` is only read. */
function mergeObject(
  live: JsonObject,
  applied: JsonObject,
  type: FieldType | undefined,
  path: string,
): JsonObject {
  for (const [key, value] of Object.entries(applied)) {
    if (value === null) {
      delete live[key];
    } else {
      setOwn(live, key, mergeValue(getOwn(live, key), value, fieldPatchInfo(type, key), `${path}.${key}`));
    }
  }
  return live;
}

function mergeValue(live: unknown, applied: unknown, field: FieldPatchInfo, path: string): unknown {
  if (isPlainObject(applied)) {
    return mergeObject(isPlainObject(live) ? live : {}, applied, field.type, path);
  }
  if (Array.isArray(applied)) {
    const itemType = field.type?.kind === 'array' ? field.type.items : undefined;
    if (!isMergeList(field.meta))
      return applied.map((item) => mergeValue(undefined, item, { type: itemType, meta: undefined }, path));
    return mergeList(Array.isArray(live) ? live : [], applied, itemType, field.meta?.mergeKey, path);
  }
  return applied;
}

function mergeList(
  live: unknown[],
  applied: unknown[],
  itemType: FieldType | undefined,
  mergeKey: string | undefined,
  path: string,
): unknown[] {
  const result = [...live];
  const item = { type: itemType, meta: undefined };
  applied.forEach((value, index) => {
    if (mergeKey === undefined || !isPlainObject(value)) {
      if (!result.includes(value)) result.push(mergeValue(undefined, value, item, path));
      return;
    }
    const key = getOwn(value, mergeKey);
    if (key === undefined || key === null) {
      throw badRequest(
        `${path}: element ${index}: associative list with keys has an element that omits key field "${mergeKey}"`,
      );
    }
    const match = result.findIndex(
      (candidate) => isPlainObject(candidate) && getOwn(candidate, mergeKey) === key,
    );
    if (match >= 0) result[match] = mergeValue(result[match], value, item, path);
    else result.push(mergeValue(undefined, value, item, path));
  });
  return result;
}
