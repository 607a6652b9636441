/**
 * Marking a node (un)schedulable as kubectl's cordon helper does: a strategic merge patch of
 * `spec.unschedulable`, skipped when the node is already in the wanted state.
 */
import type { VerbSession } from './verb-kit.js';

/** `node/<name> cordoned`, `node/<name> already cordoned`, and the uncordon equivalents. */
export async function setUnschedulable(
  session: VerbSession,
  nodeName: string,
  unschedulable: boolean,
): Promise<string> {
  const node = await session.client.get('v1', 'Node', undefined, nodeName);
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  const current = (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
  if (current === unschedulable) return `node/${nodeName} already ${verb}`;
  await session.client.patch(
    'v1',
    'Node',
    undefined,
    nodeName,
    { spec: { unschedulable: unschedulable ? true : null } },
    { type: 'strategic' },
  );
  return `node/${nodeName} ${verb}`;
}
