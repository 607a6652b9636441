/**
 * The proxy against real netfilter, inside network namespaces this test creates and always deletes:
 *
 *   client netns (10.245.0.2) ── veth ── node netns ── bridge kbr0 (10.244.0.1/24) ── veth ── pod0..pod2 netns
 *                                         node IP 192.168.77.2 (also on kbr0)          10.244.0.10..12
 *
 * Each pod runs a tiny TCP and UDP server answering with its name. The proxier's iptables runner
 * is bound to the node namespace, so nothing here reads or writes the host's own rules.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Iptables, IptablesError, runCommand } from './iptables.js';
import { Proxier } from './proxier.js';
import type { ProxySnapshot } from './proxier.js';
import { BUILTIN_JUMPS, parseIptablesSave } from './ruleset.js';
import type { EndpointsInput, ServiceInput } from './ruleset.js';

const NODE_NS = `kubicle-proxy-test-${randomBytes(3).toString('hex')}`;
const POD_NS = [0, 1, 2].map((i) => `${NODE_NS}-p${i}`);
const CLIENT_NS = `${NODE_NS}-c`;
const POD_IPS = ['10.244.0.10', '10.244.0.11', '10.244.0.12'];
const NODE_IP = '192.168.77.2';
const EXTERNAL_IP = '192.168.77.50';
const NODE_IP_TOWARDS_CLIENT = '10.245.0.1';

const WEB_IP = '10.96.0.20';
const STICKY_IP = '10.96.0.21';
const EMPTY_IP = '10.96.0.30';
const DNS_IP = '10.96.0.53';
const WEB_NODE_PORT = 30080;
const EMPTY_NODE_PORT = 30081;

function prerequisitesMissing(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces and iptables need it)';
  for (const [binary, args, pkg] of [
    ['ip', ['-V'], 'iproute2'],
    ['iptables-restore', ['--version'], 'iptables'],
  ] as const) {
    if (spawnSync(binary, [...args]).status !== 0) return `${binary} missing (Debian package ${pkg})`;
  }
  return undefined;
}

const missing = prerequisitesMissing();
if (missing) console.warn(`skipping proxier integration test: ${missing}`);
const describeIfPossible = missing ? describe.skip : describe;

async function run(...argv: string[]): Promise<string> {
  const result = await runCommand(argv);
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

const inNs = (ns: string, ...argv: string[]) => run('ip', 'netns', 'exec', ns, ...argv);

const SERVER = `
const net = require('net'), dgram = require('dgram');
const name = process.argv[1];
let listening = 0;
const ready = () => { if (++listening === 2) console.log('ready'); };
net.createServer((s) => { s.on('error', () => {}); s.end(name + '\\n'); }).listen(8080, '0.0.0.0', ready);
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(name + '\\n', r.port, r.address));
udp.bind(5353, '0.0.0.0', ready);
`;

interface Attempt {
  readonly answer?: string;
  readonly error?: string;
  readonly ms: number;
}

// Connects `count` times in a row, each on a fresh source port, and reports what each one got.
const CLIENT = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, count] = process.argv.slice(1);
function tcp() {
  return new Promise((resolve) => {
    const start = Date.now();
    let data = '';
    const s = net.connect({ host, port: Number(port) });
    s.setTimeout(3000, () => { s.destroy(); resolve({ error: 'TIMEOUT', ms: Date.now() - start }); });
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve({ answer: data.trim(), ms: Date.now() - start }));
    s.on('error', (e) => resolve({ error: e.code, ms: Date.now() - start }));
  });
}
function udp() {
  return new Promise((resolve) => {
    const start = Date.now();
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve({ error: 'TIMEOUT', ms: Date.now() - start }); }, 3000);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve({ answer: String(m).trim(), ms: Date.now() - start }); });
    s.on('error', (e) => { clearTimeout(timer); s.close(); resolve({ error: e.code, ms: Date.now() - start }); });
    s.send('?', Number(port), host);
  });
}
(async () => {
  const results = [];
  for (let i = 0; i < Number(count); i++) results.push(await (proto === 'udp' ? udp() : tcp()));
  console.log(JSON.stringify(results));
})();
`;

async function connect(ns: string, host: string, port: number, count = 1, proto = 'tcp'): Promise<Attempt[]> {
  return JSON.parse(
    await inNs(ns, process.execPath, '-e', CLIENT, proto, host, `${port}`, `${count}`),
  ) as Attempt[];
}

const answers = (attempts: Attempt[]) => new Set(attempts.map((a) => a.answer ?? `error ${a.error}`));

function service(name: string, spec: NonNullable<ServiceInput['spec']>): ServiceInput {
  return { metadata: { namespace: 'default', name }, spec };
}

function endpointsOf(
  name: string,
  ips: string[],
  ports: { name: string; port: number; protocol?: string }[],
) {
  return {
    metadata: { namespace: 'default', name },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports }],
  } satisfies EndpointsInput;
}

function clusterSnapshot(webBackends: string[]): ProxySnapshot {
  return {
    services: [
      service('web', {
        type: 'NodePort',
        clusterIP: WEB_IP,
        externalIPs: [EXTERNAL_IP],
        ports: [{ name: 'http', port: 80, nodePort: WEB_NODE_PORT }],
      }),
      service('sticky', {
        clusterIP: STICKY_IP,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        ports: [{ name: 'http', port: 80 }],
      }),
      service('empty', {
        type: 'NodePort',
        clusterIP: EMPTY_IP,
        ports: [{ port: 80, nodePort: EMPTY_NODE_PORT }],
      }),
      service('dns', { clusterIP: DNS_IP, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    ],
    endpoints: [
      endpointsOf('web', webBackends, [{ name: 'http', port: 8080 }]),
      endpointsOf('sticky', POD_IPS, [{ name: 'http', port: 8080 }]),
      endpointsOf('dns', POD_IPS, [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
      { metadata: { namespace: 'default', name: 'empty' }, subsets: [] },
    ],
  };
}

describeIfPossible('Proxier on real iptables in private network namespaces', () => {
  const servers: ChildProcess[] = [];
  const iptables = new Iptables({ netns: NODE_NS });
  const proxier = new Proxier(iptables);

  async function startServer(ns: string, name: string): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, name], { stdio: 'pipe' });
    servers.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`server ${name} exited with ${code}`)));
    });
  }

  beforeAll(async () => {
    await run('ip', 'netns', 'add', NODE_NS);
    await inNs(NODE_NS, 'ip', 'link', 'set', 'lo', 'up');
    await inNs(NODE_NS, 'ip', 'link', 'add', 'kbr0', 'type', 'bridge');
    await inNs(NODE_NS, 'ip', 'addr', 'add', '10.244.0.1/24', 'dev', 'kbr0');
    // The node's own address; on the bridge because the dummy driver may not be available.
    await inNs(NODE_NS, 'ip', 'addr', 'add', `${NODE_IP}/24`, 'dev', 'kbr0');
    await inNs(NODE_NS, 'ip', 'link', 'set', 'kbr0', 'up');
    // Cluster IPs are on no interface; a route is needed for the first packet to get as far as DNAT.
    await inNs(NODE_NS, 'ip', 'route', 'add', '10.96.0.0/12', 'dev', 'kbr0');

    for (const [i, ns] of POD_NS.entries()) {
      await run('ip', 'netns', 'add', ns);
      await inNs(NODE_NS, 'ip', 'link', 'add', `vp${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await inNs(NODE_NS, 'ip', 'link', 'set', `vp${i}`, 'master', 'kbr0', 'up');
      await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      await inNs(ns, 'ip', 'addr', 'add', `${POD_IPS[i]}/24`, 'dev', 'eth0');
      await inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
      await inNs(ns, 'ip', 'route', 'add', 'default', 'via', '10.244.0.1');
      await startServer(ns, `pod${i}`);
    }

    // The client is routed, not bridged, so replies from pods come back through the node's conntrack.
    await run('ip', 'netns', 'add', CLIENT_NS);
    await inNs(
      NODE_NS,
      'ip',
      'link',
      'add',
      'vc0',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      CLIENT_NS,
    );
    await inNs(NODE_NS, 'ip', 'addr', 'add', `${NODE_IP_TOWARDS_CLIENT}/30`, 'dev', 'vc0');
    await inNs(NODE_NS, 'ip', 'link', 'set', 'vc0', 'up');
    await inNs(CLIENT_NS, 'ip', 'link', 'set', 'lo', 'up');
    await inNs(CLIENT_NS, 'ip', 'addr', 'add', '10.245.0.2/30', 'dev', 'eth0');
    await inNs(CLIENT_NS, 'ip', 'link', 'set', 'eth0', 'up');
    await inNs(CLIENT_NS, 'ip', 'route', 'add', 'default', 'via', NODE_IP_TOWARDS_CLIENT);

    await proxier.prepareHost();
    await proxier.sync(clusterSnapshot(POD_IPS));
  });

  afterAll(async () => {
    for (const server of servers) server.kill('SIGKILL');
    await Promise.all(
      servers.map((s) => (s.exitCode === null ? new Promise((r) => s.once('exit', r)) : null)),
    );
    for (const ns of [CLIENT_NS, ...POD_NS, NODE_NS]) {
      await runCommand(['ip', 'netns', 'del', ns]).catch(() => undefined);
    }
  });

  it('set the sysctls inside the node namespace', async () => {
    expect((await inNs(NODE_NS, 'cat', '/proc/sys/net/ipv4/conf/all/route_localnet')).trim()).toBe('1');
    expect((await inNs(NODE_NS, 'cat', '/proc/sys/net/ipv4/ip_forward')).trim()).toBe('1');
  });

  it('hooks each builtin chain exactly once, in the text iptables-save prints back', async () => {
    // A second full sync reads the real tables: the jumps found there must not be inserted again.
    const result = await proxier.sync(clusterSnapshot(POD_IPS), { full: true });
    expect(result.ruleset).not.toContain('\n-I ');
    for (const jump of BUILTIN_JUMPS) {
      const rules = parseIptablesSave(await iptables.save(jump.table)).get(jump.table)!.rules;
      expect(rules.filter((r) => r === `-A ${jump.from} ${jump.spec}`)).toHaveLength(1);
    }
  });

  it('reaches all three backends through the cluster IP from the node itself', async () => {
    const attempts = await connect(NODE_NS, WEB_IP, 80, 30);
    expect(answers(attempts)).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('reaches all three backends through the cluster IP from another namespace (PREROUTING)', async () => {
    const attempts = await connect(CLIENT_NS, WEB_IP, 80, 30);
    expect(answers(attempts)).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it.each([
    ['the node IP', NODE_NS, NODE_IP],
    ['127.0.0.1', NODE_NS, '127.0.0.1'],
    ['the node address facing another namespace', CLIENT_NS, NODE_IP_TOWARDS_CLIENT],
  ])('answers on the NodePort at %s', async (_, ns, address) => {
    const attempts = await connect(ns, address, WEB_NODE_PORT, 10);
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it('answers on the external IP', async () => {
    const attempts = await connect(NODE_NS, EXTERNAL_IP, 80, 5);
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it('keeps a client on one backend with ClientIP affinity', async () => {
    const attempts = await connect(NODE_NS, STICKY_IP, 80, 15);
    expect(answers(attempts).size).toBe(1);
    expect([...answers(attempts)][0]).toMatch(/^pod\d$/);
  });

  it('proxies UDP', async () => {
    const attempts = await connect(NODE_NS, DNS_IP, 53, 10, 'udp');
    expect(attempts.every((a) => a.answer?.startsWith('pod'))).toBe(true);
  });

  it.each([
    ['the cluster IP from the node', NODE_NS, EMPTY_IP, 80],
    ['the cluster IP from another namespace', CLIENT_NS, EMPTY_IP, 80],
    ['the NodePort on the node IP', NODE_NS, NODE_IP, EMPTY_NODE_PORT],
    ['the NodePort from another namespace', CLIENT_NS, NODE_IP_TOWARDS_CLIENT, EMPTY_NODE_PORT],
  ])('refuses a service without endpoints at once: %s', async (_, ns, address, port) => {
    const [attempt] = await connect(ns, address, port);
    expect(attempt.error).toBe('ECONNREFUSED');
    expect(attempt.ms).toBeLessThan(1000);
  });

  it('takes removed endpoints out of rotation and deletes their chains', async () => {
    const result = await proxier.sync(clusterSnapshot([POD_IPS[1]]));
    expect(result).toEqual(expect.objectContaining({ full: false, writtenServicePorts: 1 }));
    expect(result.deletedChains).toHaveLength(2);
    const attempts = await connect(NODE_NS, WEB_IP, 80, 20);
    expect(answers(attempts)).toEqual(new Set(['pod1']));
    await proxier.sync(clusterSnapshot(POD_IPS));
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 30))).toEqual(new Set(['pod0', 'pod1', 'pod2']));
  });

  it('rejects a broken restore with iptables message and keeps the rules in place', async () => {
    const before = await iptables.save('nat');
    const broken = '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-DOESNOTEXIST0000\nCOMMIT\n';
    const error = await iptables.restore(broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IptablesError);
    expect((error as IptablesError).message).toMatch(/KUBE-SVC-DOESNOTEXIST0000|line/);
    const withoutComments = (text: string) => text.replace(/^#.*\n/gm, '');
    expect(withoutComments(await iptables.save('nat'))).toBe(withoutComments(before));
    expect(answers(await connect(NODE_NS, WEB_IP, 80, 5)).size).toBeGreaterThan(0);
  });

  it('cleans up every chain and jump of its own', async () => {
    await proxier.cleanup();
    for (const table of ['nat', 'filter'] as const) {
      expect(await iptables.save(table)).not.toContain('KUBE-');
    }
    const [attempt] = await connect(NODE_NS, WEB_IP, 80);
    expect(attempt.answer).toBeUndefined();
  });
});
