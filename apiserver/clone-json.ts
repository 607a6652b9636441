/**
 * A deep copy of parsed JSON. Objects on the request path are plain JSON, which a direct walk copies
 * several times faster than `structuredClone` (a serialise/deserialise round trip). Anything that is
 * not plain JSON (a Date, a Buffer) still goes through `structuredClone`, so the copy never shares
 * mutable state with its input and holds the same values `structuredClone` would.
 */

export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const copy = new Array<unknown>(length);
    for (let i = 0; i < length; i++) copy[i] = cloneJson(value[i]);
    return copy as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key in source) {
    // `JSON.parse` makes `__proto__` an own key; assigning it would set the copy's prototype instead.
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: cloneJson(source[key]),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      copy[key] = cloneJson(source[key]);
    }
  }
  return copy as T;
}
