/**
 * The nftables mode's one piece of iptables. A forwarded packet must be accepted by every base
 * chain on the forward hook, so where the system's iptables filter FORWARD chain drops by default
 * (Docker sets its policy to DROP and accepts only its own traffic), an accept in the proxy's nft
 * table cannot save service traffic DNATed to a pod: NodePort and cluster IP connections from other
 * hosts die in iptables. The iptables mode has KUBE-FORWARD for this; the nftables mode keeps a
 * chain with the same rules, KUBICLE-FORWARD, in the system's iptables, and nothing else there.
 *
 * Contract:
 * - Pure: `planForwardCompanion` reads `iptables-save -t filter` output and returns text for ONE
 *   `iptables-restore --noflush` (applied as a whole or not at all), '' when there is nothing to do.
 * - The companion is needed when FORWARD's policy is DROP or FORWARD holds any rule other than our
 *   own jump. Then the chain is declared (created, or emptied) and refilled on every plan, which
 *   repairs it, and the jump to it is inserted at the top of DOCKER-USER (Docker's place for rules
 *   that must come before its own, which it never reorders) or, without Docker, of FORWARD. The jump
 *   is inserted only when missing, as the iptables mode's jumps are, so an operator's rule placed
 *   above it stays above it. A jump of ours from the other of the two chains is deleted.
 * - When it is not needed (FORWARD accepts everything), whatever of it is installed is removed.
 * - `forwardCompanionCleanup` removes it unconditionally (mode switch, `down`, `--cleanup`). A jump
 *   to it from any chain but FORWARD and DOCKER-USER is not ours to delete; the chain then stays,
 *   empty, rather than make iptables-restore reject the whole text.
 */
import { comment, forwardAcceptRules, masqueradeMark, parseIptablesSave, ruleTarget } from './ruleset.js';
import type { RulesetOptions, SavedTable } from './ruleset.js';

export const KUBICLE_FORWARD = 'KUBICLE-FORWARD';
/** Docker's chain for user rules, jumped to first from FORWARD (docs.docker.com, "Docker with iptables"). */
export const DOCKER_USER = 'DOCKER-USER';

const HOOKS = ['FORWARD', DOCKER_USER];
const JUMP_SPEC = [...comment('kubicle service forwarding (nftables mode)'), '-j', KUBICLE_FORWARD].join(' ');

export type ForwardCompanionAction = 'install' | 'repair' | 'remove' | 'none';

export interface ForwardCompanionPlan {
  /** iptables-restore input, '' when nothing is to be done. */
  readonly text: string;
  /** install: it was not there; repair: rewritten in place; remove: no longer needed; none. */
  readonly action: ForwardCompanionAction;
  /** The chain the jump comes from, when the companion is needed. */
  readonly hook?: string;
}

/** What to apply so the companion exists exactly when the filter table needs it. */
export function planForwardCompanion(filterSave: string, options: RulesetOptions = {}): ForwardCompanionPlan {
  const filter = parseIptablesSave(filterSave).get('filter');
  const installed = filter?.chains.has(KUBICLE_FORWARD) ?? false;
  if (!filter || !forwardFilters(filter, filterSave)) {
    return installed ? { text: removal(filter!), action: 'remove' } : { text: '', action: 'none' };
  }
  const hook = filter.chains.has(DOCKER_USER) ? DOCKER_USER : 'FORWARD';
  const mark = masqueradeMark(options.masqueradeBit ?? 14);
  const jumps = jumpsToUs(filter);
  const text = [
    '*filter',
    `:${KUBICLE_FORWARD} - [0:0]`,
    ...forwardAcceptRules(mark).map((words) => ['-A', KUBICLE_FORWARD, ...words].join(' ')),
    ...jumps.filter((rule) => chainOf(rule) !== hook).map(deletion),
    ...(jumps.some((rule) => chainOf(rule) === hook) ? [] : [`-I ${hook} 1 ${JUMP_SPEC}`]),
    'COMMIT',
    '',
  ].join('\n');
  return { text, action: installed ? 'repair' : 'install', hook };
}

/** Text that removes the companion, '' when it is not installed. */
export function forwardCompanionCleanup(filterSave: string): string {
  const filter = parseIptablesSave(filterSave).get('filter');
  return filter?.chains.has(KUBICLE_FORWARD) ? removal(filter) : '';
}

/** Whether FORWARD can drop anything: a DROP (or other non-ACCEPT) policy, or rules not ours. */
function forwardFilters(filter: SavedTable, filterSave: string): boolean {
  if (!filter.chains.has('FORWARD')) return false;
  const policy = /^:FORWARD (\S+)/m.exec(filterSave)?.[1];
  if (policy !== undefined && policy !== 'ACCEPT') return true;
  return filter.rules.some((rule) => chainOf(rule) === 'FORWARD' && ruleTarget(rule) !== KUBICLE_FORWARD);
}

function removal(filter: SavedTable): string {
  const referencedElsewhere = filter.rules.some(
    (rule) =>
      ruleTarget(rule) === KUBICLE_FORWARD &&
      !HOOKS.includes(chainOf(rule)) &&
      chainOf(rule) !== KUBICLE_FORWARD,
  );
  return [
    '*filter',
    `:${KUBICLE_FORWARD} - [0:0]`,
    ...jumpsToUs(filter).map(deletion),
    ...(referencedElsewhere ? [] : [`-X ${KUBICLE_FORWARD}`]),
    'COMMIT',
    '',
  ].join('\n');
}

/** Our jumps from FORWARD and DOCKER-USER, as iptables-save printed them. */
function jumpsToUs(filter: SavedTable): string[] {
  return filter.rules.filter((rule) => HOOKS.includes(chainOf(rule)) && ruleTarget(rule) === KUBICLE_FORWARD);
}

function chainOf(rule: string): string {
  return rule.split(' ')[1];
}

/** iptables-save prints each rule in the form -D accepts back, so the saved text deletes it. */
function deletion(rule: string): string {
  return `-D ${rule.slice(3)}`;
}
