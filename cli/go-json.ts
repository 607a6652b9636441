/**
 * JSON text as Go's encoding/json writes an unstructured object: map keys sorted, `<`, `>` and `&`
 * escaped as `\u003c` and friends, U+2028/U+2029 escaped. kubectl stores exactly this text in the
 * `last-applied-configuration` annotation and prints it for `-o json`, so producing the same bytes
 * keeps annotations written here and by kubectl interchangeable (a re-apply by either is `unchanged`).
 */

function escapeString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function encode(value: unknown, indent: string, depth: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const inner = indent ? `\n${indent.repeat(depth + 1)}` : '';
  const outer = indent ? `\n${indent.repeat(depth)}` : '';
  const colon = indent ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((item) => inner + encode(item, indent, depth + 1)).join(',')}${outer}]`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort(compareGoStrings);
    if (keys.length === 0) return '{}';
    const members = keys.map(
      (k) =>
        inner + escapeString(k) + colon + encode((value as Record<string, unknown>)[k], indent, depth + 1),
    );
    return `{${members.join(',')}${outer}}`;
  }
  return 'null';
}

/** Go sorts map keys by their UTF-8 bytes; for the BMP that is code-unit order except surrogates. */
export function compareGoStrings(a: string, b: string): number {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ab, bb);
}

/** `json.Marshal`: compact, sorted keys, HTML-escaped. */
export function goJson(value: unknown): string {
  return encode(value, '', 0);
}

/** `json.MarshalIndent(v, "", indent)`, as kubectl's `-o json` prints (four spaces). */
export function goJsonIndent(value: unknown, indent = '    '): string {
  return encode(value, indent, 0);
}
