/**
 * Consistency checks for iptables-restore text, used by the proxy's tests in the spirit of
 * upstream's checkIPTablesRuleJumps: a rule that jumps to an undeclared chain makes iptables
 * reject the whole restore, so every generated ruleset must pass these.
 */

import { BUILTIN_CHAINS, ruleTarget } from '../ruleset.js';
import type { SavedTables } from '../ruleset.js';

/** Targets that are iptables extensions rather than chains. */
export const BUILTIN_TARGETS: ReadonlySet<string> = new Set([
  'ACCEPT',
  'DROP',
  'REJECT',
  'RETURN',
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'MARK',
  'REDIRECT',
  'LOG',
  'CONNMARK',
  'NOTRACK',
  'QUEUE',
]);

/**
 * Problems found in `text`, as readable sentences; [] means consistent. Chains in `existing` count
 * as present (the text is applied with --noflush on top of them).
 */
export function rulesetProblems(text: string, existing?: SavedTables): string[] {
  const problems: string[] = [];
  let table: string | undefined;
  let declared = new Set<string>();
  let appendedTo = new Set<string>();
  let deleted: string[] = [];
  let targets: { chain: string; target: string; line: number }[] = [];

  const finishTable = () => {
    const known = (chain: string) =>
      declared.has(chain) || BUILTIN_CHAINS[table!]?.has(chain) || existing?.get(table!)?.chains.has(chain);
    for (const t of targets) {
      if (!BUILTIN_TARGETS.has(t.target) && !known(t.target)) {
        problems.push(
          `line ${t.line}: ${t.chain} jumps to ${t.target}, which is not a chain in table ${table}`,
        );
      }
      if (deleted.includes(t.target))
        problems.push(`line ${t.line}: ${t.chain} jumps to deleted chain ${t.target}`);
    }
    for (const chain of deleted) {
      if (!declared.has(chain)) problems.push(`-X ${chain} in ${table} without flushing it first`);
      if (appendedTo.has(chain)) problems.push(`-X ${chain} in ${table} but rules are appended to it`);
    }
  };

  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    const number = index + 1;
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      if (table !== undefined) problems.push(`line ${number}: table ${table} has no COMMIT`);
      table = line.slice(1);
      declared = new Set();
      appendedTo = new Set();
      deleted = [];
      targets = [];
      return;
    }
    if (table === undefined) {
      problems.push(`line ${number}: "${line}" outside a table`);
      return;
    }
    if (line === 'COMMIT') {
      finishTable();
      table = undefined;
      return;
    }
    const words = line.split(' ');
    if (line.startsWith(':')) {
      declared.add(words[0].slice(1));
      return;
    }
    const [op, chain] = words;
    if (op === '-X') {
      deleted.push(chain);
      return;
    }
    if (op === '-A' || op === '-I' || op === '-D') {
      const knownChain =
        declared.has(chain) || BUILTIN_CHAINS[table]?.has(chain) || existing?.get(table)?.chains.has(chain);
      if (!knownChain)
        problems.push(`line ${number}: ${op} to ${chain}, which is not a chain in table ${table}`);
      if (op === '-A') appendedTo.add(chain);
      const target = ruleTarget(line);
      if (target === undefined) {
        problems.push(`line ${number}: rule without a target`);
      } else if (op !== '-D') {
        targets.push({ chain, target, line: number });
      }
      return;
    }
    problems.push(`line ${number}: unexpected "${line}"`);
  });
  if (table !== undefined) problems.push(`table ${table} has no COMMIT`);
  return problems;
}

/** The rules of `table` in restore text, one per line, without table headers. */
export function tableSection(text: string, table: string): string[] {
  const start = text.indexOf(`*${table}\n`);
  if (start < 0) return [];
  const end = text.indexOf('COMMIT\n', start);
  return text.slice(start, end).split('\n').slice(1, -1);
}
