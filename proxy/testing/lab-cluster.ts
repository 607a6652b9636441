/**
 * The cluster both rule-based proxiers are tested with inside a netns lab (netns-lab.ts), and the
 * traffic checks their integration tests share: four services (a NodePort with an external IP, one
 * with ClientIP affinity, one without endpoints, a UDP one) backed by the lab's pods.
 *
 * `labSuite` names a test file's lab and skips its suites where one cannot be built (not root, no
 * iproute2). `sharedTrafficTests` registers `it`s; call it inside a describe whose beforeAll has
 * created the lab and synced `labClusterSnapshot(names.podIPs)`.
 */
import type { ProxySnapshot } from '../proxier.js';
import type { EndpointsInput, ServiceInput } from '../ruleset.js';
import {
  LAB_NODE_IP,
  LAB_NODE_IP_TOWARDS_CLIENT,
  answers,
  connect,
  labNames,
  netnsPrerequisitesMissing,
} from './netns-lab.js';
import type { LabNames } from './netns-lab.js';

export const LAB_EXTERNAL_IP = '192.168.77.50';
export const LAB_WEB_IP = '10.96.0.20';
export const LAB_STICKY_IP = '10.96.0.21';
export const LAB_EMPTY_IP = '10.96.0.30';
export const LAB_DNS_IP = '10.96.0.53';
export const LAB_WEB_NODE_PORT = 30080;
export const LAB_EMPTY_NODE_PORT = 30081;

function service(name: string, spec: NonNullable<ServiceInput['spec']>): ServiceInput {
  return { metadata: { namespace: 'default', name }, spec };
}

function endpointsOf(
  name: string,
  ips: readonly string[],
  ports: { name: string; port: number; protocol?: string }[],
): EndpointsInput {
  return {
    metadata: { namespace: 'default', name },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports }],
  };
}

export interface LabSuite {
  readonly names: LabNames;
  /** `describe`, or `describe.skip` (after a warning) where the lab cannot be built here. */
  readonly describeIfPossible: jest.Describe;
}

/** A lab's names for one test file, and whether its suites can run here. */
export function labSuite(prefix: string, what: string, alsoMissing?: () => string | undefined): LabSuite {
  const missing = netnsPrerequisitesMissing() ?? alsoMissing?.();
  if (missing) console.warn(`skipping ${what}: ${missing}`);
  return { names: labNames(prefix), describeIfPossible: missing ? describe.skip : describe };
}

/** The lab cluster with `web` backed by `webBackends` (default: every pod). */
export function labClusterSnapshot(
  podIPs: readonly string[],
  webBackends: readonly string[] = podIPs,
): ProxySnapshot {
  return {
    services: [
      service('web', {
        type: 'NodePort',
        clusterIP: LAB_WEB_IP,
        externalIPs: [LAB_EXTERNAL_IP],
        ports: [{ name: 'http', port: 80, nodePort: LAB_WEB_NODE_PORT }],
      }),
      service('sticky', {
        clusterIP: LAB_STICKY_IP,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        ports: [{ name: 'http', port: 80 }],
      }),
      service('empty', {
        type: 'NodePort',
        clusterIP: LAB_EMPTY_IP,
        ports: [{ port: 80, nodePort: LAB_EMPTY_NODE_PORT }],
      }),
      service('dns', { clusterIP: LAB_DNS_IP, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    ],
    endpoints: [
      endpointsOf('web', webBackends, [{ name: 'http', port: 8080 }]),
      endpointsOf('sticky', podIPs, [{ name: 'http', port: 8080 }]),
      endpointsOf('dns', podIPs, [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
      { metadata: { namespace: 'default', name: 'empty' }, subsets: [] },
    ],
  };
}

/** The traffic every rule-based mode must carry for the lab cluster, as `it`s. */
export function sharedTrafficTests(names: LabNames): void {
  const { nodeNs, clientNs } = names;
  const allPods = new Set(names.podIPs.map((_, i) => `pod${i}`));

  it.each([
    ['the node itself (output)', nodeNs],
    ['another namespace (prerouting)', clientNs],
  ])('reaches every backend through the cluster IP from %s', async (_, ns) => {
    expect(answers(await connect(ns, LAB_WEB_IP, 80, 30))).toEqual(allPods);
  });

  it.each([
    ['the node IP', nodeNs, LAB_NODE_IP],
    ['127.0.0.1', nodeNs, '127.0.0.1'],
    ['the node address facing another namespace', clientNs, LAB_NODE_IP_TOWARDS_CLIENT],
  ])('answers on the NodePort at %s', async (_, ns, address) => {
    const attempts = await connect(ns, address, LAB_WEB_NODE_PORT, 10);
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it('answers on the external IP', async () => {
    const attempts = await connect(nodeNs, LAB_EXTERNAL_IP, 80, 5);
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it('proxies UDP', async () => {
    const attempts = await connect(nodeNs, LAB_DNS_IP, 53, 10, 'udp');
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it.each([
    ['the cluster IP from the node', nodeNs, LAB_EMPTY_IP, 80],
    ['the cluster IP from another namespace', clientNs, LAB_EMPTY_IP, 80],
    ['the NodePort on the node IP', nodeNs, LAB_NODE_IP, LAB_EMPTY_NODE_PORT],
    ['the NodePort from another namespace', clientNs, LAB_NODE_IP_TOWARDS_CLIENT, LAB_EMPTY_NODE_PORT],
  ])('refuses a service without endpoints at once: %s', async (_, ns, address, port) => {
    const [attempt] = await connect(ns, address, port);
    expect(attempt.error).toBe('ECONNREFUSED');
    expect(attempt.ms).toBeLessThan(1000);
  });
}
