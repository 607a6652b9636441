/**
 * The JSON merge patch (RFC 7386) that turns one document into another, so a status write sends
 * only what changed and removes what is gone, as upstream's status manager patches pod status.
 *
 * Contract: applying `mergePatchDiff(before, after)` to `before` gives `after`, provided neither
 * holds `null` values (a merge patch cannot set a field to null). Objects are diffed key by key;
 * arrays and scalars are replaced whole when they differ; keys `after` lacks (or holds as
 * `undefined`) become `null`. `undefined` means no change at all.
 */
import type { JsonValue } from '../apiserver/api-object.js';
import { jsonEqual } from './node-status.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergePatchDiff(before: unknown, after: unknown): JsonValue | undefined {
  if (!isObject(before) || !isObject(after)) {
    return jsonEqual(before, after) ? undefined : ((after ?? null) as JsonValue);
  }
  const patch: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    if (before[key] === undefined) {
      patch[key] = value as JsonValue;
      continue;
    }
    const nested = mergePatchDiff(before[key], value);
    if (nested !== undefined) patch[key] = nested;
  }
  for (const [key, value] of Object.entries(before)) {
    if (value !== undefined && after[key] === undefined) patch[key] = null;
  }
  return Object.keys(patch).length ? patch : undefined;
}
