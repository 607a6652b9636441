import { cleanupRules } from './cleanup.js';
import { parseIptablesSave } from './ruleset.js';
import { rulesetProblems } from './testing/ruleset-checks.js';

const INSTALLED = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -j DOCKER-USER
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SVC-XPGD46QRK7WJZT7O -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
`;

describe('cleanupRules', () => {
  it('unhooks our chains from the builtin chains, then flushes and deletes every chain of ours', () => {
    expect(cleanupRules(parseIptablesSave(INSTALLED))).toBe(`*filter
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-SERVICES - [0:0]
-D INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-D INPUT -j KUBE-FIREWALL
-D FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-X KUBE-EXTERNAL-SERVICES
-X KUBE-FIREWALL
-X KUBE-FORWARD
-X KUBE-SERVICES
COMMIT
*nat
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-D PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-D OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-D POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-X KUBE-MARK-MASQ
-X KUBE-NODEPORTS
-X KUBE-POSTROUTING
-X KUBE-SEP-SXIVWICOYRO3J4NJ
-X KUBE-SERVICES
-X KUBE-SVC-XPGD46QRK7WJZT7O
COMMIT
`);
  });

  it('produces text the consistency checker accepts on top of the installed rules', () => {
    const installed = parseIptablesSave(INSTALLED);
    expect(rulesetProblems(cleanupRules(installed), installed)).toEqual([]);
  });

  it('keeps, flushed, a chain of ours that a foreign chain still jumps to', () => {
    const text = cleanupRules(
      parseIptablesSave(`*nat
:PREROUTING ACCEPT [0:0]
:MINE - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A MINE -j KUBE-MARK-MASQ
COMMIT
`),
    );
    expect(text).toBe('*nat\n:KUBE-MARK-MASQ - [0:0]\nCOMMIT\n');
  });

  it('returns nothing to apply when no chain of ours exists', () => {
    expect(cleanupRules(parseIptablesSave('*nat\n:PREROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\nCOMMIT\n'))).toBe(
      '',
    );
    expect(cleanupRules(new Map())).toBe('');
  });
});
