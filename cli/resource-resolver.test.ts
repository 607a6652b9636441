import type { ApiResource } from './resource-resolver.js';
import {
  UsageError,
  expandResourceTypes,
  groupKindOf,
  groupResourceOf,
  parseResourceArgs,
  resolveRequests,
  resolveResourceType,
  resourceForKind,
} from './resource-resolver.js';

function resource(
  group: string,
  version: string,
  name: string,
  kind: string,
  extra: Partial<ApiResource> = {},
): ApiResource {
  return {
    group,
    version,
    name,
    singularName: kind.toLowerCase(),
    kind,
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ['get', 'list'],
    subresources: [],
    ...extra,
  };
}

// In discovery order: core first, then the groups, each group's preferred version first.
const RESOURCES: ApiResource[] = [
  resource('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'] }),
  resource('', 'v1', 'services', 'Service', { shortNames: ['svc'], categories: ['all'] }),
  resource('', 'v1', 'nodes', 'Node', { shortNames: ['no'], namespaced: false }),
  resource('', 'v1', 'namespaces', 'Namespace', { shortNames: ['ns'], namespaced: false }),
  resource('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  resource('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  resource('', 'v1', 'endpoints', 'Endpoints', { singularName: 'endpoints', shortNames: ['ep'] }),
  resource('apps', 'v1', 'deployments', 'Deployment', { shortNames: ['deploy'], categories: ['all'] }),
  resource('apps', 'v1', 'replicasets', 'ReplicaSet', { shortNames: ['rs'], categories: ['all'] }),
  resource('events.k8s.io', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  resource('example.com', 'v2', 'widgets', 'Widget'),
  resource('example.com', 'v1', 'widgets', 'Widget'),
];

describe('resolveResourceType', () => {
  it.each<[string, string, string]>([
    ['po', '', 'pods'],
    ['pods', '', 'pods'],
    ['pod', '', 'pods'],
    ['Pod', '', 'pods'],
    ['deploy', 'apps', 'deployments'],
    ['Deployment', 'apps', 'deployments'],
    ['deployment.apps', 'apps', 'deployments'],
    ['deployments.v1.apps', 'apps', 'deployments'],
    ['svc', '', 'services'],
    ['rs', 'apps', 'replicasets'],
    ['no', '', 'nodes'],
    ['ns', '', 'namespaces'],
    ['cm', '', 'configmaps'],
    ['ev', '', 'events'],
    ['events', '', 'events'],
    ['events.events.k8s.io', 'events.k8s.io', 'events'],
    ['endpoints', '', 'endpoints'],
  ])('%s is %s %s', (typed, group, name) => {
    const r = resolveResourceType(RESOURCES, typed);
    expect([r.group, r.name]).toEqual([group, name]);
  });

  it('prefers the preferred version, and honours an explicit one', () => {
    expect(resolveResourceType(RESOURCES, 'widgets').version).toBe('v2');
    expect(resolveResourceType(RESOURCES, 'widgets.v1.example.com').version).toBe('v1');
  });

  it.each(['foo', 'pods.apps', 'deployment.v9.apps'])('refuses %s', (typed) => {
    expect(() => resolveResourceType(RESOURCES, typed)).toThrow(UsageError);
  });

  it('words the error as kubectl does', () => {
    expect(() => resolveResourceType(RESOURCES, 'foo')).toThrow(
      'the server doesn\'t have a resource type "foo"',
    );
  });
});

describe('parseResourceArgs', () => {
  it.each<[string[], ReturnType<typeof parseResourceArgs>]>([
    [['pods'], [{ type: 'pods', names: [] }]],
    [['po', 'a', 'b'], [{ type: 'po', names: ['a', 'b'] }]],
    [
      ['deploy,svc', 'web'],
      [
        { type: 'deploy', names: ['web'] },
        { type: 'svc', names: ['web'] },
      ],
    ],
    [
      ['deploy/web', 'deploy/api', 'svc/web'],
      [
        { type: 'deploy', names: ['web', 'api'] },
        { type: 'svc', names: ['web'] },
      ],
    ],
  ])('%j', (args, expected) => {
    expect(parseResourceArgs(args)).toEqual(expected);
  });

  it('refuses mixing TYPE NAME and TYPE/NAME', () => {
    expect(() => parseResourceArgs(['pods', 'deploy/web'])).toThrow(
      'there is no need to specify a resource type',
    );
  });

  it('refuses TYPE/NAME with an empty part', () => {
    expect(() => parseResourceArgs(['pods/'])).toThrow('single resource and name');
  });
});

describe('resolveRequests', () => {
  it('expands a category and merges repeated types', () => {
    const resolved = resolveRequests(RESOURCES, ['all']);
    expect(resolved.map((r) => groupKindOf(r.resource))).toEqual([
      'pod',
      'service',
      'deployment.apps',
      'replicaset.apps',
    ]);
    expect(resolveRequests(RESOURCES, ['po/a', 'pods/b']).map((r) => r.names)).toEqual([['a', 'b']]);
  });

  it('refuses names with a category', () => {
    expect(() => resolveRequests(RESOURCES, ['all', 'web'])).toThrow(
      'names cannot be given with the category "all"',
    );
  });

  it('expands comma lists in order', () => {
    expect(expandResourceTypes(RESOURCES, 'svc,po').map((r) => r.name)).toEqual(['services', 'pods']);
  });
});

describe('kinds', () => {
  it('finds the resource of a manifest', () => {
    expect(resourceForKind(RESOURCES, 'apps/v1', 'Deployment')?.name).toBe('deployments');
    expect(resourceForKind(RESOURCES, 'v1', 'Pod')?.name).toBe('pods');
    expect(resourceForKind(RESOURCES, 'apps/v1beta1', 'Deployment')).toBeUndefined();
  });

  it('names group resources as server errors do', () => {
    expect([groupResourceOf(RESOURCES[0]), groupResourceOf(RESOURCES[7])]).toEqual([
      'pods',
      'deployments.apps',
    ]);
  });
});
