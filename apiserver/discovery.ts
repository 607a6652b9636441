/**
 * Discovery documents, built from the resource registry: `/version`, legacy discovery (`/api`, `/apis`,
 * `/apis/<g>`, `/api/v1`, `/apis/<g>/<v>`) and aggregated discovery (`APIGroupDiscoveryList` on `/api` and
 * `/apis`, chosen by the Accept header). Everything here is a pure function of its arguments; the HTTP
 * layer decides which document a request gets and must send aggregated bodies with the Content-Type that
 * `negotiateDiscovery` returns, because client-go picks the decoder from that header alone.
 */

import { createHash } from 'node:crypto';
import { groupVersion, servedGroups } from './resource-registry.js';
import type { GroupVersionKind, ResourceInfo, ResourceRegistry } from './resource-registry.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface VersionInfoOptions {
  gitCommit?: string;
  buildDate?: string;
  platform?: string;
  arch?: string;
}

const GO_OS: Record<string, string> = { win32: 'windows', sunos: 'solaris' };
const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  ppc64: 'ppc64le',
  mipsel: 'mipsle',
};

/**
 * The minor version is what the kubectl dispatcher on the host uses to choose `kubectl.1.<minor>`, so it
 * stays a bare "32" (no "+" as some distributions report). The "+kubicle" suffix is semver build
 * metadata, as k3s does with "+k3s1": it keeps v1.32.0 ordering, where a "-" suffix would make this a
 * pre-release that sorts below v1.32.0 in version checks.
 */
export function versionInfo(options: VersionInfoOptions = {}): VersionInfo {
  const os = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0+kubicle',
    gitCommit: options.gitCommit ?? '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    // Upstream's value for a build that was not stamped.
    buildDate: options.buildDate ?? '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${GO_OS[os] ?? os}/${GO_ARCH[arch] ?? arch}`,
  };
}

export interface ServerAddressByClientCIDR {
  clientCIDR: string;
  serverAddress: string;
}

export interface APIVersions {
  kind: 'APIVersions';
  versions: string[];
  serverAddressByClientCIDRs: ServerAddressByClientCIDR[];
}

/** `GET /api`. Upstream sends no apiVersion on this one. */
export function apiVersions(serverAddress: string): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroupEntry {
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroup extends APIGroupEntry {
  kind: 'APIGroup';
  apiVersion: 'v1';
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroupEntry[];
}

function groupEntry(name: string, versions: string[]): APIGroupEntry {
  const forDiscovery = versions.map((version) => ({ groupVersion: groupVersion(name, version), version }));
  return { name, versions: forDiscovery, preferredVersion: forDiscovery[0] };
}

/** Named groups only: the core group is announced by `/api`, never by `/apis`. */
function namedGroups(registry: ResourceRegistry): [string, string[]][] {
  return [...servedGroups(registry.resources)].filter(([group]) => group !== '');
}

/** `GET /apis`. */
export function apiGroupList(registry: ResourceRegistry): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: namedGroups(registry).map(([name, versions]) => groupEntry(name, versions)),
  };
}

/** `GET /apis/<group>`; undefined when the group is not served (the caller answers 404). */
export function apiGroup(registry: ResourceRegistry, group: string): APIGroup | undefined {
  const versions = namedGroups(registry).find(([name]) => name === group)?.[1];
  if (!versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) };
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion?: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

/**
 * Upstream's hash of the storage group/version/kind: the first 8 bytes of SHA-256 over "group/version/kind",
 * base64. Clients only compare it for equality, but matching upstream keeps it meaningful.
 */
export function storageVersionHash(gvk: GroupVersionKind): string {
  const digest = createHash('sha256').update(`${gvk.group}/${gvk.version}/${gvk.kind}`).digest();
  return digest.subarray(0, 8).toString('base64');
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parentEntry(r: ResourceInfo): APIResource {
  const entry: APIResource = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length) entry.shortNames = [...r.shortNames];
  if (r.categories.length) entry.categories = [...r.categories];
  entry.storageVersionHash = storageVersionHash(r);
  return entry;
}

/**
 * Upstream names group and version on a subresource only when its kind lives elsewhere (Scale in
 * autoscaling/v1, Eviction in policy/v1); drain and `scale --current-replicas` read exactly those fields.
 * Subresources carry an empty singularName.
 */
function subresourceEntries(r: ResourceInfo): APIResource[] {
  return r.subresources.map((sub) => {
    const entry: APIResource = {
      name: `${r.plural}/${sub.name}`,
      singularName: '',
      namespaced: r.namespaced,
      kind: sub.responseKind.kind,
      verbs: [...sub.verbs],
    };
    if (sub.responseKind.group !== r.group || sub.responseKind.version !== r.version) {
      entry.group = sub.responseKind.group;
      entry.version = sub.responseKind.version;
    }
    return entry;
  });
}

/** Every resource and subresource of one group-version, sorted by name as upstream registers them. */
function legacyResources(registry: ResourceRegistry, group: string, version: string): APIResource[] {
  return registry
    .inGroupVersion(group, version)
    .flatMap((r) => [parentEntry(r), ...subresourceEntries(r)])
    .sort((a, b) => byteOrder(a.name, b.name));
}

/**
 * `GET /api/v1` and `GET /apis/<group>/<version>`; undefined when nothing is served there. The core list
 * has no apiVersion upstream, the named-group lists do.
 */
export function apiResourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): APIResourceList | undefined {
  const resources = legacyResources(registry, group, version);
  if (resources.length === 0) return undefined;
  const gv = groupVersion(group, version);
  return group === ''
    ? { kind: 'APIResourceList', groupVersion: gv, resources }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

export type DiscoveryVersion = 'v2' | 'v2beta1';

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current';
}

export interface APIGroupDiscovery {
  metadata: { name: string };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: `apidiscovery.k8s.io/${DiscoveryVersion}`;
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

function responseKindOf(entry: APIResource): GroupVersionKind {
  return { group: entry.group ?? '', version: entry.version ?? '', kind: entry.kind };
}

/**
 * Derived from the legacy entries the way upstream converts them, so both forms always agree: responseKind
 * carries the same (usually empty) group and version as the legacy entry, which client-go reads as "the
 * group-version being listed".
 */
function aggregatedResources(
  registry: ResourceRegistry,
  group: string,
  version: string,
): APIResourceDiscovery[] {
  const legacy = legacyResources(registry, group, version);
  const parents = new Map<string, APIResourceDiscovery>();
  for (const entry of legacy) {
    if (entry.name.includes('/')) continue;
    const resource: APIResourceDiscovery = {
      resource: entry.name,
      responseKind: responseKindOf(entry),
      scope: entry.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: entry.singularName,
      verbs: entry.verbs,
    };
    if (entry.shortNames) resource.shortNames = entry.shortNames;
    if (entry.categories) resource.categories = entry.categories;
    parents.set(entry.name, resource);
  }
  for (const entry of legacy) {
    const slash = entry.name.indexOf('/');
    if (slash < 0) continue;
    const parent = parents.get(entry.name.slice(0, slash));
    if (!parent) continue;
    (parent.subresources ??= []).push({
      subresource: entry.name.slice(slash + 1),
      responseKind: responseKindOf(entry),
      verbs: entry.verbs,
    });
  }
  return [...parents.values()];
}

function groupDiscovery(registry: ResourceRegistry, group: string, versions: string[]): APIGroupDiscovery {
  return {
    metadata: { name: group },
    versions: versions.map((version) => ({
      version,
      resources: aggregatedResources(registry, group, version),
      freshness: 'Current',
    })),
  };
}

/** The aggregated body for `/api` (`which: 'core'`) or `/apis` (`which: 'groups'`). */
export function aggregatedDiscovery(
  registry: ResourceRegistry,
  which: 'core' | 'groups',
  apiVersion: DiscoveryVersion,
): APIGroupDiscoveryList {
  const groups = [...servedGroups(registry.resources)].filter(([group]) =>
    which === 'core' ? group === '' : group !== '',
  );
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
    metadata: {},
    items: groups.map(([group, versions]) => groupDiscovery(registry, group, versions)),
  };
}

export interface DiscoveryNegotiation {
  apiVersion: DiscoveryVersion;
  contentType: string;
}

interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

/** Splits on `sep` outside double quotes, so a quoted parameter value may contain commas or semicolons. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + text[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

function parseMediaRange(text: string): MediaRange | undefined {
  const [mediaType, ...paramTexts] = splitOutsideQuotes(text, ';').map((part) => part.trim());
  const slash = mediaType.indexOf('/');
  if (slash <= 0 || slash === mediaType.length - 1) return undefined;
  const params = new Map<string, string>();
  // An unparseable q counts as 0 (not acceptable), as Go's content negotiation does.
  let q = 1;
  for (const paramText of paramTexts) {
    const eq = paramText.indexOf('=');
    if (eq <= 0) continue;
    const key = paramText.slice(0, eq).trim().toLowerCase();
    const value = unquote(paramText.slice(eq + 1).trim());
    if (key === 'q') {
      const parsed = /^\d+(\.\d*)?$|^\.\d+$/.test(value) ? Number(value) : 0;
      q = Math.min(parsed, 1);
    } else {
      params.set(key, value);
    }
  }
  return {
    type: mediaType.slice(0, slash).toLowerCase(),
    subtype: mediaType.slice(slash + 1).toLowerCase(),
    params,
    q,
  };
}

function aggregatedVersionOf(range: MediaRange): DiscoveryVersion | undefined {
  if (range.type !== 'application' || range.subtype !== 'json') return undefined;
  if (range.params.get('g') !== 'apidiscovery.k8s.io') return undefined;
  if (range.params.get('as') !== 'APIGroupDiscoveryList') return undefined;
  const version = range.params.get('v');
  return version === 'v2' || version === 'v2beta1' ? version : undefined;
}

// Ranges the legacy JSON documents satisfy: plain JSON and the application/* and */* wildcards.
function acceptsLegacyJson(range: MediaRange): boolean {
  if (range.type === '*') return true;
  if (range.type !== 'application') return false;
  if (range.subtype === '*') return true;
  return range.subtype === 'json' && !range.params.has('as');
}

export function discoveryContentType(apiVersion: DiscoveryVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${apiVersion};as=APIGroupDiscoveryList`;
}

/**
 * Picks aggregated discovery when the Accept header offers it: kubectl 1.30+ offers v2 then v2beta1,
 * 1.27-1.29 only v2beta1, client-node neither. The better q wins; on a tie v2 beats v2beta1 and aggregated
 * beats plain JSON (the more specific range, as in upstream's negotiation). Undefined means: serve the
 * legacy document as plain JSON.
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryNegotiation | undefined {
  if (!accept) return undefined;
  let best: { apiVersion: DiscoveryVersion; q: number } | undefined;
  let legacyQ = 0;
  for (const text of splitOutsideQuotes(accept, ',')) {
    if (!text.trim()) continue;
    const range = parseMediaRange(text);
    if (!range || range.q <= 0) continue;
    const apiVersion = aggregatedVersionOf(range);
    if (apiVersion) {
      const better =
        !best || range.q > best.q || (range.q === best.q && apiVersion === 'v2' && best.apiVersion !== 'v2');
      if (better) best = { apiVersion, q: range.q };
    } else if (acceptsLegacyJson(range)) {
      legacyQ = Math.max(legacyQ, range.q);
    }
  }
  if (!best || legacyQ > best.q) return undefined;
  return { apiVersion: best.apiVersion, contentType: discoveryContentType(best.apiVersion) };
}
