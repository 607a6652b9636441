/**
 * Where a strategic merge puts list items, as upstream's `normalizeElementOrder` does: items named by the
 * patch follow the patch's (or `$setElementOrder`'s) order, server-only items keep their live order, and
 * the two are interleaved using the live list as reference. Items the live list does not know go before
 * the server-only items still waiting, which is why a container added by a patch comes first.
 */

/** What identifies a list item: its merge key value for objects, the value itself for primitives. */
export type ItemIdentity = (item: unknown) => unknown;

export function identityOf(mergeKey: string | undefined): ItemIdentity {
  if (mergeKey === undefined) return (item) => item;
  return (item) =>
    typeof item === 'object' && item !== null && Object.hasOwn(item, mergeKey)
      ? (item as Record<string, unknown>)[mergeKey]
      : undefined;
}

function indexIn(list: readonly unknown[], item: unknown, identity: ItemIdentity): number {
  const wanted = identity(item);
  return list.findIndex((candidate) => identity(candidate) === wanted);
}

/** Splits `items` into those `reference` names and the others, keeping their relative order. */
export function partitionByPresence(
  items: readonly unknown[],
  reference: readonly unknown[],
  identity: ItemIdentity,
): [present: unknown[], absent: unknown[]] {
  const present: unknown[] = [];
  const absent: unknown[] = [];
  for (const item of items) (indexIn(reference, item, identity) >= 0 ? present : absent).push(item);
  return [present, absent];
}

function sortByReference(items: readonly unknown[], order: readonly unknown[], identity: ItemIdentity) {
  const rank = (item: unknown) => {
    const index = indexIn(order, item, identity);
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
  };
  return [...items].sort((a, b) => rank(a) - rank(b));
}

function interleave(
  serverOnly: readonly unknown[],
  patchItems: readonly unknown[],
  liveOrder: readonly unknown[],
  identity: ItemIdentity,
): unknown[] {
  const result: unknown[] = [];
  let s = 0;
  let p = 0;
  while (s < serverOnly.length || p < patchItems.length) {
    if (s >= serverOnly.length) {
      result.push(patchItems[p++]);
    } else if (p >= patchItems.length) {
      result.push(serverOnly[s++]);
    } else {
      const serverIndex = indexIn(liveOrder, serverOnly[s], identity);
      const patchIndex = indexIn(liveOrder, patchItems[p], identity);
      const serverFirst = serverIndex >= 0 && patchIndex >= 0 && serverIndex < patchIndex;
      result.push(serverFirst ? serverOnly[s++] : patchItems[p++]);
    }
  }
  return result;
}

export function normalizeElementOrder(
  patchItems: readonly unknown[],
  serverOnly: readonly unknown[],
  patchOrder: readonly unknown[],
  liveOrder: readonly unknown[],
  identity: ItemIdentity,
): unknown[] {
  return interleave(
    sortByReference(serverOnly, liveOrder, identity),
    sortByReference(patchItems, patchOrder, identity),
    liveOrder,
    identity,
  );
}
