/**
 * `kubicle proxy --cleanup`: the iptables-restore text that removes everything the proxy installs.
 *
 * Contract:
 * - Pure: reads the tables as `parseIptablesSave` gives them and returns restore text for one
 *   `iptables-restore --noflush`, or '' when nothing of ours is installed.
 * - Removed: every rule in a builtin chain (PREROUTING, OUTPUT, INPUT, …) that jumps to one of our
 *   chains, then our top-level chains (KUBE-SERVICES, KUBE-NODEPORTS, …) and every per-service chain
 *   (KUBE-SVC-/KUBE-SEP-/KUBE-EXT-/KUBE-FW-/KUBE-SVL-), each flushed and deleted.
 * - Chains that are not ours are never touched. If one of them still jumps into a chain of ours,
 *   that chain is kept (deleting it would make iptables reject the whole text), flushed so it no
 *   longer does anything.
 */

import { isServiceChainName } from './chain-names.js';
import { BUILTIN_CHAINS, TOP_LEVEL_CHAINS, ruleTarget } from './ruleset.js';
import type { SavedTable, SavedTables, TableName } from './ruleset.js';

const TABLES: readonly TableName[] = ['filter', 'nat'];

export function cleanupRules(existing: SavedTables): string {
  let text = '';
  for (const table of TABLES) {
    const saved = existing.get(table);
    if (saved) text += cleanupTable(table, saved);
  }
  return text;
}

function cleanupTable(table: TableName, saved: SavedTable): string {
  const topLevel = new Set(TOP_LEVEL_CHAINS[table]);
  const ours = [...saved.chains].filter((c) => topLevel.has(c) || isServiceChainName(c)).sort();
  if (ours.length === 0) return '';
  const ourSet = new Set(ours);
  const builtin = BUILTIN_CHAINS[table];

  const unhook: string[] = [];
  const blockedBy = new Set<string>();
  for (const rule of saved.rules) {
    const chain = rule.split(' ')[1];
    const target = ruleTarget(rule);
    if (target === undefined || !ourSet.has(target) || ourSet.has(chain)) continue;
    // iptables-save prints each rule in the form -D accepts back, so the saved text deletes it.
    if (builtin.has(chain)) unhook.push(`-D ${rule.slice(3)}`);
    else blockedBy.add(target);
  }
  const removable = ours.filter((c) => !blockedBy.has(c));
  return [
    `*${table}`,
    ...ours.map((c) => `:${c} - [0:0]`),
    ...unhook,
    ...removable.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
}
