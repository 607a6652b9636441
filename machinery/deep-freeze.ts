/**
 * Freezes a JSON value and everything in it, so shared cached objects cannot be changed by accident:
 * an assignment to a frozen object throws in strict-mode code (every ES module). Parts that are
 * already frozen are trusted to be frozen all the way down.
 */
export function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) freezeTree(value);
  return value;
}

/**
 * Informers freeze every object they receive, so this walks without allocating: indexes for arrays,
 * for-in for objects (JSON objects have no inherited enumerable keys), primitives skipped before a call.
 */
function freezeTree(value: object): void {
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) freezeTree(child);
    }
    return;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const child: unknown = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) freezeTree(child);
  }
}
