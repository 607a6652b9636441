import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  negotiateDiscovery,
  versionInfo,
} from './discovery.js';
import type { APIGroupDiscoveryList, APIResource } from './discovery.js';
import { ResourceRegistry } from './resource-registry.js';
import type { ResourceInfo } from './resource-registry.js';

const registry = new ResourceRegistry();

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

function legacyEntry(group: string, version: string, name: string): APIResource | undefined {
  return apiResourceList(registry, group, version)?.resources.find((r) => r.name === name);
}

function widget(version: string): ResourceInfo {
  return {
    group: 'example.dev',
    version,
    kind: 'Widget',
    plural: 'widgets',
    singular: 'widget',
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ['get', 'list'],
    subresources: [],
    modelName: 'V1Widget',
  };
}

describe('version', () => {
  it('reports minor 32 so the kubectl dispatcher runs a 1.32 client', () => {
    const info = versionInfo();
    expect(info.major).toBe('1');
    expect(info.minor).toBe('32');
  });

  it('reports a v1.32 semver with build metadata rather than a pre-release suffix', () => {
    expect(versionInfo().gitVersion).toMatch(/^v1\.32\.\d+\+[0-9A-Za-z.]+$/);
  });

  it('fills every field kubectl version prints', () => {
    const info = versionInfo({ gitCommit: 'abc123', buildDate: '2026-01-02T03:04:05Z' });
    expect(info).toEqual({
      major: '1',
      minor: '32',
      gitVersion: expect.any(String),
      gitCommit: 'abc123',
      gitTreeState: 'clean',
      buildDate: '2026-01-02T03:04:05Z',
      goVersion: expect.any(String),
      compiler: expect.any(String),
      platform: expect.any(String),
    });
    expect(versionInfo().buildDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it.each([
    ['linux', 'x64', 'linux/amd64'],
    ['linux', 'arm64', 'linux/arm64'],
    ['darwin', 'arm64', 'darwin/arm64'],
    ['win32', 'ia32', 'windows/386'],
  ])('names platform %s/%s the Go way: %s', (platform, arch, expected) => {
    expect(versionInfo({ platform, arch }).platform).toBe(expected);
  });

  it('derives the platform from the running process by default', () => {
    expect(versionInfo().platform).toBe(
      versionInfo({ platform: process.platform, arch: process.arch }).platform,
    );
  });
});

describe('legacy discovery', () => {
  it('announces the core version and the server address on /api', () => {
    expect(apiVersions('10.0.0.1:6443')).toEqual({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
    });
  });

  it('lists named groups on /apis without the core group', () => {
    const list = apiGroupList(registry);
    expect(list.kind).toBe('APIGroupList');
    expect(list.apiVersion).toBe('v1');
    expect(list.groups.map((g) => g.name)).not.toContain('');
    expect(list.groups.find((g) => g.name === 'apps')).toEqual({
      name: 'apps',
      versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    });
  });

  it('keeps the registry order of versions and prefers the first', () => {
    const multi = new ResourceRegistry([widget('v2'), widget('v1beta1')]);
    expect(apiGroup(multi, 'example.dev')).toEqual({
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: 'example.dev',
      versions: [
        { groupVersion: 'example.dev/v2', version: 'v2' },
        { groupVersion: 'example.dev/v1beta1', version: 'v1beta1' },
      ],
      preferredVersion: { groupVersion: 'example.dev/v2', version: 'v2' },
    });
  });

  it.each([[''], ['nope.example.com']])('has no APIGroup document for %j', (group) => {
    expect(apiGroup(registry, group)).toBeUndefined();
  });

  it('leaves apiVersion off the core resource list, as upstream does, and sets it on group lists', () => {
    const core = apiResourceList(registry, '', 'v1');
    expect(core).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    expect(core).not.toHaveProperty('apiVersion');
    expect(apiResourceList(registry, 'apps', 'v1')).toMatchObject({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'apps/v1',
    });
  });

  it.each([
    ['', 'v2'],
    ['apps', 'v1beta2'],
    ['nope.example.com', 'v1'],
  ])('has no resource list for %j %s', (group, version) => {
    expect(apiResourceList(registry, group, version)).toBeUndefined();
  });

  it('describes pods the way upstream does, storage version hash included', () => {
    expect(legacyEntry('', 'v1', 'pods')).toEqual({
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
      storageVersionHash: 'xPOwRZ+Yhw8=',
    });
    expect(legacyEntry('apps', 'v1', 'deployments')?.storageVersionHash).toBe('8aSe+NMegvE=');
  });

  it('names policy/v1 on pods/eviction so drain uses the eviction API', () => {
    expect(legacyEntry('', 'v1', 'pods/eviction')).toEqual({
      name: 'pods/eviction',
      singularName: '',
      namespaced: true,
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    });
  });

  it.each([['deployments/scale'], ['replicasets/scale']])(
    'names autoscaling/v1 Scale on %s so preconditioned scale finds it',
    (name) => {
      expect(legacyEntry('apps', 'v1', name)).toEqual({
        name,
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
    },
  );

  it.each([
    ['', 'pods/status', 'Pod', ['get', 'patch', 'update']],
    ['', 'pods/log', 'Pod', ['get']],
    ['', 'pods/binding', 'Binding', ['create']],
    ['apps', 'deployments/status', 'Deployment', ['get', 'patch', 'update']],
  ])('lists %s %s with its kind and no group or version of its own', (group, name, kind, verbs) => {
    const entry = legacyEntry(group, 'v1', name);
    expect(entry).toEqual({ name, singularName: '', namespaced: true, kind, verbs });
  });

  it('gives cluster-scoped subresources the scope of their parent', () => {
    expect(legacyEntry('', 'v1', 'nodes/status')?.namespaced).toBe(false);
    expect(legacyEntry('', 'v1', 'namespaces/finalize')).toMatchObject({
      namespaced: false,
      verbs: ['update'],
    });
  });

  it('sorts entries by name, each subresource right after its parent', () => {
    const names = apiResourceList(registry, '', 'v1')!.resources.map((r) => r.name);
    expect(names).toEqual([...names].sort());
    expect(names.indexOf('pods/binding')).toBe(names.indexOf('pods') + 1);
  });

  it.each([
    ['', 'pods'],
    ['', 'services'],
    ['apps', 'deployments'],
    ['apps', 'replicasets'],
    ['apps', 'daemonsets'],
  ])('puts %j %s in the "all" category', (group, name) => {
    expect(legacyEntry(group, 'v1', name)?.categories).toContain('all');
  });

  it.each([
    ['', 'configmaps'],
    ['', 'secrets'],
    ['', 'nodes'],
    ['coordination.k8s.io', 'leases'],
  ])('leaves %j %s out of "all" and omits empty categories', (group, name) => {
    expect(legacyEntry(group, 'v1', name)).not.toHaveProperty('categories');
  });

  it.each([
    ['', 'pods', ['po']],
    ['', 'services', ['svc']],
    ['', 'nodes', ['no']],
    ['', 'namespaces', ['ns']],
    ['', 'configmaps', ['cm']],
    ['', 'endpoints', ['ep']],
    ['', 'events', ['ev']],
    ['', 'serviceaccounts', ['sa']],
    ['apps', 'deployments', ['deploy']],
    ['apps', 'replicasets', ['rs']],
    ['apps', 'daemonsets', ['ds']],
  ])('gives %j %s the short names %j', (group, name, shortNames) => {
    expect(legacyEntry(group, 'v1', name)?.shortNames).toEqual(shortNames);
  });

  it('omits shortNames where a resource has none', () => {
    expect(legacyEntry('', 'v1', 'secrets')).not.toHaveProperty('shortNames');
  });
});

describe('aggregated discovery', () => {
  it.each([['v2' as const], ['v2beta1' as const]])(
    'serves /api as one unnamed core group (%s)',
    (version) => {
      const list = aggregatedDiscovery(registry, 'core', version);
      expect(list.kind).toBe('APIGroupDiscoveryList');
      expect(list.apiVersion).toBe(`apidiscovery.k8s.io/${version}`);
      expect(list.metadata).toEqual({});
      expect(list.items).toHaveLength(1);
      expect(list.items[0].metadata).toEqual({ name: '' });
      expect(list.items[0].versions.map((v) => [v.version, v.freshness])).toEqual([['v1', 'Current']]);
    },
  );

  it('serves /apis as one item per named group, in the order of the group list', () => {
    const list = aggregatedDiscovery(registry, 'groups', 'v2');
    expect(list.items.map((item) => item.metadata.name)).toEqual(
      apiGroupList(registry).groups.map((g) => g.name),
    );
    expect(list.items.every((item) => item.versions.every((v) => v.freshness === 'Current'))).toBe(true);
  });

  it('lists the versions of a group in preference order', () => {
    const multi = new ResourceRegistry([widget('v2'), widget('v1beta1')]);
    const [item] = aggregatedDiscovery(multi, 'groups', 'v2').items;
    expect(item.versions.map((v) => v.version)).toEqual(['v2', 'v1beta1']);
    expect(item.versions[0].resources[0]).toEqual({
      resource: 'widgets',
      responseKind: { group: '', version: '', kind: 'Widget' },
      scope: 'Cluster',
      singularResource: 'widget',
      verbs: ['get', 'list'],
    });
  });

  it('describes pods with scope, names, categories and every subresource', () => {
    const [core] = aggregatedDiscovery(registry, 'core', 'v2').items;
    const pods = core.versions[0].resources.find((r) => r.resource === 'pods');
    expect(pods).toEqual({
      resource: 'pods',
      responseKind: { group: '', version: '', kind: 'Pod' },
      scope: 'Namespaced',
      singularResource: 'pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        {
          subresource: 'binding',
          responseKind: { group: '', version: '', kind: 'Binding' },
          verbs: ['create'],
        },
        {
          subresource: 'eviction',
          responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
          verbs: ['create'],
        },
        { subresource: 'log', responseKind: { group: '', version: '', kind: 'Pod' }, verbs: ['get'] },
        {
          subresource: 'status',
          responseKind: { group: '', version: '', kind: 'Pod' },
          verbs: ['get', 'patch', 'update'],
        },
      ],
    });
    expect(core.versions[0].resources.find((r) => r.resource === 'nodes')?.scope).toBe('Cluster');
  });

  it('names autoscaling/v1 Scale on the deployment scale subresource', () => {
    const apps = aggregatedDiscovery(registry, 'groups', 'v2').items.find((i) => i.metadata.name === 'apps')!;
    const deployments = apps.versions[0].resources.find((r) => r.resource === 'deployments');
    expect(deployments?.subresources).toContainEqual({
      subresource: 'scale',
      responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      verbs: ['get', 'patch', 'update'],
    });
  });

  it('omits empty shortNames, categories and subresources', () => {
    const groups = aggregatedDiscovery(registry, 'groups', 'v2');
    const leases = groups.items
      .find((i) => i.metadata.name === 'coordination.k8s.io')!
      .versions[0].resources.find((r) => r.resource === 'leases');
    expect(leases).toBeDefined();
    expect(leases).not.toHaveProperty('shortNames');
    expect(leases).not.toHaveProperty('categories');
    expect(leases).not.toHaveProperty('subresources');
  });

  // client-go turns an aggregated document back into per-group-version resource lists; whichever form a
  // client reads, it has to arrive at the same resources.
  function asClientGoSees(list: APIGroupDiscoveryList, version: string) {
    return list.items[0].versions
      .find((v) => v.version === version)!
      .resources.flatMap((r) => [
        {
          name: r.resource,
          namespaced: r.scope === 'Namespaced',
          group: r.responseKind.group,
          version: r.responseKind.version,
          kind: r.responseKind.kind,
          verbs: r.verbs,
          shortNames: r.shortNames,
          categories: r.categories,
        },
        ...(r.subresources ?? []).map((s) => ({
          name: `${r.resource}/${s.subresource}`,
          namespaced: r.scope === 'Namespaced',
          group: s.responseKind.group,
          version: s.responseKind.version,
          kind: s.responseKind.kind,
          verbs: s.verbs,
          shortNames: undefined,
          categories: undefined,
        })),
      ]);
  }

  it.each([
    ['', 'core' as const],
    ['apps', 'groups' as const],
    ['coordination.k8s.io', 'groups' as const],
  ])('agrees with the legacy list for %j', (group, which) => {
    const aggregated = aggregatedDiscovery(registry, which, 'v2');
    const onlyGroup = { ...aggregated, items: aggregated.items.filter((i) => i.metadata.name === group) };
    const legacy = apiResourceList(registry, group, 'v1')!.resources.map((r) => ({
      name: r.name,
      namespaced: r.namespaced,
      group: r.group ?? '',
      version: r.version ?? '',
      kind: r.kind,
      verbs: r.verbs,
      shortNames: r.shortNames,
      categories: r.categories,
    }));
    const fromAggregated = asClientGoSees(onlyGroup, 'v1');
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    expect([...fromAggregated].sort(byName)).toEqual([...legacy].sort(byName));
  });
});

describe('discovery negotiation', () => {
  it.each([
    ['kubectl 1.27-1.29', `${V2BETA1},application/json`, 'v2beta1'],
    ['kubectl 1.30-1.33', `${V2},${V2BETA1},application/json`, 'v2'],
    ['client-node', 'application/json, */*;q=0.8', undefined],
    ['kubectl typed clients', 'application/json, */*', undefined],
    ['client-node watch', '*/*', undefined],
    ['no Accept header', undefined, undefined],
    ['an empty Accept header', '', undefined],
    ['v2beta1 listed before v2 at equal q', `${V2BETA1},${V2}`, 'v2'],
    [
      'parameters in another order, with spaces and a charset',
      'application/json; as=APIGroupDiscoveryList; charset=utf-8; v=v2; g=apidiscovery.k8s.io',
      'v2',
    ],
    [
      'quoted parameter values',
      'application/json;g="apidiscovery.k8s.io";v="v2";as="APIGroupDiscoveryList"',
      'v2',
    ],
    ['upper-case media type', 'Application/JSON;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', 'v2'],
    ['v2 refused with q=0', `${V2};q=0,${V2BETA1},application/json`, 'v2beta1'],
    ['only aggregated ranges, refused with q=0', `${V2};q=0,${V2BETA1};q=0.0`, undefined],
    ['v2 ranked below v2beta1', `${V2};q=0.5,${V2BETA1},application/json;q=0.1`, 'v2beta1'],
    ['an unparseable q', `${V2};q=high,${V2BETA1}`, 'v2beta1'],
    ['plain JSON ranked above aggregated', `${V2};q=0.5,application/json`, undefined],
    ['plain JSON ranked below aggregated', `application/json;q=0.9,${V2}`, 'v2'],
    [
      'an unknown discovery version',
      'application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList',
      undefined,
    ],
    ['another group', 'application/json;g=meta.k8s.io;v=v1;as=APIGroupDiscoveryList', undefined],
    ['the Table media type', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json', undefined],
    [
      'aggregated protobuf only',
      'application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      undefined,
    ],
    ['a missing as parameter', 'application/json;g=apidiscovery.k8s.io;v=v2', undefined],
    ['garbage', 'not a media type,;;,', undefined],
  ])('%s → %s', (_client, accept, expected) => {
    expect(negotiateDiscovery(accept)?.apiVersion).toBe(expected);
  });

  it.each([
    ['v2', V2],
    ['v2beta1', V2BETA1],
  ])('echoes the %s media type as the response Content-Type', (version, contentType) => {
    const accept = version === 'v2' ? `${V2},${V2BETA1},application/json` : `${V2BETA1},application/json`;
    expect(negotiateDiscovery(accept)).toEqual({ apiVersion: version, contentType });
  });

  it('echoes the canonical parameter order whatever order the client used', () => {
    expect(
      negotiateDiscovery('application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io')?.contentType,
    ).toBe(V2);
  });
});
