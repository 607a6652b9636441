/**
 * The `pod-template-hash` of a Deployment's pod template, as upstream's controller.ComputeHash builds
 * it: FNV-32a over the template, then over the collision count (as 8 little-endian bytes) when there
 * is one, and the 32-bit sum written in decimal and re-spelled in the "safe" alphabet (no vowels, no
 * look-alike characters) so it can never form words. Upstream feeds the hash a Go-specific dump of
 * the struct; here it is the template's canonical JSON, so hashes differ from upstream's but keep all
 * its properties: stable, collision count sensitive, short, and label- and name-safe.
 *
 * Canonical JSON: keys sorted, and empty values (null, {}, []) left out, because upstream compares
 * templates semantically, where an empty list or map equals a missing one.
 */
import type { PodTemplateSpec } from './workload-types.js';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Upstream's rand.SafeEncodeString alphabet. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-32a of `bytes`, continuing from `hash` (the offset basis for a fresh hash). */
export function fnv32a(bytes: Uint8Array, hash = FNV_OFFSET_BASIS): number {
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash;
}

/** Drops null, empty objects and empty arrays, recursively; undefined on an empty result. */
export function withoutEmpty(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => withoutEmpty(item) ?? null);
    return items.length ? items : undefined;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, withoutEmpty(v)] as const)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(withoutEmpty(value) ?? null);
}

export function safeEncode(text: string): string {
  return [...text].map((ch) => SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number | null): string {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(bytes, hash);
  }
  return safeEncode(String(hash));
}

/** Whether two templates are the same apart from their `pod-template-hash` label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined) => {
    const labels = { ...t?.metadata?.labels };
    delete labels[POD_TEMPLATE_HASH_LABEL];
    return { ...t, metadata: { ...t?.metadata, labels } };
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}
