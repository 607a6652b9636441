import {
  LAST_APPLIED_ANNOTATION,
  createMergePatch,
  lastAppliedOf,
  threeWayJsonMergePatch,
  threeWayStrategicMergePatch,
  withLastApplied,
} from './three-way-patch.js';

type Json = Record<string, unknown>;

/** What `apply` computes when `next` is applied over `live`, whose last apply was of `previous`. */
function applyPatch(next: Json, live: Json, model = 'V1Deployment'): Json {
  const patch = threeWayStrategicMergePatch(lastAppliedOf(live), withLastApplied(next), live, model);
  // The annotation's content is checked separately; here only whether the patch carries it.
  const annotations = (patch.metadata as Json | undefined)?.annotations as Json | undefined;
  if (annotations?.[LAST_APPLIED_ANNOTATION]) annotations[LAST_APPLIED_ANNOTATION] = '...';
  return patch;
}

/** A live object as the server keeps it after `manifest` was applied, plus what the server and others add. */
function liveAfter(manifest: Json, extra: (live: Json) => void = () => undefined): Json {
  const live = structuredClone(withLastApplied(manifest));
  (live.metadata as Json).uid = 'u-1';
  (live.metadata as Json).resourceVersion = '7';
  (live.metadata as Json).creationTimestamp = '2024-01-01T00:00:00Z';
  extra(live);
  return live;
}

const service1 = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'svc1', namespace: 'default', labels: { app: 's', gone: 'yes' } },
  spec: {
    selector: { app: 's' },
    ports: [
      { name: 'http', port: 80, targetPort: 8080 },
      { name: 'https', port: 443, targetPort: 8443 },
    ],
  },
};
const service1Live = liveAfter(service1, (live) => {
  (live.metadata as Json).labels = { app: 's', gone: 'yes', owner: 'ops' };
  live.spec = {
    clusterIP: '10.101.250.53',
    clusterIPs: ['10.101.250.53'],
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
    ],
    selector: { app: 's' },
    sessionAffinity: 'None',
    type: 'ClusterIP',
  };
});

const deployment1 = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'multi',
    namespace: 'default',
    labels: { a: '1', b: '2' },
    finalizers: ['example.com/x', 'example.com/y'],
  },
  spec: {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    selector: { matchLabels: { app: 'multi' } },
    template: {
      metadata: { labels: { app: 'multi' } },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'busybox',
            args: ['x', 'y'],
            env: [
              { name: 'E1', value: '1' },
              { name: 'E2', value: '2' },
            ],
            ports: [{ containerPort: 80 }, { containerPort: 81 }],
          },
          { name: 'b', image: 'busybox' },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    },
  },
};
const deployment1Live = liveAfter(deployment1, (live) => {
  const spec = live.spec as Json;
  (spec.strategy as Json).rollingUpdate = { maxSurge: 1, maxUnavailable: '25%' };
  spec.revisionHistoryLimit = 10;
  spec.progressDeadlineSeconds = 600;
  const podSpec = (spec.template as Json).spec as Json;
  podSpec.restartPolicy = 'Always';
  for (const c of podSpec.containers as Json[]) {
    c.imagePullPolicy = 'Always';
    c.terminationMessagePath = '/dev/termination-log';
    for (const p of (c.ports as Json[] | undefined) ?? []) p.protocol = 'TCP';
  }
  live.status = { replicas: 1, observedGeneration: 1 };
});

const deployment2 = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'multi',
    namespace: 'default',
    labels: { a: '1', c: '3' },
    finalizers: ['example.com/y', 'example.com/z'],
  },
  spec: {
    replicas: 1,
    strategy: { type: 'Recreate' },
    selector: { matchLabels: { app: 'multi' } },
    template: {
      metadata: { labels: { app: 'multi' } },
      spec: {
        containers: [
          { name: 'c', image: 'busybox' },
          {
            name: 'a',
            image: 'busybox:2',
            args: ['y'],
            env: [
              { name: 'E2', value: '22' },
              { name: 'E3', value: '3' },
            ],
            ports: [{ containerPort: 81 }],
          },
        ],
        volumes: [{ name: 'v', hostPath: { path: '/tmp' } }],
      },
    },
  },
};

describe('threeWayStrategicMergePatch', () => {
  it.each<[string, Json, Json, string, Json]>([
    [
      're-applying the same manifest over server defaults and others’ labels',
      service1,
      service1Live,
      'V1Service',
      {},
    ],
    [
      // Captured from kubectl 1.32 applying the same change.
      'a removed label and a removed port, with a label someone else added',
      {
        ...service1,
        metadata: { ...service1.metadata, labels: { app: 's' } },
        spec: { selector: { app: 's' }, ports: [{ name: 'https', port: 443, targetPort: 9443 }] },
      },
      service1Live,
      'V1Service',
      {
        metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '...' }, labels: { gone: null } },
        spec: {
          $setElementOrder$ports: [{ port: 443 }],
          ports: [
            { port: 443, targetPort: 9443 },
            { $patch: 'delete', port: 80 },
          ],
        },
      },
    ],
    [
      // Captured from kubectl 1.32: merge keys, sets, retainKeys, element order and deletions at once.
      'reordered, changed and removed containers, env, ports, finalizers, strategy and volume source',
      deployment2,
      deployment1Live,
      'V1Deployment',
      {
        metadata: {
          $deleteFromPrimitiveList$finalizers: ['example.com/x'],
          $setElementOrder$finalizers: ['example.com/y', 'example.com/z'],
          annotations: { [LAST_APPLIED_ANNOTATION]: '...' },
          finalizers: ['example.com/z'],
          labels: { b: null, c: '3' },
        },
        spec: {
          strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' },
          template: {
            spec: {
              $setElementOrder$containers: [{ name: 'c' }, { name: 'a' }],
              $setElementOrder$volumes: [{ name: 'v' }],
              containers: [
                { image: 'busybox', name: 'c' },
                {
                  $setElementOrder$env: [{ name: 'E2' }, { name: 'E3' }],
                  $setElementOrder$ports: [{ containerPort: 81 }],
                  args: ['y'],
                  env: [
                    { name: 'E2', value: '22' },
                    { name: 'E3', value: '3' },
                    { $patch: 'delete', name: 'E1' },
                  ],
                  image: 'busybox:2',
                  name: 'a',
                  ports: [{ $patch: 'delete', containerPort: 80 }],
                },
                { $patch: 'delete', name: 'b' },
              ],
              volumes: [
                { $retainKeys: ['hostPath', 'name'], emptyDir: null, hostPath: { path: '/tmp' }, name: 'v' },
              ],
            },
          },
        },
      },
    ],
    [
      'a field someone else changed that the manifest sets is put back, one they added is kept',
      deployment1,
      liveAfter(deployment1, (live) => {
        (live.spec as Json).replicas = 5;
        (live.spec as Json).paused = true;
      }),
      'V1Deployment',
      { spec: { replicas: 1 } },
    ],
    [
      // As kubectl 1.32 does: a nested null is sent on every apply, a top-level one never.
      'explicit nulls in the manifest',
      {
        ...deployment1,
        metadata: { ...deployment1.metadata, creationTimestamp: null },
        status: null,
      },
      deployment1Live,
      'V1Deployment',
      { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '...' }, creationTimestamp: null } },
    ],
    [
      'without a last-applied annotation nothing is deleted',
      { ...service1, metadata: { ...service1.metadata, labels: { app: 's' } } },
      (() => {
        const live = structuredClone(service1Live);
        delete ((live.metadata as Json).annotations as Json)[LAST_APPLIED_ANNOTATION];
        return live;
      })(),
      'V1Service',
      { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '...' } } },
    ],
  ])('%s', (_name, next, live, model, expected) => {
    const renamed = JSON.parse(
      JSON.stringify(expected).replace(/\$(setElementOrder|deleteFromPrimitiveList)\$/g, '$$$1/'),
    );
    expect(applyPatch(next, live, model)).toEqual(renamed);
  });

  it('keeps upstream’s key order, so the patch is byte for byte what kubectl sends', () => {
    const patch = applyPatch(deployment2, deployment1Live);
    const containers = ((patch.spec as Json).template as Json).spec as Json;
    expect((containers.containers as Json[]).map((c) => c.name)).toEqual(['c', 'a', 'b']);
  });

  it('refuses a change of name, kind or apiVersion', () => {
    const renamed = { ...service1, metadata: { ...service1.metadata, name: 'other' } };
    expect(() =>
      threeWayStrategicMergePatch(
        lastAppliedOf(service1Live),
        withLastApplied(renamed),
        service1Live,
        'V1Service',
      ),
    ).toThrow('At least one of apiVersion, kind and name was changed');
  });
});

describe('threeWayJsonMergePatch', () => {
  const widget = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { size: 1, color: 'red' },
  };

  it.each<[string, Json, (live: Json) => void, Json]>([
    ['unchanged', widget, () => undefined, {}],
    [
      'a removed field is deleted, a field set by someone else kept, lists replaced whole',
      { ...widget, spec: { size: 2, tags: ['a'] } },
      (live) => ((live.spec as Json).owner = 'ops'),
      { spec: { color: null, size: 2, tags: ['a'] } },
    ],
  ])('%s', (_name, next, mutate, expected) => {
    const live = liveAfter(widget, mutate);
    const patch = threeWayJsonMergePatch(lastAppliedOf(live), withLastApplied(next), live);
    delete (patch.metadata as Json | undefined)?.annotations;
    if (patch.metadata && Object.keys(patch.metadata as Json).length === 0) delete patch.metadata;
    expect(patch).toEqual(expected);
  });
});

describe('createMergePatch', () => {
  it('diffs objects recursively and replaces lists', () => {
    expect(createMergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: 1, d: 3 }, l: [1, 2] })).toEqual({
      a: { c: null, d: 3 },
      l: [1, 2],
    });
  });
});

describe('withLastApplied', () => {
  it('stores the manifest as kubectl does: sorted keys, empty annotations, escaped HTML, newline', () => {
    const applied = withLastApplied({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'c', namespace: 'default' },
      data: { html: '<b>&</b>' },
    });
    expect((applied.metadata as Json).annotations).toEqual({
      [LAST_APPLIED_ANNOTATION]:
        '{"apiVersion":"v1","data":{"html":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"c","namespace":"default"}}\n',
    });
  });

  it('does not nest a previous annotation in the new one', () => {
    const once = withLastApplied({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    expect(withLastApplied(once)).toEqual(once);
    expect(lastAppliedOf(once)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { annotations: {}, name: 'c' },
    });
  });

  it('treats an unreadable annotation as none', () => {
    expect(
      lastAppliedOf({ metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '{oops' } } }),
    ).toBeUndefined();
  });
});
