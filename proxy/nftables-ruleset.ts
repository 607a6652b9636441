/**
 * The proxy's desired state as an `nft -f` script: a pure function of the Services, their
 * Endpoints and the node's addresses, the nftables counterpart of ruleset.ts.
 *
 * Contract:
 * - Everything lives in one table, `table ip kubicle` (IPv4 only, as the iptables mode), laid out as
 *   upstream kube-proxy's nftables mode: base chains `nat-prerouting`/`nat-output` jump to
 *   `services`, which looks the destination up in the verdict maps `service-ips` (cluster, external
 *   and load-balancer IPs) and `service-nodeports`; a `service-<hash>-ns/name/proto/port` chain
 *   picks an endpoint with `numgen random` (see writeServiceObjects for why not upstream's vmap); `endpoint-…` chains DNAT; `external-…`
 *   chains mark traffic for masquerade, which `nat-postrouting` → `masquerading` applies.
 *   Services without ready endpoints are in `no-endpoint-services`/`no-endpoint-nodeports`,
 *   looked up by filter chains that run before DNAT and reject, so clients are refused at once.
 * - The script is ONE transaction: nft applies all of it or nothing. Three forms:
 *   - replace (nothing known about the installed table): `add table`, `delete table`, then the
 *     whole table; whatever was there before, including anything added behind our back, is gone.
 *   - full (the installed table is known): `flush table` empties every chain, the maps are flushed,
 *     chains and sets no longer needed are deleted, and everything is written again. ClientIP
 *     affinity sets are re-declared, not flushed, so clients keep their endpoint across syncs.
 *   - partial (`changedServices` given): only the top-level chains, the maps and the chains of
 *     changed services are flushed and rewritten; every other service's chains stay as installed.
 * - Chain names: a prefix, 8 base32 characters of sha256 of the readable part, and the readable
 *   part (`ns/name/proto/port`, `…__ip/port` for endpoints), as upstream; cut to nft's name limit.
 * - Map keys must be unique or nft rejects the whole script, so when two service ports claim the
 *   same address and port (e.g. the same external IP), the first in sorted order wins.
 * - Output is deterministic. Inputs that nft would reject are skipped as in ruleset.ts (the same
 *   `collectServicePorts`).
 */
import { createHash } from 'node:crypto';
import { base32 } from './chain-names.js';
import { collectServicePorts, isIPv4, masqueradeMark } from './ruleset.js';
import type { RulesSource, RulesetOptions, ServicePortInfo } from './ruleset.js';

export const NFT_TABLE = 'kubicle';
export const NFT_FAMILY = 'ip';
const TABLE = `${NFT_FAMILY} ${NFT_TABLE}`;

// Top-level chains, maps and sets, named as upstream's.
const FILTER_INPUT = 'filter-input';
const FILTER_FORWARD = 'filter-forward';
const FILTER_OUTPUT = 'filter-output';
const NAT_PREROUTING = 'nat-prerouting';
const NAT_OUTPUT = 'nat-output';
const NAT_POSTROUTING = 'nat-postrouting';
const SERVICES = 'services';
const MASQUERADING = 'masquerading';
const MARK_FOR_MASQUERADE = 'mark-for-masquerade';
const SERVICE_ENDPOINTS_CHECK = 'service-endpoints-check';
const NODEPORT_ENDPOINTS_CHECK = 'nodeport-endpoints-check';
const FIREWALL_LOCALNET = 'firewall-localnet';
const REJECT_CHAIN = 'reject-chain';
const SERVICE_IPS = 'service-ips';
const SERVICE_NODEPORTS = 'service-nodeports';
const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
const NODEPORT_IPS = 'nodeport-ips';

/** Hooks and priorities as upstream: filters see the pre-DNAT destination (dstnat - 10 = -110). */
const BASE_CHAINS: readonly { name: string; type: 'filter' | 'nat'; hook: string; priority: number }[] = [
  { name: FILTER_INPUT, type: 'filter', hook: 'input', priority: -110 },
  { name: FILTER_FORWARD, type: 'filter', hook: 'forward', priority: -110 },
  { name: FILTER_OUTPUT, type: 'filter', hook: 'output', priority: -110 },
  { name: NAT_PREROUTING, type: 'nat', hook: 'prerouting', priority: -100 },
  { name: NAT_OUTPUT, type: 'nat', hook: 'output', priority: -100 },
  { name: NAT_POSTROUTING, type: 'nat', hook: 'postrouting', priority: 100 },
];

const REGULAR_CHAINS = [
  SERVICES,
  MASQUERADING,
  MARK_FOR_MASQUERADE,
  SERVICE_ENDPOINTS_CHECK,
  NODEPORT_ENDPOINTS_CHECK,
  FIREWALL_LOCALNET,
  REJECT_CHAIN,
];

/** Every chain every sync writes whole. */
export const NFT_TOP_LEVEL_CHAINS: readonly string[] = [...BASE_CHAINS.map((c) => c.name), ...REGULAR_CHAINS];

const MAPS: readonly { name: string; type: string }[] = [
  { name: SERVICE_IPS, type: 'ipv4_addr . inet_proto . inet_service : verdict' },
  { name: SERVICE_NODEPORTS, type: 'inet_proto . inet_service : verdict' },
  { name: NO_ENDPOINT_SERVICES, type: 'ipv4_addr . inet_proto . inet_service : verdict' },
  { name: NO_ENDPOINT_NODEPORTS, type: 'inet_proto . inet_service : verdict' },
];

export const SERVICE_CHAIN_PREFIX = 'service-';
export const EXTERNAL_CHAIN_PREFIX = 'external-';
export const ENDPOINT_CHAIN_PREFIX = 'endpoint-';
export const AFFINITY_SET_PREFIX = 'affinity-';

/**
 * NFT_NAME_MAXLEN is 256 with the terminating NUL; upstream keeps the hashed part to 205 so any of
 * its prefixes still fits.
 */
const NAME_BASE_MAX = 205;

/** Per-service chains and sets the last successful sync left installed. */
export interface NftInstalled {
  readonly chains: ReadonlySet<string>;
  readonly sets: ReadonlySet<string>;
}

export interface NftRulesetInput extends RulesSource {
  /** What the last successful sync installed; absent: unknown, so the table is replaced whole. */
  readonly installed?: NftInstalled;
}

export type NftSyncKind = 'replace' | 'full' | 'partial';

export interface NftRulesetPlan {
  /** The `nft -f` input. */
  readonly text: string;
  readonly kind: NftSyncKind;
  /** Per-service chains and sets installed once `text` is applied. */
  readonly installed: NftInstalled;
  /** Per-service chains and sets `text` deletes. */
  readonly deleted: readonly string[];
  readonly servicePorts: readonly ServicePortInfo[];
  /** Service ports whose own chains were written (all with endpoints, in a replace or full sync). */
  readonly writtenServicePorts: number;
}

/** The readable part of a name, hashed and cut as upstream's hashAndTruncate. */
export function hashAndTruncate(name: string): string {
  const hashed = `${base32(createHash('sha256').update(name, 'utf8').digest()).slice(0, 8)}-${name}`;
  return hashed.length > NAME_BASE_MAX ? `${hashed.slice(0, NAME_BASE_MAX - 3)}...` : hashed;
}

/** `ns/name/proto/port` of a service port (the port name is empty for an unnamed port). */
function servicePortBase(sp: ServicePortInfo): string {
  const portName = sp.name.length > sp.service.length ? sp.name.slice(sp.service.length + 1) : '';
  return `${sp.service}/${sp.protocol}/${portName}`;
}

export function nftServiceChainName(sp: ServicePortInfo): string {
  return SERVICE_CHAIN_PREFIX + hashAndTruncate(servicePortBase(sp));
}

export function nftExternalChainName(sp: ServicePortInfo): string {
  return EXTERNAL_CHAIN_PREFIX + hashAndTruncate(servicePortBase(sp));
}

function endpointBase(sp: ServicePortInfo, endpoint: string): string {
  const colon = endpoint.lastIndexOf(':');
  return hashAndTruncate(`${servicePortBase(sp)}__${endpoint.slice(0, colon)}/${endpoint.slice(colon + 1)}`);
}

export function nftEndpointChainName(sp: ServicePortInfo, endpoint: string): string {
  return ENDPOINT_CHAIN_PREFIX + endpointBase(sp, endpoint);
}

export function nftAffinitySetName(sp: ServicePortInfo, endpoint: string): string {
  return AFFINITY_SET_PREFIX + endpointBase(sp, endpoint);
}

interface ServiceObjects {
  readonly svc: string;
  readonly ext: string | undefined;
  /** One per endpoint, in `sp.endpoints` order. */
  readonly endpoints: readonly string[];
  readonly affinitySets: readonly string[];
  readonly chains: readonly string[];
}

function serviceObjects(sp: ServicePortInfo): ServiceObjects {
  const external = sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const svc = nftServiceChainName(sp);
  const ext = external ? nftExternalChainName(sp) : undefined;
  const endpoints = sp.endpoints.map((ep) => nftEndpointChainName(sp, ep));
  const affinitySets =
    sp.affinityTimeoutSeconds !== undefined ? sp.endpoints.map((ep) => nftAffinitySetName(sp, ep)) : [];
  return { svc, ext, endpoints, affinitySets, chains: [...(ext ? [ext] : []), svc, ...endpoints] };
}

/** The complete script; see the module contract. */
export function planNftRuleset(input: NftRulesetInput): NftRulesetPlan {
  const options = input.options ?? {};
  const mark = masqueradeMark(options.masqueradeBit ?? 14);
  const installed = input.installed;
  const kind: NftSyncKind =
    installed === undefined ? 'replace' : input.changedServices === undefined ? 'full' : 'partial';
  const servicePorts = collectServicePorts(input.services, input.endpoints);

  const body: string[] = [];
  const maps = new MapWriter();
  const activeChains = new Set<string>();
  const activeSets = new Set<string>();
  /** Installed per-service chains the partial sync rewrites, so they are flushed first. */
  const rewritten: string[] = [];
  let writtenServicePorts = 0;

  for (const sp of servicePorts) {
    if (sp.endpoints.length === 0) {
      maps.serviceKeys(sp, REJECT_CHAIN, REJECT_CHAIN, NO_ENDPOINT_SERVICES, NO_ENDPOINT_NODEPORTS);
      continue;
    }
    const objects = serviceObjects(sp);
    maps.serviceKeys(sp, objects.svc, objects.ext ?? objects.svc, SERVICE_IPS, SERVICE_NODEPORTS);
    for (const chain of objects.chains) activeChains.add(chain);
    for (const set of objects.affinitySets) activeSets.add(set);
    const keep =
      kind === 'partial' &&
      !input.changedServices!.has(sp.service) &&
      objects.chains.every((c) => installed!.chains.has(c)) &&
      objects.affinitySets.every((s) => installed!.sets.has(s));
    if (keep) continue;
    if (kind === 'partial') rewritten.push(...objects.chains.filter((c) => installed!.chains.has(c)));
    writeServiceObjects(body, sp, objects, options);
    writtenServicePorts++;
  }

  const deletedChains = installed ? [...installed.chains].filter((c) => !activeChains.has(c)).sort() : [];
  const deletedSets = installed ? [...installed.sets].filter((s) => !activeSets.has(s)).sort() : [];

  const head = [`add table ${TABLE}`];
  if (kind === 'replace') {
    head.push(`delete table ${TABLE}`);
  } else {
    if (kind === 'full') head.push(`flush table ${TABLE}`);
    // A chain still holding a jump or goto cannot be deleted (EBUSY), and a service chain points at
    // its endpoint chains, so chains to delete are emptied first too.
    else
      for (const chain of [...NFT_TOP_LEVEL_CHAINS, ...rewritten, ...deletedChains])
        head.push(`flush chain ${TABLE} ${chain}`);
    // Flushing the table leaves set and map elements alone; the maps must be emptied before the
    // chains their elements point at can be deleted.
    for (const map of MAPS) head.push(`flush map ${TABLE} ${map.name}`);
    head.push(`flush set ${TABLE} ${NODEPORT_IPS}`);
    for (const chain of deletedChains) head.push(`delete chain ${TABLE} ${chain}`);
    for (const set of deletedSets) head.push(`delete set ${TABLE} ${set}`);
  }

  const table: string[] = [`table ${TABLE} {`];
  for (const base of BASE_CHAINS) {
    table.push(
      `\tchain ${base.name} {`,
      `\t\ttype ${base.type} hook ${base.hook} priority ${base.priority}; policy accept;`,
      ...baseChainRules(base.name).map((r) => `\t\t${r}`),
      '\t}',
    );
  }
  const localhost = options.localhostNodePorts ?? true;
  // An interval set rejects overlapping elements, and 127.0.0.0/8 covers every loopback address.
  const nodeAddresses = uniqueIPv4(input.nodeIPs ?? []).filter((ip) => !(localhost && ip.startsWith('127.')));
  const nodePortMatch =
    nodeAddresses.length > 0
      ? `ip daddr @${NODEPORT_IPS}`
      : `fib daddr type local${localhost ? '' : ' ip daddr != 127.0.0.0/8'}`;
  const regular: Record<string, string[]> = {
    [SERVICES]: [
      `ip daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`,
      `${nodePortMatch} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`,
    ],
    [MASQUERADING]: [
      `meta mark & ${mark} == 0 return`,
      // Clearing the mark keeps a packet that traverses the stack again from being masqueraded twice.
      `meta mark set meta mark ^ ${mark}`,
      `masquerade${options.masqueradeRandomFully ? ' fully-random' : ''}`,
    ],
    [MARK_FOR_MASQUERADE]: [`meta mark set meta mark | ${mark}`],
    [SERVICE_ENDPOINTS_CHECK]: [`ip daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`],
    [NODEPORT_ENDPOINTS_CHECK]: [`${nodePortMatch} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`],
    // route_localnet makes 127.0.0.0/8 routable from outside the host; as the iptables mode's
    // KUBE-FIREWALL, only loopback-sourced or DNATed connections may reach it (kubernetes#90259).
    [FIREWALL_LOCALNET]: [
      'ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 ct state != { established, related } ct status & dnat == 0 drop',
    ],
    [REJECT_CHAIN]: ['reject'],
  };
  for (const name of REGULAR_CHAINS) {
    table.push(`\tchain ${name} {`, ...regular[name].map((r) => `\t\t${r}`), '\t}');
  }
  for (const map of MAPS) {
    table.push(`\tmap ${map.name} {`, `\t\ttype ${map.type};`, ...elements(maps.elements(map.name)), '\t}');
  }
  const nodePortIPs =
    nodeAddresses.length > 0 && localhost ? [...nodeAddresses, '127.0.0.0/8'] : nodeAddresses;
  table.push(
    `\tset ${NODEPORT_IPS} {`,
    '\t\ttype ipv4_addr; flags interval;',
    ...elements(nodePortIPs),
    '\t}',
    ...body,
    '}',
  );

  return {
    text: [...head, ...table, ''].join('\n'),
    kind,
    installed: { chains: activeChains, sets: activeSets },
    deleted: [...deletedChains, ...deletedSets],
    servicePorts,
    writtenServicePorts,
  };
}

/** `planNftRuleset(...).text`. */
export function buildNftRuleset(input: NftRulesetInput): string {
  return planNftRuleset(input).text;
}

/** A script that removes the table and everything in it; harmless when there is none. */
export function nftCleanupScript(): string {
  return `add table ${TABLE}\ndelete table ${TABLE}\n`;
}

function baseChainRules(name: string): string[] {
  switch (name) {
    case FILTER_INPUT:
      return [
        `ct state new jump ${NODEPORT_ENDPOINTS_CHECK}`,
        `ct state new jump ${SERVICE_ENDPOINTS_CHECK}`,
        `jump ${FIREWALL_LOCALNET}`,
      ];
    case FILTER_FORWARD:
    case FILTER_OUTPUT:
      return [`ct state new jump ${SERVICE_ENDPOINTS_CHECK}`];
    case NAT_PREROUTING:
    case NAT_OUTPUT:
      return [`jump ${SERVICES}`];
    case NAT_POSTROUTING:
      return [`jump ${MASQUERADING}`];
    default:
      return [];
  }
}

function writeServiceObjects(
  out: string[],
  sp: ServicePortInfo,
  objects: ServiceObjects,
  options: RulesetOptions,
): void {
  const affinity = sp.affinityTimeoutSeconds;
  for (const set of objects.affinitySets) {
    out.push(`\tset ${set} {`, `\t\ttype ipv4_addr; flags dynamic,timeout; timeout ${affinity}s;`, '\t}');
  }
  if (objects.ext) {
    // External traffic may come from anywhere and go to an endpoint on another node, so its source
    // must be rewritten for replies to come back through this node.
    out.push(`\tchain ${objects.ext} {`, `\t\tjump ${MARK_FOR_MASQUERADE}`, `\t\tgoto ${objects.svc}`, '\t}');
  }
  const svcRules: string[] = [];
  const clusterIPMatch = `ip daddr ${sp.clusterIP} ${sp.protocol} dport ${sp.port}`;
  if (options.masqueradeAll) {
    svcRules.push(`${clusterIPMatch} jump ${MARK_FOR_MASQUERADE}`);
  } else if (options.clusterCIDR) {
    // Off-cluster clients reaching a cluster IP (through a route to any node) would otherwise get
    // replies straight from the pod.
    svcRules.push(`${clusterIPMatch} ip saddr != ${options.clusterCIDR} jump ${MARK_FOR_MASQUERADE}`);
  }
  objects.affinitySets.forEach((set, i) => svcRules.push(`ip saddr @${set} goto ${objects.endpoints[i]}`));
  // Rule i takes 1/(n-i) of what the rules before it left, so each endpoint gets 1/n overall, as
  // the iptables mode's statistic rules. Upstream uses one `numgen random mod n vmap { … }` instead,
  // but every such inline map is an anonymous set, and the kernel binds each one by walking the
  // whole transaction: a full sync of 1,000 services then costs seconds of kernel time.
  const n = objects.endpoints.length;
  objects.endpoints.forEach((chain, i) =>
    svcRules.push(i < n - 1 ? `numgen random mod ${n - i} == 0 goto ${chain}` : `goto ${chain}`),
  );
  out.push(`\tchain ${objects.svc} {`, ...svcRules.map((r) => `\t\t${r}`), '\t}');

  sp.endpoints.forEach((ep, i) => {
    const ip = ep.slice(0, ep.lastIndexOf(':'));
    const update = affinity !== undefined ? `update @${objects.affinitySets[i]} { ip saddr } ` : '';
    out.push(
      `\tchain ${objects.endpoints[i]} {`,
      // A pod reaching itself through its service (hairpin) would see its own address as the source.
      `\t\tip saddr ${ip} jump ${MARK_FOR_MASQUERADE}`,
      `\t\t${update}meta l4proto ${sp.protocol} dnat to ${ep}`,
      '\t}',
    );
  });
}

/** Map elements, first writer of a key wins. */
class MapWriter {
  private readonly maps = new Map<string, Map<string, string>>();

  serviceKeys(sp: ServicePortInfo, internal: string, external: string, ipMap: string, portMap: string): void {
    const key = (ip: string) => `${ip} . ${sp.protocol} . ${sp.port}`;
    this.add(ipMap, key(sp.clusterIP), `goto ${internal}`);
    for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) this.add(ipMap, key(ip), `goto ${external}`);
    if (sp.nodePort > 0) this.add(portMap, `${sp.protocol} . ${sp.nodePort}`, `goto ${external}`);
  }

  elements(map: string): string[] {
    return [...(this.maps.get(map) ?? [])].map(([key, verdict]) => `${key} : ${verdict}`);
  }

  private add(map: string, key: string, verdict: string): void {
    const entries = this.maps.get(map) ?? new Map<string, string>();
    this.maps.set(map, entries);
    if (!entries.has(key)) entries.set(key, verdict);
  }
}

/** `elements = { … }`, one per line; nothing for none (an empty list is a syntax error). */
function elements(items: readonly string[]): string[] {
  if (items.length === 0) return [];
  return [
    '\t\telements = {',
    ...items.map((item, i) => `\t\t\t${item}${i < items.length - 1 ? ',' : ''}`),
    '\t\t}',
  ];
}

function uniqueIPv4(values: readonly string[]): string[] {
  return [...new Set(values.filter(isIPv4))].sort((a, b) => {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
  });
}
