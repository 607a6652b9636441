/**
 * Freezes a JSON value and everything in it, so shared cached objects cannot be changed by accident:
 * an assignment to a frozen object throws in strict-mode code (every ES module). Parts that are
 * already frozen are trusted to be frozen all the way down.
 */
export function deepFreeze<V>(value: V): V {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}
