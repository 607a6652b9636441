import { canonicalJson, computeHash, equalIgnoreHash, fnv32a, safeEncode } from './deployment-hash.js';
import type { PodTemplateSpec } from './workload-types.js';

const template: PodTemplateSpec = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1' }] },
};

describe('computeHash', () => {
  it.each([
    { input: '', want: 0x811c9dc5 },
    { input: 'a', want: 0xe40c292c },
    { input: 'foobar', want: 0xbf9cf968 },
  ])('computes FNV-32a("$input") as the reference vectors do', ({ input, want }) => {
    expect(fnv32a(new TextEncoder().encode(input))).toBe(want);
  });

  it('spells each decimal digit of the sum as the safe alphabet at (char code mod 27)', () => {
    expect(safeEncode('0123456789')).toBe('456789bcdf');
    const sum = fnv32a(new TextEncoder().encode(canonicalJson(template)));
    expect(computeHash(template)).toBe(safeEncode(String(sum)));
  });

  it('adds the collision count as 8 little-endian bytes', () => {
    const base = fnv32a(new TextEncoder().encode(canonicalJson(template)));
    const withCount = fnv32a(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]), base);
    expect(computeHash(template, 2)).toBe(safeEncode(String(withCount)));
  });

  it('is stable and independent of key order and empty fields', () => {
    const reordered = {
      spec: { containers: [{ image: 'nginx:1', name: 'app', env: [] }] },
      metadata: { labels: { app: 'web' }, creationTimestamp: null },
    } as unknown as PodTemplateSpec;
    expect(computeHash(reordered)).toBe(computeHash(template));
  });

  it.each([
    {
      name: 'another image',
      other: { ...template, spec: { containers: [{ name: 'app', image: 'nginx:2' }] } },
    },
    { name: 'another label', other: { ...template, metadata: { labels: { app: 'web', v: '2' } } } },
  ])('changes with $name', ({ other }) => {
    expect(computeHash(other)).not.toBe(computeHash(template));
  });

  it('changes with the collision count, and count 0 differs from none', () => {
    const hashes = new Set([computeHash(template), computeHash(template, 0), computeHash(template, 1)]);
    expect(hashes.size).toBe(3);
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops empty values', () => {
    expect(canonicalJson({ b: 1, a: { d: [], c: null, e: {} }, f: [1, {}] })).toBe('{"b":1,"f":[1,null]}');
  });
});

describe('equalIgnoreHash', () => {
  it.each<{ name: string; other: PodTemplateSpec; want: boolean }>([
    {
      name: 'only the hash label differs',
      other: { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } },
      want: true,
    },
    {
      name: 'another label differs',
      other: { ...template, metadata: { labels: { app: 'db' } } },
      want: false,
    },
    {
      name: 'the spec differs',
      other: { ...template, spec: { containers: [{ name: 'app', image: 'x' }] } },
      want: false,
    },
  ])('is $want when $name', ({ other, want }) => {
    expect(equalIgnoreHash(template, other)).toBe(want);
  });
});
