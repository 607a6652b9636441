/**
 * Which proxy mode runs: a pure decision over what probing the host found.
 *
 * Contract:
 * - An explicit mode is used when it can be, and is an error (thrown) when it cannot; userspace
 *   always can.
 * - `auto` picks nftables where nft works and the system's iptables is the nf_tables variant or
 *   absent, as upstream recommends: there the iptables mode pays iptables-nft's translation (seconds
 *   per full sync at 1,000 services) for nothing. Where the system iptables is the legacy variant the
 *   host's firewall lives in the legacy tables, so auto stays with iptables. Without either, it falls
 *   back to the userspace proxy.
 */
export type ProxyMode = 'iptables' | 'nftables' | 'userspace';
export type ProxyModeChoice = ProxyMode | 'auto';

/** Which variant `iptables --version` reports; undefined when iptables is not installed. */
export type IptablesVariant = 'nf_tables' | 'legacy' | undefined;

export interface ModeProbes {
  /** Why nft cannot be used, undefined when it can, null when not considered (not probed). */
  readonly nftProblem: string | undefined | null;
  /** Why iptables cannot be used, undefined when it can, null when not considered. */
  readonly iptablesProblem: string | undefined | null;
  readonly iptablesVariant: IptablesVariant;
}

export interface ModeDecision {
  readonly mode: ProxyMode;
  /** One line for the start-up log. */
  readonly reason: string;
}

export function chooseProxyMode(requested: ProxyModeChoice, probes: ModeProbes): ModeDecision {
  const { nftProblem, iptablesProblem, iptablesVariant } = probes;
  switch (requested) {
    case 'userspace':
      return { mode: 'userspace', reason: 'as configured' };
    case 'nftables':
      if (nftProblem !== undefined)
        throw new Error(
          `nftables mode was asked for but nft cannot be used here: ${nftProblem ?? 'not probed'}`,
        );
      return { mode: 'nftables', reason: 'as configured' };
    case 'iptables':
      if (iptablesProblem !== undefined)
        throw new Error(
          `iptables mode was asked for but iptables cannot be used here: ${iptablesProblem ?? 'not probed'}`,
        );
      return { mode: 'iptables', reason: 'as configured' };
  }
  if (nftProblem === undefined && iptablesVariant !== 'legacy') {
    return {
      mode: 'nftables',
      reason:
        iptablesVariant === 'nf_tables'
          ? 'the system iptables is the nf_tables variant, so native nftables rules are the faster choice'
          : 'nft works and iptables is not installed',
    };
  }
  if (iptablesProblem === undefined) {
    return {
      mode: 'iptables',
      reason:
        nftProblem === undefined
          ? 'the system iptables is the legacy variant'
          : nftProblem === null
            ? 'nftables was not considered'
            : `nft cannot be used here (${nftProblem})`,
    };
  }
  if (nftProblem === undefined) {
    return {
      mode: 'nftables',
      reason: `iptables cannot be used here (${iptablesProblem ?? 'not considered'})`,
    };
  }
  const problems = [
    ...(iptablesProblem !== null ? [`iptables cannot be used here (${iptablesProblem})`] : []),
    ...(nftProblem !== null ? [`nft cannot be used here (${nftProblem})`] : []),
  ];
  return { mode: 'userspace', reason: problems.join(', nor ') || 'no rule-based mode was considered' };
}

/** The variant in `iptables --version` output, e.g. `iptables v1.8.9 (nf_tables)`. */
export function iptablesVariantOf(versionOutput: string | undefined): IptablesVariant {
  if (versionOutput === undefined) return undefined;
  if (/\(nf_tables\)/.test(versionOutput)) return 'nf_tables';
  if (/\(legacy\)/.test(versionOutput)) return 'legacy';
  // iptables before 1.8 had only the legacy implementation and printed no variant.
  return /^iptables v/m.test(versionOutput) ? 'legacy' : undefined;
}
