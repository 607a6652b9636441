/**
 * Metadata the server owns: names from generateName, uids, timestamps, and the fields a client may not
 * change on update. Pure, so the rules read in one place.
 */
import { randomUUID, randomInt } from 'node:crypto';
import type { KubeObject, ObjectMeta } from '../api-object.js';

// Upstream leaves out vowels and look-alike characters so generated names never spell words.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
const MAX_GENERATE_NAME_PREFIX = 63 - GENERATED_SUFFIX_LENGTH;

export function generateName(base: string, random: (n: number) => number = randomInt): string {
  let suffix = '';
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) suffix += NAME_ALPHABET[random(NAME_ALPHABET.length)];
  return `${base.slice(0, MAX_GENERATE_NAME_PREFIX)}${suffix}`;
}

/** RFC3339 with whole seconds, as upstream writes timestamps. */
export function timestamp(date: Date = new Date()): string {
  // toISOString always ends in `.sssZ`.
  return `${date.toISOString().slice(0, -5)}Z`;
}

export function newUid(): string {
  return randomUUID();
}

/** Server-set metadata for a new object; `name` must already be resolved. */
export function metadataForCreate(meta: ObjectMeta, namespace: string | undefined, now: Date): ObjectMeta {
  const { resourceVersion: _rv, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, ...rest } = meta;
  const result: ObjectMeta = { ...rest, uid: newUid(), creationTimestamp: timestamp(now) };
  if (namespace) result.namespace = namespace;
  else delete result.namespace;
  return result;
}

/** Carries the fields a client can never change from the stored object into an update. */
export function metadataForUpdate(next: ObjectMeta, current: ObjectMeta): ObjectMeta {
  const result: ObjectMeta = {
    ...next,
    name: current.name,
    uid: current.uid,
    creationTimestamp: current.creationTimestamp,
    resourceVersion: current.resourceVersion,
  };
  if (current.namespace) result.namespace = current.namespace;
  if (current.generation !== undefined) result.generation = current.generation;
  else delete result.generation;
  if (current.generateName !== undefined) result.generateName = current.generateName;
  if (current.deletionTimestamp) {
    result.deletionTimestamp = current.deletionTimestamp;
    result.deletionGracePeriodSeconds = current.deletionGracePeriodSeconds;
  } else {
    delete result.deletionTimestamp;
    delete result.deletionGracePeriodSeconds;
  }
  return result;
}

/** Deep equality of two JSON values, ignoring key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bkeys = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return keys.length === bkeys.length && keys.every((k) => jsonEqual(ao[k], bo[k]));
}

/** Objects equal but for their resourceVersion: such a write is a no-op and must not bump it. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  return jsonEqual(
    { ...a, metadata: { ...a.metadata, resourceVersion: undefined } },
    { ...b, metadata: { ...b.metadata, resourceVersion: undefined } },
  );
}
