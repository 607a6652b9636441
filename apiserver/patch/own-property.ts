/**
 * Member access for parsed JSON. `JSON.parse` makes `__proto__` an ordinary own key; plain `obj[key]`
 * reads and writes would reach the prototype instead, so the patch engines go through these.
 */

export function getOwn(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}
