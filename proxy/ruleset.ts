/**
 * The proxy's desired state as `iptables-restore` text: a pure function of the Services, their
 * Endpoints, the node's addresses and the rules currently installed (as `iptables-save` printed them).
 *
 * Contract:
 * - The text holds a `*filter` and a `*nat` section, each ending in COMMIT, meant for ONE
 *   `iptables-restore --noflush` call. Every chain the proxy owns is declared with `:CHAIN - [0:0]`,
 *   which under --noflush creates it or empties it, and is then refilled completely, so applying
 *   the same text twice gives the same rules and a rule removed behind the proxy's back comes back.
 * - Chains and rules are upstream kube-proxy's (iptables mode, Cluster traffic policy): KUBE-SERVICES
 *   matches cluster IPs, external IPs and load-balancer ingress IPs and ends with the jump to
 *   KUBE-NODEPORTS; KUBE-SVC-* picks an endpoint with `statistic` probabilities 1/n, 1/(n-1), …
 *   (after `recent` checks for ClientIP affinity); KUBE-SEP-* marks hairpin traffic and DNATs;
 *   KUBE-EXT-* marks external traffic for masquerade; KUBE-POSTROUTING masquerades marked packets.
 *   A service port without ready endpoints gets no nat rules, only filter REJECTs, so clients are
 *   refused at once instead of hanging.
 * - The jumps from the builtin chains (PREROUTING, OUTPUT, POSTROUTING, INPUT, FORWARD) are
 *   inserted at the top only when `existing` shows them missing: they live in chains the proxy
 *   shares with others, which are never flushed.
 * - Of the chains in `existing`, only per-service ones (KUBE-SVC-, KUBE-SEP-, KUBE-EXT-, KUBE-FW-,
 *   KUBE-SVL-) that are no longer needed are flushed and deleted; every other chain is left alone.
 * - Partial sync: given `changedServices`, the KUBE-SVC/SEP/EXT chains of every other service are
 *   left out of the text and stay as installed, provided `existing` shows all of them; the top-level
 *   chains are always rewritten whole. This keeps an endpoint change in a large cluster from
 *   costing a restore of every rule (iptables-nft takes seconds for tens of thousands).
 * - Output is deterministic: service ports sorted by name and protocol, endpoints by address.
 * - Inputs that would make iptables-restore reject the whole text (non-IPv4 addresses, ports out of
 *   range, unknown protocols, names with characters the API server never allows) are skipped, so
 *   one bad object cannot block every other service. IPv6 is not handled (iptables, not ip6tables).
 */

import {
  isServiceChainName,
  protocolName,
  serviceExternalChainName,
  servicePortChainName,
  servicePortEndpointChainName,
  servicePortNameString,
} from './chain-names.js';

/** Top-level chains, named as upstream so existing tooling and habits carry over. */
export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

export type TableName = 'filter' | 'nat';

/** The chains each table of ours declares on every sync, in the order they are written. */
export const TOP_LEVEL_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  filter: [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_FIREWALL],
  nat: [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ],
};

export interface BuiltinJump {
  readonly table: TableName;
  readonly from: string;
  readonly to: string;
  /** The rule without `-A FROM`, written as iptables-save prints it back. */
  readonly spec: string;
}

/** How traffic enters our chains. Order matters: each is inserted at position 1 in turn. */
export const BUILTIN_JUMPS: readonly BuiltinJump[] = [
  jump('filter', 'INPUT', KUBE_EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', true),
  jump('filter', 'FORWARD', KUBE_EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', true),
  jump('filter', 'FORWARD', KUBE_SERVICES, 'kubernetes service portals', true),
  jump('filter', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals', true),
  jump('filter', 'FORWARD', KUBE_FORWARD, 'kubernetes forwarding rules', false),
  jump('filter', 'INPUT', KUBE_FIREWALL, undefined, false),
  jump('filter', 'OUTPUT', KUBE_FIREWALL, undefined, false),
  jump('nat', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals', false),
  jump('nat', 'PREROUTING', KUBE_SERVICES, 'kubernetes service portals', false),
  jump('nat', 'POSTROUTING', KUBE_POSTROUTING, 'kubernetes postrouting rules', false),
];

function jump(
  table: TableName,
  from: string,
  to: string,
  text: string | undefined,
  onlyNew: boolean,
): BuiltinJump {
  const words = [...(onlyNew ? ['-m', 'conntrack', '--ctstate', 'NEW'] : []), ...comment(text), '-j', to];
  return { table, from, to, spec: words.join(' ') };
}

export const BUILTIN_CHAINS: Readonly<Record<string, ReadonlySet<string>>> = {
  filter: new Set(['INPUT', 'FORWARD', 'OUTPUT']),
  nat: new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']),
  mangle: new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']),
  raw: new Set(['PREROUTING', 'OUTPUT']),
  security: new Set(['INPUT', 'FORWARD', 'OUTPUT']),
};

// ---------------------------------------------------------------------------------------------
// Inputs: the fields of core/v1 Service and Endpoints the proxy reads. Everything is optional so
// both @kubernetes/client-node models and plain JSON from the API server fit.

export interface ServicePortInput {
  readonly name?: string;
  readonly protocol?: string;
  readonly port?: number;
  readonly nodePort?: number;
}

export interface ServiceInput {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly externalIPs?: readonly string[];
    readonly sessionAffinity?: string;
    readonly sessionAffinityConfig?: { readonly clientIP?: { readonly timeoutSeconds?: number } };
    readonly ports?: readonly ServicePortInput[];
  };
  readonly status?: {
    readonly loadBalancer?: {
      readonly ingress?: readonly { readonly ip?: string; readonly ipMode?: string }[];
    };
  };
}

export interface EndpointsInput {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly subsets?: readonly {
    /** Ready addresses only; `notReadyAddresses` never receive traffic. */
    readonly addresses?: readonly { readonly ip?: string }[];
    readonly ports?: readonly ServicePortInput[];
  }[];
}

export interface SavedTable {
  /** Every chain the table holds, builtin ones included. */
  readonly chains: ReadonlySet<string>;
  /** The `-A CHAIN …` lines, as printed. */
  readonly rules: readonly string[];
}

/** Tables by name, as `parseIptablesSave` reads them. */
export type SavedTables = ReadonlyMap<string, SavedTable>;

export interface RulesetOptions {
  /** Bit of the packet mark that means "masquerade this" (upstream default 14, i.e. 0x4000). */
  readonly masqueradeBit?: number;
  /** Masquerade all traffic to cluster IPs, as kube-proxy's --masquerade-all. */
  readonly masqueradeAll?: boolean;
  /** Pod CIDR: traffic to a cluster IP from outside it is masqueraded (kube-proxy's --cluster-cidr). */
  readonly clusterCIDR?: string;
  /** Accept NodePort traffic to 127.0.0.0/8 (needs route_localnet=1); default true as upstream. */
  readonly localhostNodePorts?: boolean;
  /** Add --random-fully to MASQUERADE (iptables ≥ 1.6.2 and a kernel that supports it). */
  readonly masqueradeRandomFully?: boolean;
}

/** What both modes' rulesets (this one and nftables-ruleset.ts) are built from. */
export interface RulesSource {
  readonly services: readonly ServiceInput[];
  readonly endpoints: readonly EndpointsInput[];
  /**
   * Addresses NodePorts answer on (plus loopback unless disabled). Empty or absent: every local
   * address, as upstream without --nodeport-addresses.
   */
  readonly nodeIPs?: readonly string[];
  /**
   * Services (`namespace/name`) whose rules may differ from what is installed. Absent: all of them,
   * i.e. a full sync. See each module's contract for what a partial sync leaves out.
   */
  readonly changedServices?: ReadonlySet<string>;
  readonly options?: RulesetOptions;
}

export interface RulesetInput extends RulesSource {
  /** What iptables-save shows now; absent means "nothing installed yet". */
  readonly existing?: SavedTables;
}

export interface RulesetPlan {
  /** The iptables-restore input. */
  readonly text: string;
  /** Every chain of ours that exists once `text` is applied, written out or kept as installed. */
  readonly activeChains: Readonly<Record<TableName, ReadonlySet<string>>>;
  /** Chains of ours that `text` flushes and deletes. */
  readonly deletedChains: readonly string[];
  readonly servicePorts: readonly ServicePortInfo[];
  /** How many service ports had their per-service chains written (all of them in a full sync). */
  readonly writtenServicePorts: number;
}

/** One service port with everything the rules need, validated and normalised. */
export interface ServicePortInfo {
  /** `namespace/name` of the Service. */
  readonly service: string;
  /** `namespace/name:port`, as in comments and hashes. */
  readonly name: string;
  /** Lower case: tcp, udp or sctp. */
  readonly protocol: string;
  readonly clusterIP: string;
  readonly port: number;
  /** 0 when the port has none. */
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  readonly loadBalancerIPs: readonly string[];
  /** ClientIP affinity timeout in seconds, or undefined without affinity. */
  readonly affinityTimeoutSeconds: number | undefined;
  /** Ready endpoints as `ip:port`, sorted by address. */
  readonly endpoints: readonly string[];
}

const DEFAULT_MASQUERADE_BIT = 14;
const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
const MAX_AFFINITY_TIMEOUT_SECONDS = 86400;
const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);
const NODEPORTS_COMMENT = 'kubernetes service nodeports; NOTE: this must be the last rule in this chain';
// Namespaces, names and port names are DNS labels or subdomains; anything else would need quoting
// that iptables-restore's parser does not reliably support, so such an object is skipped.
const SAFE_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i;

// ---------------------------------------------------------------------------------------------

/** The chains and `-A` rules of each table in `iptables-save` output. */
export function parseIptablesSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, { chains: Set<string>; rules: string[] }>();
  let current: { chains: Set<string>; rules: string[] } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      const name = line.slice(1);
      current = tables.get(name) ?? { chains: new Set(), rules: [] };
      tables.set(name, current);
    } else if (!current || line === '' || line.startsWith('#')) {
      continue;
    } else if (line.startsWith(':')) {
      current.chains.add(line.slice(1).split(/\s+/)[0]);
    } else if (line.startsWith('-A ')) {
      current.rules.push(line);
    } else if (line === 'COMMIT') {
      current = undefined;
    }
  }
  return tables;
}

/** The complete iptables-restore text for the given state; see the module contract. */
export function buildRuleset(input: RulesetInput): string {
  return planRuleset(input).text;
}

/** `buildRuleset` with what a caller needs to know about the result. */
export function planRuleset(input: RulesetInput): RulesetPlan {
  const options = input.options ?? {};
  const mark = masqueradeMark(options.masqueradeBit ?? DEFAULT_MASQUERADE_BIT);
  const filter = new TableWriter('filter');
  const nat = new TableWriter('nat');

  for (const chain of TOP_LEVEL_CHAINS.filter) filter.declare(chain);
  for (const chain of TOP_LEVEL_CHAINS.nat) nat.declare(chain);

  writeMasqueradeChains(nat, mark, options);
  writeForwardAndFirewall(filter, mark);

  const servicePorts = collectServicePorts(input.services, input.endpoints);
  const installedNat = input.existing?.get('nat')?.chains;
  let writtenServicePorts = 0;
  for (const sp of servicePorts) {
    if (sp.endpoints.length === 0) {
      writeRejects(filter, sp);
      continue;
    }
    const chains = serviceChains(sp);
    const keepInstalled =
      input.changedServices !== undefined &&
      !input.changedServices.has(sp.service) &&
      chains.all.every((c) => installedNat?.has(c));
    writeServiceCapture(nat, sp, chains);
    if (keepInstalled) {
      for (const chain of chains.all) nat.keep(chain);
    } else {
      writeServiceChains(nat, sp, chains, options);
      writtenServicePorts++;
    }
  }

  writeNodePortsJump(nat, input.nodeIPs ?? [], options.localhostNodePorts ?? true);

  for (const table of [filter, nat]) {
    const saved = input.existing?.get(table.name);
    if (!saved) {
      table.insertJumps(BUILTIN_JUMPS.filter((j) => j.table === table.name));
      continue;
    }
    table.deleteStaleChains(saved);
    table.insertJumps(BUILTIN_JUMPS.filter((j) => j.table === table.name && !hasJump(saved, j)));
  }
  return {
    text: filter.render() + nat.render(),
    activeChains: { filter: filter.active, nat: nat.active },
    deletedChains: [...filter.deleted, ...nat.deleted],
    servicePorts,
    writtenServicePorts,
  };
}

/**
 * Joins Services with their Endpoints into validated, sorted service ports. Headless and
 * ExternalName services have nothing to proxy and are left out.
 */
export function collectServicePorts(
  services: readonly ServiceInput[],
  endpoints: readonly EndpointsInput[],
): ServicePortInfo[] {
  const endpointsByService = new Map<string, EndpointsInput>();
  for (const ep of endpoints) {
    endpointsByService.set(`${ep.metadata?.namespace ?? ''}/${ep.metadata?.name ?? ''}`, ep);
  }
  const result: ServicePortInfo[] = [];
  for (const service of services) {
    const namespace = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    const spec = service.spec;
    if (!spec || spec.type === 'ExternalName') continue;
    if (!SAFE_NAME.test(namespace) || !SAFE_NAME.test(name)) continue;
    const clusterIP = spec.clusterIP ?? '';
    if (!isIPv4(clusterIP)) continue;
    const affinityTimeoutSeconds = spec.sessionAffinity === 'ClientIP' ? affinityTimeout(spec) : undefined;
    const externalIPs = uniqueSorted((spec.externalIPs ?? []).filter(isIPv4), compareIPs);
    // Ingress with ipMode Proxy is handled by the load balancer itself (upstream skips it too).
    const loadBalancerIPs = uniqueSorted(
      (service.status?.loadBalancer?.ingress ?? [])
        .filter((ingress) => ingress.ipMode !== 'Proxy')
        .map((ingress) => ingress.ip ?? '')
        .filter(isIPv4),
      compareIPs,
    );
    const subsets = endpointsByService.get(`${namespace}/${name}`)?.subsets ?? [];
    for (const port of spec.ports ?? []) {
      const portName = port.name ?? '';
      const protocol = protocolName(port.protocol);
      if (portName !== '' && !SAFE_NAME.test(portName)) continue;
      if (!PROTOCOLS.has(protocol) || !isPort(port.port)) continue;
      result.push({
        service: `${namespace}/${name}`,
        name: servicePortNameString(namespace, name, portName),
        protocol,
        clusterIP,
        port: port.port,
        nodePort: isPort(port.nodePort) ? port.nodePort : 0,
        externalIPs,
        loadBalancerIPs,
        affinityTimeoutSeconds,
        endpoints: readyEndpoints(subsets, portName),
      });
    }
  }
  return result.sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.protocol, b.protocol));
}

/** Ready `ip:port`s for the Endpoints port with the service port's name, deduplicated and sorted. */
function readyEndpoints(subsets: NonNullable<EndpointsInput['subsets']>, portName: string): string[] {
  const found: { ip: string; port: number }[] = [];
  for (const subset of subsets) {
    const port = (subset.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (!port || !isPort(port.port)) continue;
    for (const address of subset.addresses ?? []) {
      if (isIPv4(address.ip ?? '')) found.push({ ip: address.ip!, port: port.port });
    }
  }
  found.sort((a, b) => compareIPs(a.ip, b.ip) || a.port - b.port);
  return [...new Set(found.map((e) => `${e.ip}:${e.port}`))];
}

function affinityTimeout(spec: NonNullable<ServiceInput['spec']>): number {
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  return Number.isInteger(timeout) && timeout! > 0 && timeout! <= MAX_AFFINITY_TIMEOUT_SECONDS
    ? timeout!
    : DEFAULT_AFFINITY_TIMEOUT_SECONDS;
}

// ---------------------------------------------------------------------------------------------
// Writers for each part of the ruleset.

function writeMasqueradeChains(nat: TableWriter, mark: string, options: RulesetOptions): void {
  // A whole chain for this, as upstream, so changing the mark only means rewriting our own chains.
  nat.rule(KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN');
  // Clearing the mark keeps a packet that traverses the stack again from being masqueraded twice.
  nat.rule(KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', mark);
  nat.rule(
    KUBE_POSTROUTING,
    ...comment('kubernetes service traffic requiring SNAT'),
    '-j',
    'MASQUERADE',
    ...(options.masqueradeRandomFully ? ['--random-fully'] : []),
  );
  nat.rule(KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', mark);
}

function writeForwardAndFirewall(filter: TableWriter, mark: string): void {
  // Docker sets the FORWARD policy to DROP; service traffic to pods must still pass.
  for (const words of forwardAcceptRules(mark)) filter.rule(KUBE_FORWARD, ...words);
  // route_localnet makes 127.0.0.0/8 routable from outside the host; this is upstream's mitigation
  // (kubernetes issue 90259): only loopback-sourced or DNATed connections may reach it.
  filter.rule(
    KUBE_FIREWALL,
    ...comment('block incoming localnet connections'),
    '-d',
    '127.0.0.0/8',
    '!',
    '-s',
    '127.0.0.0/8',
    '-m',
    'conntrack',
    '!',
    '--ctstate',
    'RELATED,ESTABLISHED,DNAT',
    '-j',
    'DROP',
  );
}

/**
 * The rules of KUBE-FORWARD, as words after `-A CHAIN`: forwarded packets the proxy marked for
 * masquerade, and the rest of their connections. The nftables mode's iptables companion
 * (forward-companion.ts) holds the same.
 */
export function forwardAcceptRules(mark: string): string[][] {
  return [
    [...comment('kubernetes forwarding rules'), '-m', 'mark', '--mark', `${mark}/${mark}`, '-j', 'ACCEPT'],
    [
      ...comment('kubernetes forwarding conntrack rule'),
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      '-j',
      'ACCEPT',
    ],
  ];
}

interface ServiceChains {
  readonly svc: string;
  /** Only for service ports reachable from outside: node port, external IPs or load balancer. */
  readonly ext: string | undefined;
  /** One per endpoint, in `sp.endpoints` order. */
  readonly seps: readonly string[];
  readonly all: readonly string[];
}

function serviceChains(sp: ServicePortInfo): ServiceChains {
  const externallyAccessible = sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const svc = servicePortChainName(sp.name, sp.protocol);
  const ext = externallyAccessible ? serviceExternalChainName(sp.name, sp.protocol) : undefined;
  const seps = sp.endpoints.map((ep) => servicePortEndpointChainName(sp.name, sp.protocol, ep));
  return { svc, ext, seps, all: [...(ext ? [ext] : []), svc, ...seps] };
}

function clusterIPMatch(sp: ServicePortInfo): string[] {
  return [
    ...comment(`${sp.name} cluster IP`),
    '-m',
    sp.protocol,
    '-p',
    sp.protocol,
    '-d',
    sp.clusterIP,
    '--dport',
    `${sp.port}`,
  ];
}

/** The service port's rules in the top-level chains: how its traffic is recognised. */
function writeServiceCapture(nat: TableWriter, sp: ServicePortInfo, chains: ServiceChains): void {
  const proto = ['-m', sp.protocol, '-p', sp.protocol];
  nat.rule(KUBE_SERVICES, ...clusterIPMatch(sp), '-j', chains.svc);
  if (!chains.ext) return;
  for (const ip of sp.externalIPs) {
    nat.rule(
      KUBE_SERVICES,
      ...comment(`${sp.name} external IP`),
      ...proto,
      '-d',
      ip,
      '--dport',
      `${sp.port}`,
      '-j',
      chains.ext,
    );
  }
  for (const ip of sp.loadBalancerIPs) {
    nat.rule(
      KUBE_SERVICES,
      ...comment(`${sp.name} loadbalancer IP`),
      ...proto,
      '-d',
      ip,
      '--dport',
      `${sp.port}`,
      '-j',
      chains.ext,
    );
  }
  if (sp.nodePort > 0) {
    nat.rule(KUBE_NODEPORTS, ...comment(sp.name), ...proto, '--dport', `${sp.nodePort}`, '-j', chains.ext);
  }
}

/** The service port's own chains: where its traffic goes. */
function writeServiceChains(
  nat: TableWriter,
  sp: ServicePortInfo,
  chains: ServiceChains,
  options: RulesetOptions,
): void {
  const proto = ['-m', sp.protocol, '-p', sp.protocol];
  if (chains.ext) {
    // External traffic may come from anywhere and go to an endpoint on another node, so its
    // source must be rewritten for replies to come back through this node.
    nat.declare(chains.ext);
    nat.rule(
      chains.ext,
      ...comment(`masquerade traffic for ${sp.name} external destinations`),
      '-j',
      KUBE_MARK_MASQ,
    );
    nat.rule(chains.ext, '-j', chains.svc);
  }

  nat.declare(chains.svc);
  if (options.masqueradeAll) {
    nat.rule(chains.svc, ...clusterIPMatch(sp), '-j', KUBE_MARK_MASQ);
  } else if (options.clusterCIDR) {
    // Off-cluster clients reaching a cluster IP (through a route to any node) would get replies
    // straight from the pod otherwise.
    nat.rule(chains.svc, ...clusterIPMatch(sp), '!', '-s', options.clusterCIDR, '-j', KUBE_MARK_MASQ);
  }
  if (sp.affinityTimeoutSeconds !== undefined) {
    sp.endpoints.forEach((ep, i) => {
      const sep = chains.seps[i];
      nat.rule(
        chains.svc,
        ...comment(`${sp.name} -> ${ep}`),
        '-m',
        'recent',
        '--name',
        sep,
        '--rcheck',
        '--seconds',
        `${sp.affinityTimeoutSeconds}`,
        '--reap',
        '-j',
        sep,
      );
    });
  }
  const n = sp.endpoints.length;
  sp.endpoints.forEach((ep, i) => {
    // Rule i matches 1/(n-i) of what the rules before it left, so each endpoint gets 1/n overall;
    // the last one takes whatever remains.
    const statistic =
      i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(n - i)] : [];
    nat.rule(chains.svc, ...comment(`${sp.name} -> ${ep}`), ...statistic, '-j', chains.seps[i]);
  });

  sp.endpoints.forEach((ep, i) => {
    const sep = chains.seps[i];
    const ip = ep.slice(0, ep.lastIndexOf(':'));
    nat.declare(sep);
    // A pod reaching itself through its service (hairpin) would see its own address as the source.
    nat.rule(sep, ...comment(sp.name), '-s', ip, '-j', KUBE_MARK_MASQ);
    const affinity = sp.affinityTimeoutSeconds !== undefined ? ['-m', 'recent', '--name', sep, '--set'] : [];
    nat.rule(sep, ...comment(sp.name), ...affinity, ...proto, '-j', 'DNAT', '--to-destination', ep);
  });
}

function writeRejects(filter: TableWriter, sp: ServicePortInfo): void {
  const why = comment(`${sp.name} has no endpoints`);
  const proto = ['-m', sp.protocol, '-p', sp.protocol];
  filter.rule(KUBE_SERVICES, ...why, ...proto, '-d', sp.clusterIP, '--dport', `${sp.port}`, '-j', 'REJECT');
  for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
    filter.rule(KUBE_EXTERNAL_SERVICES, ...why, ...proto, '-d', ip, '--dport', `${sp.port}`, '-j', 'REJECT');
  }
  if (sp.nodePort > 0) {
    filter.rule(
      KUBE_EXTERNAL_SERVICES,
      ...why,
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      ...proto,
      '--dport',
      `${sp.nodePort}`,
      '-j',
      'REJECT',
    );
  }
}

/** Must come after every service rule: KUBE-SERVICES is matched top to bottom. */
function writeNodePortsJump(nat: TableWriter, nodeIPs: readonly string[], localhost: boolean): void {
  const addresses = uniqueSorted(nodeIPs.filter(isIPv4), compareIPs);
  if (addresses.length === 0) {
    const notLocalhost = localhost ? [] : ['!', '-d', '127.0.0.0/8'];
    nat.rule(
      KUBE_SERVICES,
      ...comment(NODEPORTS_COMMENT),
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      ...notLocalhost,
      '-j',
      KUBE_NODEPORTS,
    );
    return;
  }
  const destinations = [...addresses, ...(localhost ? ['127.0.0.0/8'] : [])];
  for (const destination of destinations) {
    nat.rule(KUBE_SERVICES, ...comment(NODEPORTS_COMMENT), '-d', destination, '-j', KUBE_NODEPORTS);
  }
}

function hasJump(saved: SavedTable, j: BuiltinJump): boolean {
  // Matching on the target alone, not the exact text, keeps a differently printed but equivalent
  // rule from being inserted again on every sync.
  return saved.rules.some((rule) => rule.startsWith(`-A ${j.from} `) && ruleTarget(rule) === j.to);
}

/** The chain or target a `-j`/`-g` in a rule line names, if any. */
export function ruleTarget(rule: string): string | undefined {
  const match = / -[jg] (\S+)/.exec(rule);
  return match?.[1];
}

class TableWriter {
  /** Chains of ours that exist after the restore: declared here or kept as installed. */
  readonly active = new Set<string>();
  readonly deleted: string[] = [];
  private readonly chains: string[] = [];
  private readonly declared = new Set<string>();
  private readonly rules: string[] = [];
  private readonly tail: string[] = [];

  constructor(readonly name: TableName) {}

  declare(chain: string): void {
    if (this.declared.has(chain)) return;
    this.declared.add(chain);
    this.active.add(chain);
    this.chains.push(`:${chain} - [0:0]`);
  }

  /** A chain left out of the text because it is installed and unchanged. */
  keep(chain: string): void {
    this.active.add(chain);
  }

  rule(chain: string, ...words: string[]): void {
    this.rules.push(['-A', chain, ...words].join(' '));
  }

  deleteStaleChains(saved: SavedTable): void {
    const stale = [...saved.chains]
      .filter((c) => isServiceChainName(c) && !this.active.has(c))
      .sort(compareStrings);
    const rewritten = new Set([...this.declared, ...stale]);
    // A stale chain still referenced from a chain we do not rewrite cannot be deleted (iptables
    // would fail the whole restore); it is left for a later sync once the reference is gone.
    const referencedElsewhere = new Set(
      saved.rules
        .filter((rule) => !rewritten.has(rule.split(' ')[1]))
        .map(ruleTarget)
        .filter((t): t is string => t !== undefined),
    );
    for (const chain of stale) {
      if (referencedElsewhere.has(chain)) continue;
      this.declare(chain);
      this.active.delete(chain);
      this.deleted.push(chain);
      this.tail.push(`-X ${chain}`);
    }
  }

  insertJumps(jumps: readonly BuiltinJump[]): void {
    for (const j of jumps) this.tail.push(`-I ${j.from} 1 ${j.spec}`);
  }

  render(): string {
    return [`*${this.name}`, ...this.chains, ...this.rules, ...this.tail, 'COMMIT', ''].join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers.

/** `-m comment --comment …`, quoted when the text has spaces, as upstream writes it. */
export function comment(text: string | undefined): string[] {
  if (text === undefined) return [];
  return ['-m', 'comment', '--comment', /\s/.test(text) ? `"${text}"` : text];
}

/** 1/n with ten decimals, as upstream's `%0.10f`. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

export function masqueradeMark(bit: number): string {
  if (!Number.isInteger(bit) || bit < 0 || bit > 31)
    throw new RangeError(`masquerade bit must be 0..31, got ${bit}`);
  return `0x${(2 ** bit).toString(16)}`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

function isPort(value: number | undefined): value is number {
  return Number.isInteger(value) && value! > 0 && value! <= 65535;
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function uniqueSorted<T>(values: readonly T[], compare: (a: T, b: T) => number): T[] {
  return [...new Set(values)].sort(compare);
}
