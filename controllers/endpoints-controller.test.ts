import type { KubeObject } from '../apiserver/api-object.js';
import { ApiStatusError } from '../machinery/api-status-error.js';
import { IndexedStore } from '../machinery/indexed-store.js';
import {
  computeEndpointSubsets,
  EndpointsController,
  endpointsLabels,
  endpointsUpToDate,
  FAILED_TO_CREATE_ENDPOINT,
  HEADLESS_LABEL,
  resolveTargetPort,
} from './endpoints-controller.js';
import type {
  Endpoints,
  EndpointSubset,
  InformerLike,
  Pod,
  Service,
  ServicePort,
} from './endpoints-controller.js';

function service(
  ports: ServicePort[] = [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
  extra: Partial<NonNullable<Service['spec']>> = {},
): Service {
  return {
    metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } },
    spec: { selector: { app: 'web' }, ports, clusterIP: '10.0.0.10', ...extra },
  };
}

interface PodOptions {
  ip?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  namespace?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  phase?: string;
  terminating?: boolean;
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOptions = {}): Pod {
  return {
    metadata: {
      name,
      namespace: o.namespace ?? 'ns',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      ...(o.terminating ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: 'node-1',
      hostname: o.hostname,
      subdomain: o.subdomain,
      containers: [{ name: 'c', ports: o.ports ?? [{ name: 'http', containerPort: 8080 }] }],
    },
    status: {
      phase: o.phase ?? 'Running',
      podIP: o.ip === undefined ? `10.1.0.${name.replace(/\D/g, '') || '1'}` : o.ip,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

function address(name: string, ip: string, extra: Record<string, unknown> = {}) {
  return {
    ip,
    nodeName: 'node-1',
    targetRef: { kind: 'Pod' as const, namespace: 'ns', name, uid: `uid-${name}` },
    ...extra,
  };
}

const HTTP = { name: 'http', port: 8080, protocol: 'TCP' };

describe('computeEndpointSubsets', () => {
  it.each<{ name: string; service: Service; pods: Pod[]; want: EndpointSubset[] }>([
    {
      name: 'ready pods share one subset, sorted by IP',
      service: service(),
      pods: [pod('p2'), pod('p1')],
      want: [{ addresses: [address('p1', '10.1.0.1'), address('p2', '10.1.0.2')], ports: [HTTP] }],
    },
    {
      name: 'a pod that is not ready is listed under notReadyAddresses',
      service: service(),
      pods: [pod('p1'), pod('p2', { ready: false })],
      want: [
        {
          addresses: [address('p1', '10.1.0.1')],
          notReadyAddresses: [address('p2', '10.1.0.2')],
          ports: [HTTP],
        },
      ],
    },
    {
      name: 'publishNotReadyAddresses lists unready and terminating pods as ready',
      service: service(undefined, { publishNotReadyAddresses: true }),
      pods: [pod('p1', { ready: false }), pod('p2', { terminating: true })],
      want: [{ addresses: [address('p1', '10.1.0.1'), address('p2', '10.1.0.2')], ports: [HTTP] }],
    },
    {
      name: 'pods without an IP, terminal, terminating, unmatched or elsewhere are left out',
      service: service(),
      pods: [
        pod('p1'),
        pod('p2', { ip: '' }),
        pod('p3', { phase: 'Succeeded' }),
        pod('p4', { phase: 'Failed' }),
        pod('p5', { terminating: true }),
        pod('p6', { labels: { app: 'db' } }),
        pod('p7', { namespace: 'other' }),
      ],
      want: [{ addresses: [address('p1', '10.1.0.1')], ports: [HTTP] }],
    },
    {
      name: 'a named targetPort resolving to different numbers splits pods into subsets',
      service: service([{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }]),
      pods: [
        pod('p1', { ports: [{ name: 'web', containerPort: 8080 }] }),
        pod('p2', { ports: [{ name: 'web', containerPort: 9090 }] }),
        pod('p3', { ports: [{ name: 'web', containerPort: 8080 }] }),
      ],
      want: [
        { addresses: [address('p1', '10.1.0.1'), address('p3', '10.1.0.3')], ports: [HTTP] },
        { addresses: [address('p2', '10.1.0.2')], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] },
      ],
    },
    {
      name: 'a pod lacking the named port is left out of that port only (addresses may repeat across subsets)',
      service: service([
        { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' },
        { name: 'metrics', port: 9100, targetPort: 9100, protocol: 'TCP' },
      ]),
      pods: [pod('p1', { ports: [{ name: 'web', containerPort: 8080 }] }), pod('p2', { ports: [] })],
      want: [
        { addresses: [address('p1', '10.1.0.1')], ports: [HTTP] },
        {
          addresses: [address('p1', '10.1.0.1'), address('p2', '10.1.0.2')],
          ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }],
        },
      ],
    },
    {
      name: 'a named port with another protocol does not match',
      service: service([{ name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' }]),
      pods: [pod('p1', { ports: [{ name: 'dns', containerPort: 53, protocol: 'TCP' }] })],
      want: [],
    },
    {
      name: 'hostname is set only when the pod subdomain is the service',
      service: service(),
      pods: [
        pod('p1', { hostname: 'h1', subdomain: 'web' }),
        pod('p2', { hostname: 'h2', subdomain: 'other' }),
      ],
      want: [
        {
          addresses: [address('p1', '10.1.0.1', { hostname: 'h1' }), address('p2', '10.1.0.2')],
          ports: [HTTP],
        },
      ],
    },
    {
      name: 'a headless service without ports lists addresses with no ports',
      service: service([], { clusterIP: 'None' }),
      pods: [pod('p1')],
      want: [{ addresses: [address('p1', '10.1.0.1')] }],
    },
    {
      name: 'a non-headless service without ports lists nothing',
      service: service([]),
      pods: [pod('p1')],
      want: [],
    },
    {
      name: 'a service without a selector gets no computed subsets',
      service: { ...service(), spec: { ...service().spec, selector: undefined } },
      pods: [pod('p1')],
      want: [],
    },
    {
      name: 'ports without a name or targetPort use the service port and leave the name out',
      service: service([{ port: 8080 }]),
      pods: [pod('p1')],
      want: [{ addresses: [address('p1', '10.1.0.1')], ports: [{ port: 8080, protocol: 'TCP' }] }],
    },
  ])('$name', ({ service: svc, pods, want }) => {
    expect(computeEndpointSubsets(svc, pods)).toEqual(want);
  });

  it('gives the same result whatever order the pods come in', () => {
    const pods = [pod('p3', { ready: false }), pod('p1'), pod('p2')];
    const a = computeEndpointSubsets(service(), pods);
    const b = computeEndpointSubsets(service(), [...pods].reverse());
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('resolveTargetPort', () => {
  it.each<{ name: string; port: ServicePort; want: number | undefined }>([
    { name: 'a number is used as is', port: { port: 80, targetPort: 9000 }, want: 9000 },
    { name: 'a numeric string is a number', port: { port: 80, targetPort: '9001' }, want: 9001 },
    { name: 'no targetPort means the service port', port: { port: 81 }, want: 81 },
    { name: 'a name is looked up among container ports', port: { port: 80, targetPort: 'http' }, want: 8080 },
    { name: 'an unknown name resolves to nothing', port: { port: 80, targetPort: 'nope' }, want: undefined },
  ])('$name', ({ port, want }) => {
    expect(resolveTargetPort(pod('p1'), port)).toBe(want);
  });

  it('finds named ports on sidecar init containers but not on plain init containers', () => {
    const p = pod('p1', { ports: [] });
    p.spec!.initContainers = [
      { name: 'init', ports: [{ name: 'a', containerPort: 1 }] },
      { name: 'sidecar', restartPolicy: 'Always', ports: [{ name: 'b', containerPort: 2 }] },
    ];
    expect(resolveTargetPort(p, { port: 80, targetPort: 'a' })).toBeUndefined();
    expect(resolveTargetPort(p, { port: 80, targetPort: 'b' })).toBe(2);
  });
});

describe('endpointsLabels and endpointsUpToDate', () => {
  it('copies service labels and marks headless services', () => {
    expect(endpointsLabels(service())).toEqual({ app: 'web' });
    expect(endpointsLabels(service([], { clusterIP: 'None' }))).toEqual({ app: 'web', [HEADLESS_LABEL]: '' });
  });

  it.each<{ name: string; current: Endpoints; want: boolean }>([
    {
      name: 'the same subsets with keys in another order are up to date',
      current: {
        metadata: { name: 'web', labels: { app: 'web' } },
        subsets: [
          { ports: [{ protocol: 'TCP', port: 8080, name: 'http' }], addresses: [address('p1', '10.1.0.1')] },
        ],
      },
      want: true,
    },
    {
      name: 'different labels need a write',
      current: {
        metadata: { name: 'web', labels: { app: 'old' } },
        subsets: [{ addresses: [address('p1', '10.1.0.1')], ports: [HTTP] }],
      },
      want: false,
    },
    {
      name: 'a readiness change needs a write',
      current: {
        metadata: { name: 'web', labels: { app: 'web' } },
        subsets: [{ notReadyAddresses: [address('p1', '10.1.0.1')], ports: [HTTP] }],
      },
      want: false,
    },
  ])('$name', ({ current, want }) => {
    const subsets = computeEndpointSubsets(service(), [pod('p1')]);
    expect(endpointsUpToDate(current, subsets, { app: 'web' })).toBe(want);
  });

  it('treats absent and empty subsets alike', () => {
    expect(endpointsUpToDate({ metadata: { name: 'web' } }, [], {})).toBe(true);
    expect(endpointsUpToDate({ metadata: { name: 'web' }, subsets: [] }, [], {})).toBe(true);
  });
});

// --- sync against preloaded caches and a recording client -----------------------------------------

function fakeInformer<T extends KubeObject>(objects: T[] = []): InformerLike<T> & { store: IndexedStore<T> } {
  const store = new IndexedStore<T>();
  for (const obj of objects) store.upsert(structuredClone(obj));
  return { store, addEventHandler: () => () => undefined, waitForSync: async () => true };
}

interface Action {
  verb: string;
  kind: string;
  namespace?: string;
  object?: unknown;
  name?: string;
}

function fixture(objects: { services?: Service[]; pods?: Pod[]; endpoints?: Endpoints[] }, fail?: unknown) {
  const actions: Action[] = [];
  const events: string[] = [];
  const record = async (action: Action) => {
    actions.push(action);
    if (fail) throw fail;
    return { metadata: {} } as KubeObject;
  };
  const controller = new EndpointsController({
    client: {
      create: (_v, kind, namespace, object) => record({ verb: 'create', kind, namespace, object }) as never,
      update: (_v, kind, namespace, object) => record({ verb: 'update', kind, namespace, object }) as never,
      delete: (_v, kind, namespace, name) => record({ verb: 'delete', kind, namespace, name }),
    },
    services: fakeInformer(objects.services),
    pods: fakeInformer(objects.pods),
    endpoints: fakeInformer(objects.endpoints),
    recorder: { event: (_obj, _type, reason) => void events.push(reason) },
    log: () => undefined,
  });
  return { controller, actions, events };
}

describe('EndpointsController.sync', () => {
  it('creates the Endpoints of a new service', async () => {
    const f = fixture({ services: [service()], pods: [pod('p1')] });
    await f.controller.sync('ns/web');
    expect(f.actions).toEqual([
      {
        verb: 'create',
        kind: 'Endpoints',
        namespace: 'ns',
        object: {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } },
          subsets: [{ addresses: [address('p1', '10.1.0.1')], ports: [HTTP] }],
        },
      },
    ]);
  });

  it('does nothing when the stored Endpoints is already right', async () => {
    const current: Endpoints = {
      metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' }, resourceVersion: '5' },
      subsets: computeEndpointSubsets(service(), [pod('p1')]),
    };
    const f = fixture({ services: [service()], pods: [pod('p1')], endpoints: [current] });
    await f.controller.sync('ns/web');
    expect(f.actions).toEqual([]);
  });

  it('updates the stored Endpoints, keeping its resourceVersion, when a pod became unready', async () => {
    const current: Endpoints = {
      metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' }, resourceVersion: '5' },
      subsets: computeEndpointSubsets(service(), [pod('p1')]),
    };
    const f = fixture({ services: [service()], pods: [pod('p1', { ready: false })], endpoints: [current] });
    await f.controller.sync('ns/web');
    expect(f.actions).toHaveLength(1);
    expect(f.actions[0].verb).toBe('update');
    expect(f.actions[0].object).toMatchObject({
      metadata: { resourceVersion: '5' },
      subsets: [{ notReadyAddresses: [address('p1', '10.1.0.1')], ports: [HTTP] }],
    });
  });

  it('leaves services without a selector alone', async () => {
    const svc = service();
    delete svc.spec!.selector;
    const f = fixture({ services: [svc], pods: [pod('p1')] });
    await f.controller.sync('ns/web');
    expect(f.actions).toEqual([]);
  });

  it('deletes the Endpoints of a deleted service, but not a leader-election record', async () => {
    const f = fixture({});
    await f.controller.sync('ns/web');
    expect(f.actions).toEqual([{ verb: 'delete', kind: 'Endpoints', namespace: 'ns', name: 'web' }]);

    const leader: Endpoints = {
      metadata: {
        name: 'lock',
        namespace: 'ns',
        annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' },
      },
    };
    const g = fixture({ endpoints: [leader] });
    await g.controller.sync('ns/lock');
    expect(g.actions).toEqual([]);
  });

  it('records a warning and throws, so the key is retried, when the write fails', async () => {
    const f = fixture(
      { services: [service()], pods: [pod('p1')] },
      new ApiStatusError(500, 'InternalError', 'boom'),
    );
    await expect(f.controller.sync('ns/web')).rejects.toThrow('boom');
    expect(f.events).toEqual([FAILED_TO_CREATE_ENDPOINT]);
  });

  it('gives up quietly when the namespace is terminating', async () => {
    const forbidden = new ApiStatusError(
      403,
      'Forbidden',
      'endpoints "web" is forbidden: unable to create new content in namespace ns because it is being terminated',
    );
    const f = fixture({ services: [service()], pods: [pod('p1')] }, forbidden);
    await expect(f.controller.sync('ns/web')).resolves.toBeUndefined();
    expect(f.events).toEqual([]);
  });
});
