import { chooseProxyMode, iptablesVariantOf } from './proxy-mode.js';
import type { ModeProbes, ProxyMode, ProxyModeChoice } from './proxy-mode.js';

const ok = undefined;

describe('chooseProxyMode', () => {
  it.each<[ProxyModeChoice, ModeProbes, ProxyMode, RegExp]>([
    [
      'auto',
      { nftProblem: ok, iptablesProblem: ok, iptablesVariant: 'nf_tables' },
      'nftables',
      /nf_tables variant/,
    ],
    [
      'auto',
      { nftProblem: ok, iptablesProblem: 'missing', iptablesVariant: undefined },
      'nftables',
      /not installed/,
    ],
    [
      'auto',
      { nftProblem: ok, iptablesProblem: ok, iptablesVariant: 'legacy' },
      'iptables',
      /legacy variant/,
    ],
    [
      'auto',
      { nftProblem: 'nft not found', iptablesProblem: ok, iptablesVariant: 'nf_tables' },
      'iptables',
      /nft not found/,
    ],
    [
      'auto',
      { nftProblem: null, iptablesProblem: ok, iptablesVariant: undefined },
      'iptables',
      /not considered/,
    ],
    [
      'auto',
      { nftProblem: ok, iptablesProblem: 'denied', iptablesVariant: 'legacy' },
      'nftables',
      /iptables cannot be used here \(denied\)/,
    ],
    [
      'auto',
      { nftProblem: 'no nft', iptablesProblem: 'denied', iptablesVariant: 'nf_tables' },
      'userspace',
      /^iptables cannot be used here \(denied\), nor nft cannot be used here \(no nft\)$/,
    ],
    [
      'auto',
      { nftProblem: null, iptablesProblem: 'denied', iptablesVariant: undefined },
      'userspace',
      /^iptables cannot be used here \(denied\)$/,
    ],
    [
      'nftables',
      { nftProblem: ok, iptablesProblem: ok, iptablesVariant: 'legacy' },
      'nftables',
      /as configured/,
    ],
    [
      'iptables',
      { nftProblem: ok, iptablesProblem: ok, iptablesVariant: 'nf_tables' },
      'iptables',
      /as configured/,
    ],
    [
      'userspace',
      { nftProblem: 'x', iptablesProblem: 'y', iptablesVariant: undefined },
      'userspace',
      /as configured/,
    ],
  ])('%s with %j picks %s', (requested, probes, mode, reason) => {
    const decision = chooseProxyMode(requested, probes);
    expect(decision.mode).toBe(mode);
    expect(decision.reason).toMatch(reason);
  });

  it.each<[ProxyModeChoice, ModeProbes, RegExp]>([
    [
      'nftables',
      { nftProblem: 'nft not found', iptablesProblem: ok, iptablesVariant: 'nf_tables' },
      /nftables mode was asked for but nft cannot be used here: nft not found/,
    ],
    [
      'iptables',
      { nftProblem: ok, iptablesProblem: 'denied', iptablesVariant: 'nf_tables' },
      /iptables mode was asked for but iptables cannot be used here: denied/,
    ],
  ])('refuses %s when it cannot work', (requested, probes, message) => {
    expect(() => chooseProxyMode(requested, probes)).toThrow(message);
  });
});

describe('iptablesVariantOf', () => {
  it.each([
    ['iptables v1.8.9 (nf_tables)\n', 'nf_tables'],
    ['iptables v1.8.9 (legacy)\n', 'legacy'],
    ['iptables v1.6.1\n', 'legacy'],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %s', (output, variant) => {
    expect(iptablesVariantOf(output)).toBe(variant);
  });
});
