import type { ConfigMap, Container, Pod, Secret, Service } from './api-types.js';
import {
  ContainerConfigError,
  envVarsFromServices,
  expand,
  expandCommandAndArgs,
  makeEnvironmentVariables,
  mappingFor,
  podFieldValue,
  resourceFieldValue,
} from './container-env.js';
import type { EnvSources } from './container-env.js';
import { makeContainer, makePod } from './testing/builders.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const configMap: ConfigMap = {
  metadata: { name: 'settings', namespace: 'default' },
  data: { MODE: 'fast', 'bad key': 'x', level: '3' },
};
const secret: Secret = {
  metadata: { name: 'creds', namespace: 'default' },
  data: { password: b64('s3cret'), token: b64('t0k') },
};

function service(
  name: string,
  namespace: string,
  clusterIP: string,
  ports: { port: number; name?: string; protocol?: string }[],
): Service {
  return { metadata: { name, namespace }, spec: { clusterIP, ports } };
}

const services: Service[] = [
  service('kubernetes', 'default', '10.96.0.1', [{ port: 443, name: 'https' }]),
  service('redis-primary', 'default', '10.96.0.20', [{ port: 6379 }]),
  service('headless', 'default', 'None', [{ port: 80 }]),
  service('other-ns', 'shop', '10.96.0.30', [{ port: 80 }]),
];

function sources(extra: Partial<EnvSources> = {}): EnvSources {
  return {
    configMaps: new Map([['settings', configMap]]),
    secrets: new Map([['creds', secret]]),
    services: [],
    podIPs: ['172.17.0.5'],
    hostIPs: ['192.168.1.10'],
    nodeAllocatable: { cpu: '2', memory: '4Gi' },
    ...extra,
  };
}

function envOf(pod: Pod, container: Container, src = sources()): Record<string, string> {
  return Object.fromEntries(makeEnvironmentVariables(pod, container, src).env.map((e) => [e.name, e.value]));
}

describe('expand', () => {
  const mapping = mappingFor(
    new Map([
      ['A', 'alpha'],
      ['EMPTY', ''],
    ]),
    new Map([
      ['A', 'shadowed'],
      ['B', 'beta'],
    ]),
  );
  it.each([
    ['$(A)', 'alpha'],
    ['x-$(A)-$(B)-y', 'x-alpha-beta-y'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['a$b', 'a$b'],
    ['$(A', '$(A'],
    ['end$', 'end$'],
    ['$(EMPTY)x', 'x'],
    ['$()', '$()'],
  ])('%s → %s', (input, want) => {
    expect(expand(input, mapping)).toBe(want);
  });
});

describe('makeEnvironmentVariables', () => {
  it('keeps literal values and expands references to earlier variables only', () => {
    const container = makeContainer('app', {
      env: [
        { name: 'HOST', value: 'db' },
        { name: 'URL', value: 'postgres://$(HOST):$(PORT)/app' },
        { name: 'PORT', value: '5432' },
        { name: 'ESCAPED', value: '$$(HOST)' },
      ],
    });
    expect(envOf(makePod({ containers: [container] }), container)).toEqual({
      HOST: 'db',
      URL: 'postgres://db:$(PORT)/app',
      PORT: '5432',
      ESCAPED: '$(HOST)',
    });
  });

  it('reads ConfigMap and Secret keys, decoding secrets', () => {
    const container = makeContainer('app', {
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x', optional: true } } },
        { name: 'MAYBE_KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'absent', optional: true } } },
      ],
    });
    expect(envOf(makePod({ containers: [container] }), container)).toEqual({
      MODE: 'fast',
      PASSWORD: 's3cret',
    });
  });

  it.each<[string, NonNullable<Container['env']>[number]['valueFrom'], string]>([
    [
      'a missing ConfigMap',
      { configMapKeyRef: { name: 'absent', key: 'x' } },
      'configmap "absent" not found',
    ],
    ['a missing Secret', { secretKeyRef: { name: 'absent', key: 'x' } }, 'secret "absent" not found'],
    [
      'a missing ConfigMap key',
      { configMapKeyRef: { name: 'settings', key: 'nope' } },
      "couldn't find key nope in ConfigMap default/settings",
    ],
    [
      'a missing Secret key',
      { secretKeyRef: { name: 'creds', key: 'nope' } },
      "couldn't find key nope in Secret default/creds",
    ],
  ])('fails with CreateContainerConfigError on %s', (_name, valueFrom, message) => {
    const container = makeContainer('app', { env: [{ name: 'X', valueFrom }] });
    const attempt = () =>
      makeEnvironmentVariables(makePod({ containers: [container] }), container, sources());
    expect(attempt).toThrow(ContainerConfigError);
    expect(attempt).toThrow(message);
  });

  it('imports whole ConfigMaps and Secrets with envFrom, env winning, invalid names skipped with a warning', () => {
    const container = makeContainer('app', {
      envFrom: [
        { configMapRef: { name: 'settings' } },
        { secretRef: { name: 'creds' }, prefix: 'DB_' },
        { configMapRef: { name: 'absent', optional: true } },
      ],
      env: [{ name: 'MODE', value: 'slow-$(level)' }],
    });
    const result = makeEnvironmentVariables(makePod({ containers: [container] }), container, sources());
    expect(result.env).toEqual([
      { name: 'MODE', value: 'slow-3' },
      { name: 'level', value: '3' },
      { name: 'DB_password', value: 's3cret' },
      { name: 'DB_token', value: 't0k' },
    ]);
    expect(result.warnings).toEqual([
      'Keys [bad key] from the EnvFrom configMap default/settings were skipped since they are considered invalid environment variable names.',
    ]);
  });

  it('fills downward-API fields of the pod', () => {
    const container = makeContainer('app', {
      env: [
        'metadata.name',
        'metadata.namespace',
        'metadata.uid',
        'spec.nodeName',
        'status.podIP',
        'status.hostIP',
        "metadata.labels['app']",
      ].map((fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } })),
    });
    const pod = makePod({ containers: [container] }, { labels: { app: 'web', tier: 'front' } });
    pod.spec!.nodeName = 'node-1';
    expect(Object.values(envOf(pod, container))).toEqual([
      'web',
      'default',
      'uid-1',
      'node-1',
      '172.17.0.5',
      '192.168.1.10',
      'web',
    ]);
    expect(podFieldValue('metadata.labels', pod, {})).toBe('app="web"\ntier="front"');
    expect(() => podFieldValue('spec.containers', pod, {})).toThrow('unsupported fieldPath: spec.containers');
  });

  it.each<[string, { resource: string; divisor?: string; containerName?: string }, string]>([
    ['limits.cpu rounds up to whole cores', { resource: 'limits.cpu' }, '1'],
    ['limits.cpu in millicores', { resource: 'limits.cpu', divisor: '1m' }, '250'],
    ['requests.memory in Mi', { resource: 'requests.memory', divisor: '1Mi' }, '32'],
    ['an unset memory limit is the node allocatable', { resource: 'limits.memory', divisor: '1Gi' }, '4'],
    [
      'another container by name',
      { resource: 'limits.cpu', divisor: '1m', containerName: 'sidecar' },
      '2000',
    ],
  ])('resourceFieldRef: %s', (_name, ref, want) => {
    const app = makeContainer('app', {
      resources: { limits: { cpu: '250m' }, requests: { cpu: '250m', memory: '32Mi' } },
    });
    const pod = makePod({ containers: [app, makeContainer('sidecar')] });
    expect(resourceFieldValue(ref, pod, app, { cpu: '2', memory: '4Gi' })).toBe(want);
  });

  it('adds service variables of the pod namespace and the kubernetes service, without overriding env', () => {
    const container = makeContainer('app', {
      env: [
        { name: 'REDIS_PRIMARY_SERVICE_PORT', value: 'mine' },
        { name: 'API', value: '$(KUBERNETES_SERVICE_HOST)' },
      ],
    });
    const env = envOf(makePod({ containers: [container] }), container, sources({ services }));
    expect(env).toMatchObject({
      API: '10.96.0.1',
      REDIS_PRIMARY_SERVICE_PORT: 'mine',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.20',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.20:6379',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
    });
    expect(Object.keys(env).filter((k) => k.startsWith('HEADLESS') || k.startsWith('OTHER_NS'))).toEqual([]);
  });

  it('with enableServiceLinks false still sees the kubernetes service', () => {
    const container = makeContainer('app');
    const pod = makePod({ containers: [container] }, { namespace: 'default' });
    pod.spec!.enableServiceLinks = false;
    expect(Object.keys(envOf(pod, container, sources({ services }))).sort()).toEqual([
      'KUBERNETES_PORT',
      'KUBERNETES_PORT_443_TCP',
      'KUBERNETES_PORT_443_TCP_ADDR',
      'KUBERNETES_PORT_443_TCP_PORT',
      'KUBERNETES_PORT_443_TCP_PROTO',
      'KUBERNETES_SERVICE_HOST',
      'KUBERNETES_SERVICE_PORT',
      'KUBERNETES_SERVICE_PORT_HTTPS',
    ]);
  });
});

describe('envVarsFromServices', () => {
  it('names every port as Docker links did', () => {
    const svc = service('web-api', 'default', '10.96.0.40', [
      { port: 80, name: 'http' },
      { port: 53, name: 'dns-udp', protocol: 'UDP' },
    ]);
    expect(envVarsFromServices([svc])).toEqual([
      { name: 'WEB_API_SERVICE_HOST', value: '10.96.0.40' },
      { name: 'WEB_API_SERVICE_PORT', value: '80' },
      { name: 'WEB_API_SERVICE_PORT_HTTP', value: '80' },
      { name: 'WEB_API_SERVICE_PORT_DNS_UDP', value: '53' },
      { name: 'WEB_API_PORT', value: 'tcp://10.96.0.40:80' },
      { name: 'WEB_API_PORT_80_TCP', value: 'tcp://10.96.0.40:80' },
      { name: 'WEB_API_PORT_80_TCP_PROTO', value: 'tcp' },
      { name: 'WEB_API_PORT_80_TCP_PORT', value: '80' },
      { name: 'WEB_API_PORT_80_TCP_ADDR', value: '10.96.0.40' },
      { name: 'WEB_API_PORT_53_UDP', value: 'udp://10.96.0.40:53' },
      { name: 'WEB_API_PORT_53_UDP_PROTO', value: 'udp' },
      { name: 'WEB_API_PORT_53_UDP_PORT', value: '53' },
      { name: 'WEB_API_PORT_53_UDP_ADDR', value: '10.96.0.40' },
    ]);
  });
});

describe('expandCommandAndArgs', () => {
  it('expands references to the final environment and leaves absent fields absent', () => {
    const env = [{ name: 'GREETING', value: 'hi' }];
    expect(
      expandCommandAndArgs({ command: ['echo', '$(GREETING)'], args: ['$(NOPE)', '$$(GREETING)'] }, env),
    ).toEqual({
      command: ['echo', 'hi'],
      args: ['$(NOPE)', '$(GREETING)'],
    });
    expect(expandCommandAndArgs({ args: [] }, env)).toEqual({ command: undefined, args: undefined });
  });
});
