/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge recursively, `null`
 * removes a member, anything else (arrays included) replaces the target value. Inputs are never
 * mutated and the result shares no structure with them.
 */
import { isPlainObject } from '../api-object.js';
import { getOwn, setOwn } from './own-property.js';
import { cloneJson } from '../clone-json.js';

export function applyJsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      setOwn(result, key, applyJsonMergePatch(getOwn(result, key), value));
    }
  }
  // Members the patch did not touch still point into `target`; copy them so callers may mutate freely.
  for (const key of Object.keys(result)) {
    if (!Object.hasOwn(patch, key)) setOwn(result, key, cloneJson(result[key]));
  }
  return result;
}
