/**
 * Tolerant readers over request bodies. Objects arrive as untyped JSON; these return the value only
 * when it has the expected JSON type, so defaulting and validation never throw on odd input (type
 * mismatches are the decoder's business, not admission's).
 */
import { isPlainObject } from '../api-object.js';

export type JsonObject = Record<string, unknown>;

export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

export function objectAt(value: unknown): JsonObject | undefined {
  return isPlainObject(value) ? value : undefined;
}

export function arrayAt(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The array's elements, with non-objects read as empty objects so indexes still line up with the input. */
export function objectsAt(value: unknown): JsonObject[] {
  return arrayAt(value).map((item) => objectAt(item) ?? {});
}

export function stringAt(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function numberAt(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function stringMapAt(value: unknown): Record<string, string> | undefined {
  const obj = objectAt(value);
  if (!obj) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

export function stringsAt(value: unknown): string[] {
  return arrayAt(value).map((item) => (typeof item === 'string' ? item : String(item)));
}

/** The object under `key`, created when missing so defaulting can fill it in place. */
export function ensureObject(parent: JsonObject, key: string): JsonObject {
  const existing = objectAt(parent[key]);
  if (existing) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** Semantic equality as upstream's: absent, null, empty list and empty map all mean "not set". */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  const isEmpty = (v: unknown) =>
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (objectAt(v) !== undefined && Object.keys(v as object).length === 0);
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => semanticallyEqual(x, b[i]));
  }
  const oa = objectAt(a);
  const ob = objectAt(b);
  if (oa && ob) {
    const keys = new Set([...Object.keys(oa), ...Object.keys(ob)]);
    return [...keys].every((k) => semanticallyEqual(oa[k], ob[k]));
  }
  return a === b;
}

/** Go's zero-value test: what upstream's `if x == ""` / `== nil` / `== 0` defaulting checks see. */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === 0;
}
