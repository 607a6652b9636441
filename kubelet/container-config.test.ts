import {
  containerConfigFor,
  podDnsConfig,
  podHostname,
  portMappings,
  sandboxConfigFor,
} from './container-config.js';
import { makeContainer, makePod } from './testing/builders.js';

const DNS = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' };
const CLUSTER_FIRST = {
  servers: ['10.96.0.10'],
  searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
  options: ['ndots:5'],
};

function podWithSpec(spec: Record<string, unknown>) {
  const pod = makePod();
  Object.assign(pod.spec!, spec);
  return pod;
}

describe('podDnsConfig', () => {
  it.each([
    ['ClusterFirst by default', {}, CLUSTER_FIRST],
    ['Default leaves the host resolver', { dnsPolicy: 'Default' }, undefined],
    ['ClusterFirst on the host network falls back to Default', { hostNetwork: true }, undefined],
    [
      'ClusterFirstWithHostNet keeps cluster DNS on the host network',
      { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' },
      CLUSTER_FIRST,
    ],
    [
      'None takes only dnsConfig',
      {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1'],
          searches: ['example.com'],
          options: [{ name: 'ndots', value: '2' }],
        },
      },
      { servers: ['1.1.1.1'], searches: ['example.com'], options: ['ndots:2'] },
    ],
    [
      'dnsConfig adds to ClusterFirst, options by name',
      {
        dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] },
      },
      { ...CLUSTER_FIRST, servers: ['10.96.0.10', '1.1.1.1'], options: ['ndots:1', 'edns0'] },
    ],
  ])('%s', (_what, spec, expected) => {
    expect(podDnsConfig(podWithSpec(spec), DNS)).toEqual(expected);
  });

  it('falls back to the host resolver when no cluster DNS is configured', () => {
    expect(podDnsConfig(makePod(), { clusterDNS: [], clusterDomain: 'cluster.local' })).toBeUndefined();
  });

  it("searches the pod's own namespace first", () => {
    const pod = makePod({}, { namespace: 'shop' });
    expect(podDnsConfig(pod, DNS)?.searches[0]).toBe('shop.svc.cluster.local');
  });
});

describe('sandboxConfigFor', () => {
  it('takes hostname, namespaces sharing, host ports and aliases from the spec', () => {
    const pod = podWithSpec({
      hostname: 'db-0',
      shareProcessNamespace: true,
      hostAliases: [{ ip: '10.1.1.1', hostnames: ['legacy'] }],
      containers: [
        makeContainer('app', { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] }),
      ],
    });
    const config = sandboxConfigFor(pod, 2, DNS);
    expect(config).toMatchObject({
      pod: { uid: 'uid-1', name: 'web', namespace: 'default' },
      attempt: 2,
      hostname: 'db-0',
      shareProcessNamespace: true,
      hostNetwork: false,
      portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
      hostAliases: [{ ip: '10.1.1.1', hostnames: ['legacy'] }],
    });
  });

  it('cuts a long pod name to a valid hostname', () => {
    const pod = makePod({}, { name: `${'a'.repeat(62)}-bcd` });
    expect(podHostname(pod)).toBe('a'.repeat(62));
    expect(portMappings(makePod())).toEqual([]);
  });
});

describe('containerConfigFor', () => {
  it('expands $(VAR) in command and args, and sets user, resources and the definition hash', () => {
    const pod = podWithSpec({ securityContext: { runAsUser: 1000 } });
    const container = makeContainer('app', {
      command: ['sh', '-c'],
      args: ['echo $(GREETING) $(UNKNOWN)'],
      workingDir: '/srv',
      securityContext: { runAsGroup: 100 },
      resources: { limits: { cpu: '500m', memory: '64Mi' } },
    });
    const config = containerConfigFor(pod, container, {
      env: [{ name: 'GREETING', value: 'hi' }],
      mounts: [],
      restartCount: 3,
      machineMemoryBytes: 4 * 1024 ** 3,
    });
    expect(config).toMatchObject({
      name: 'app',
      image: 'busybox',
      command: ['sh', '-c'],
      args: ['echo hi $(UNKNOWN)'],
      workingDir: '/srv',
      user: '1000:100',
      restartCount: 3,
      resources: { cpuQuota: 50_000, memoryLimitBytes: 64 * 1024 * 1024 },
    });
    expect(config.hash).toMatch(/^[0-9a-f]{16}$/);
  });
});
