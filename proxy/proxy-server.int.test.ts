/**
 * The wired proxy against a real API server, its iptables runner bound to a private network
 * namespace (testing/netns-lab.ts): Services and Endpoints written through the API become rules,
 * traffic from the lab's namespaces goes where they say, and restarts and --cleanup behave.
 * Nothing here reads or writes the host namespace's rules.
 */
import os from 'node:os';
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { proxyCommand } from '../cli/commands/proxy.js';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { startProxy } from './proxy-server.js';
import type { ProxySyncReport, RunningProxy } from './proxy-server.js';
import type { IptablesRunner } from './iptables.js';
import { labSuite } from './testing/lab-cluster.js';
import { LAB_NODE_IP, answers, connect, createNetnsLab, inNs, probe } from './testing/netns-lab.js';
import type { NetnsLab } from './testing/netns-lab.js';

const { names: NAMES, describeIfPossible } = labSuite(
  'kubicle-proxysrv-test',
  'proxy server integration test',
);
const NODE_NS = NAMES.nodeNs;
const CLIENT_NS = NAMES.clientNs;
const POD_IPS = [...NAMES.podIPs];
const PODS = new Set(['pod0', 'pod1', 'pod2']);

type ServiceView = KubeObject & {
  spec: { clusterIP: string; ports: { port: number; nodePort?: number }[] };
  status?: { loadBalancer?: { ingress?: { ip: string }[] } };
};

function endpoints(name: string, ips: readonly string[]) {
  return {
    metadata: { name },
    subsets: ips.length
      ? [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080 }] }]
      : [],
  };
}

describeIfPossible('kubicle proxy against the API server, in a private network namespace', () => {
  let lab: NetnsLab | undefined;
  let api: TestApiServer;
  let client: ApiClient;
  let kubeConfig: KubeConfig;
  let stopFirst: AbortController;
  let first: RunningProxy;
  const stopSecond = new AbortController();
  let second: RunningProxy | undefined;
  const secondReports: ProxySyncReport[] = [];
  const logs: string[] = [];

  const start = (signal: AbortSignal, onSync: (r: ProxySyncReport) => void, syncPeriodMs?: number) =>
    startProxy({
      kubeConfig,
      nodeName: 'node-1',
      netns: NODE_NS,
      syncPeriodMs,
      signal,
      log: (line) => logs.push(line),
      onSync,
    });

  /** The proxy's nftables table inside the lab, or '' when there is none. */
  const nftTable = () => inNs(NODE_NS, 'nft', 'list', 'table', 'ip', 'kubicle').catch(() => '');

  beforeAll(async () => {
    lab = await createNetnsLab(NAMES);
    api = await startTestApiServer();
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.kubeconfig);
    client = clientFor(kubeConfig);
    await client.create('v1', 'Node', undefined, {
      metadata: { name: 'node-1' },
      status: { addresses: [{ type: 'InternalIP', address: LAB_NODE_IP }] },
    });
    // The status subresource is where node addresses live; the create may have dropped them.
    const node = await client.get('v1', 'Node', undefined, 'node-1');
    await client.updateStatus('v1', 'Node', undefined, {
      ...node,
      status: { addresses: [{ type: 'InternalIP', address: LAB_NODE_IP }] },
    });
    stopFirst = new AbortController();
    first = await start(stopFirst.signal, () => undefined);
    expect(await first.firstSync).toBe(true);
  });

  afterAll(async () => {
    stopFirst?.abort();
    stopSecond.abort();
    await first?.stopped;
    await second?.stopped;
    await api?.close();
    await lab?.destroy();
  });

  it('runs in nftables mode by default where iptables is the nf_tables variant, and says why', async () => {
    const variant = await inNs(NODE_NS, 'iptables', '--version');
    if (!variant.includes('nf_tables')) return;
    expect(first.mode).toBe('nftables');
    expect(first.iptablesBackend).toBeUndefined();
    expect(logs.join('\n')).toMatch(/proxy mode nftables: the system iptables is the nf_tables variant/);
  });

  it('makes a Service created with its Endpoints answer on the cluster IP within 2 s', async () => {
    const web = await client.create<ServiceView>('v1', 'Service', 'default', {
      metadata: { name: 'web' },
      spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const probing = probe(NODE_NS, web.spec.clusterIP, 80, { durationMs: 3000 });
    await probing.started;
    const created = Date.now();
    await client.create('v1', 'Endpoints', 'default', endpoints('web', POD_IPS));
    const attempts = await probing.attempts;
    const firstAnswer = attempts.find((a) => a.answer?.startsWith('pod'));
    expect(attempts[0].answer).toBeUndefined();
    expect(firstAnswer).toBeDefined();
    expect(firstAnswer!.at + firstAnswer!.ms - created).toBeLessThan(2000);
    expect(answers(await connect(CLIENT_NS, web.spec.clusterIP, 80, 30))).toEqual(PODS);
  });

  it('answers on the NodePort at the node IP from the Node object and at 127.0.0.1', async () => {
    const web = await client.get<ServiceView>('v1', 'Service', 'default', 'web');
    const nodePort = web.spec.ports[0].nodePort!;
    for (const [ns, address] of [
      [CLIENT_NS, LAB_NODE_IP],
      [NODE_NS, LAB_NODE_IP],
      [NODE_NS, '127.0.0.1'],
    ]) {
      const attempts = await connect(ns, address, nodePort, 5);
      expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
    }
  });

  it('takes a removed endpoint out of rotation within 2 s of the Endpoints change', async () => {
    const web = await client.get<ServiceView>('v1', 'Service', 'default', 'web');
    const current = await client.get('v1', 'Endpoints', 'default', 'web');
    const probing = probe(NODE_NS, web.spec.clusterIP, 80, { durationMs: 3500, timeoutMs: 500 });
    await probing.started;
    // Long enough for the removed endpoints to be seen answering before the change.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const changed = Date.now();
    await client.update('v1', 'Endpoints', 'default', { ...current, ...endpoints('web', [POD_IPS[1]]) });
    const attempts = await probing.attempts;
    const lastRemoved = Math.max(...attempts.filter((a) => a.answer !== 'pod1').map((a) => a.at));
    expect(lastRemoved).toBeGreaterThan(0);
    expect(lastRemoved - changed).toBeLessThan(2000);
    const after = attempts.filter((a) => a.at > lastRemoved);
    expect(after.length).toBeGreaterThan(10);
    expect(answers(after)).toEqual(new Set(['pod1']));
  });

  it('refuses a service without endpoints at once', async () => {
    const empty = await client.create<ServiceView>('v1', 'Service', 'default', {
      metadata: { name: 'empty' },
      spec: { ports: [{ port: 80 }] },
    });
    await waitFor(
      async () =>
        (await connect(NODE_NS, empty.spec.clusterIP, 80, 1, 'tcp', 300))[0].error === 'ECONNREFUSED',
      {
        timeoutMs: 3000,
        what: 'the REJECT rule',
      },
    );
    for (const ns of [NODE_NS, CLIENT_NS]) {
      const [attempt] = await connect(ns, empty.spec.clusterIP, 80);
      expect(attempt.error).toBe('ECONNREFUSED');
      expect(attempt.ms).toBeLessThan(1000);
    }
  });

  it('gives a LoadBalancer service the node address as ingress, and carries traffic for it', async () => {
    await client.create('v1', 'Service', 'default', {
      metadata: { name: 'front' },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 8081, targetPort: 8080 }] },
    });
    await client.create('v1', 'Endpoints', 'default', endpoints('front', POD_IPS));
    const front = await waitFor(
      async () => {
        const svc = await client.get<ServiceView>('v1', 'Service', 'default', 'front');
        return svc.status?.loadBalancer?.ingress?.length ? svc : undefined;
      },
      { timeoutMs: 5000, what: 'the load balancer ingress' },
    );
    expect(front.status!.loadBalancer!.ingress).toEqual([{ ip: LAB_NODE_IP }]);
    await waitFor(
      async () => (await connect(CLIENT_NS, LAB_NODE_IP, 8081, 1, 'tcp', 300))[0].answer?.startsWith('pod'),
      {
        timeoutMs: 3000,
        what: 'the load balancer IP to answer',
      },
    );
  });

  it('keeps the rules while the proxy restarts: not one connection fails', async () => {
    const web = await client.get<ServiceView>('v1', 'Service', 'default', 'web');
    stopFirst.abort();
    await first.stopped;
    // Stopped proxy, rules still there.
    expect((await connect(NODE_NS, web.spec.clusterIP, 80, 3)).every((a) => a.answer === 'pod1')).toBe(true);

    const probing = probe(CLIENT_NS, web.spec.clusterIP, 80, {
      durationMs: 1500,
      timeoutMs: 1000,
      pauseMs: 2,
    });
    await probing.started;
    // A short resync period, for the repair test that follows with this proxy.
    second = await start(stopSecond.signal, (r) => secondReports.push(r), 1500);
    expect(await second.firstSync).toBe(true);
    const firstSyncDone = Date.now();
    const attempts = await probing.attempts;

    expect(secondReports[0].full).toBe(true);
    // The new proxy rewrote every rule while the probe ran, and before it, and after.
    expect(attempts.filter((a) => a.at < secondReports[0].startedAt).length).toBeGreaterThan(10);
    expect(attempts.filter((a) => a.at > firstSyncDone).length).toBeGreaterThan(10);
    expect(attempts.filter((a) => a.answer !== 'pod1')).toEqual([]);
  });

  it('repairs rules removed behind its back at the periodic full sync', async () => {
    const web = await client.get<ServiceView>('v1', 'Service', 'default', 'web');
    const flushed = Date.now();
    // Flushed and read back in one go, before the next resync can put the rules back.
    const flush =
      first.mode === 'nftables'
        ? 'nft flush chain ip kubicle services && nft list chain ip kubicle services'
        : `${first.iptablesBackend === 'legacy' ? 'iptables-legacy' : 'iptables'} -t nat -F KUBE-SERVICES && ` +
          `${first.iptablesBackend === 'legacy' ? 'iptables-legacy' : 'iptables'}-save -t nat`;
    const afterFlush = await inNs(NODE_NS, 'sh', '-c', flush);
    expect(afterFlush).not.toMatch(/^-A KUBE-SERVICES |vmap @service-ips/m);
    await waitFor(
      async () => (await connect(NODE_NS, web.spec.clusterIP, 80, 1, 'tcp', 300))[0].answer === 'pod1',
      { timeoutMs: 6000, what: 'the rules to come back' },
    );
    // Only a full sync rewrites a chain that nothing told the proxy about.
    expect(secondReports.some((r) => r.full && r.startedAt + r.durationMs >= flushed)).toBe(true);
    stopSecond.abort();
    await second?.stopped;
  });

  it('switching modes removes the rules of the mode it leaves, and traffic keeps flowing', async () => {
    const web = await client.get<ServiceView>('v1', 'Service', 'default', 'web');
    const run = async (mode: 'iptables' | 'nftables') => {
      const stop = new AbortController();
      const proxy = await startProxy({
        kubeConfig,
        nodeName: 'node-1',
        netns: NODE_NS,
        mode,
        signal: stop.signal,
      });
      try {
        expect(await proxy.firstSync).toBe(true);
        expect((await connect(NODE_NS, web.spec.clusterIP, 80, 3)).every((a) => a.answer === 'pod1')).toBe(
          true,
        );
      } finally {
        stop.abort();
        await proxy.stopped;
      }
      return proxy;
    };
    // With the FORWARD policy Docker sets, the nftables mode keeps its forward companion in iptables.
    await inNs(NODE_NS, 'iptables', '-P', 'FORWARD', 'DROP');
    const companion = async () =>
      (await inNs(NODE_NS, 'iptables-save', '-t', 'filter')).includes('KUBICLE-FORWARD');
    const iptablesRun = await run('iptables');
    const saveBinary = iptablesRun.iptablesBackend === 'legacy' ? 'iptables-legacy-save' : 'iptables-save';
    expect(await nftTable()).toBe('');
    expect(await inNs(NODE_NS, saveBinary, '-t', 'nat')).toContain('KUBE-SERVICES');
    await run('nftables');
    expect(await nftTable()).toContain('service-ips');
    expect(await inNs(NODE_NS, saveBinary, '-t', 'nat')).not.toContain('KUBE-');
    expect(await companion()).toBe(true);
    await run('iptables');
    expect(await companion()).toBe(false);
    await run('nftables');
    expect(await companion()).toBe(true);
  });

  it('--cleanup leaves no trace in nftables or either iptables backend', async () => {
    const printed: string[] = [];
    const print = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      await proxyCommand.run(['--cleanup', '--netns', NODE_NS]);
    } finally {
      console.log = print;
    }
    expect(printed.join('\n')).toMatch(
      first.mode === 'nftables'
        ? /removed the proxy rules from nftables/
        : /removed the proxy rules from the (legacy|nft) iptables tables/,
    );
    for (const binary of ['iptables-legacy-save', 'iptables-nft-save']) {
      for (const table of ['nat', 'filter']) {
        const text = await inNs(NODE_NS, binary, '-t', table).catch(() => '');
        expect(text).not.toContain('KUBE-');
      }
    }
    const web = await client.get<ServiceView>('v1', 'Service', 'default', 'web');
    expect((await connect(NODE_NS, web.spec.clusterIP, 80, 1, 'tcp', 300))[0].answer).toBeUndefined();
    expect(await nftTable()).toBe('');
    expect(await inNs(NODE_NS, 'iptables-save', '-t', 'filter')).not.toContain('KUBICLE-FORWARD');
    await inNs(NODE_NS, 'iptables', '-P', 'FORWARD', 'ACCEPT');
  });
});

describe('kubicle proxy without usable iptables', () => {
  let api: TestApiServer;
  let client: ApiClient;
  let kubeConfig: KubeConfig;
  const unusable: IptablesRunner = {
    save: async () => {
      throw new Error('iptables: Permission denied (you must be root)');
    },
    restore: async () => {
      throw new Error('unreachable');
    },
    setSysctl: async () => undefined,
  };

  beforeAll(async () => {
    api = await startTestApiServer();
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(api.kubeconfig);
    client = clientFor(kubeConfig);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('refuses to start when iptables mode is asked for', async () => {
    const stop = new AbortController();
    await expect(
      startProxy({
        kubeConfig,
        nodeName: 'n',
        mode: 'iptables',
        iptables: unusable,
        signal: stop.signal,
        log: () => undefined,
      }),
    ).rejects.toThrow(/iptables mode was asked for but iptables cannot be used/);
  });

  it('falls back to the userspace proxy with a clear log line, and serves NodePorts', async () => {
    // Endpoints may not be loopback addresses: the backend listens on one of the host's own.
    const hostIP = Object.values(os.networkInterfaces())
      .flatMap((a) => a ?? [])
      .find((a) => a.family === 'IPv4' && !a.internal)?.address;
    const backend = net.createServer((s) => s.end('backend\n'));
    await new Promise<void>((resolve) => backend.listen(0, '0.0.0.0', resolve));
    const backendPort = (backend.address() as net.AddressInfo).port;
    const svc = await client.create<ServiceView>('v1', 'Service', 'default', {
      metadata: { name: 'web' },
      spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: backendPort }] },
    });
    if (hostIP) {
      await client.create('v1', 'Endpoints', 'default', {
        metadata: { name: 'web' },
        subsets: [{ addresses: [{ ip: hostIP }], ports: [{ name: 'http', port: backendPort }] }],
      });
    }
    const logs: string[] = [];
    const stop = new AbortController();
    const proxy = await startProxy({
      kubeConfig,
      nodeName: 'n',
      nodeIPs: ['127.0.0.1'],
      iptables: unusable,
      signal: stop.signal,
      log: (line) => logs.push(line),
    });
    try {
      expect(proxy.mode).toBe('userspace');
      expect(logs.join('\n')).toMatch(
        /iptables cannot be used here \(iptables: Permission denied.*falling back to the userspace proxy/,
      );
      expect(await proxy.firstSync).toBe(true);
      if (hostIP) {
        const reply = await new Promise<string>((resolve) => {
          let data = '';
          const socket = net.connect({ host: '127.0.0.1', port: svc.spec.ports[0].nodePort! });
          socket.on('data', (d) => (data += d));
          socket.on('end', () => resolve(data.trim()));
          socket.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        });
        expect(reply).toBe('backend');
      }
    } finally {
      stop.abort();
      await proxy.stopped;
      await new Promise((resolve) => backend.close(resolve));
    }
  });
});
