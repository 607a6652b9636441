/**
 * A small network built from namespaces, for tests of the proxy against real netfilter without
 * touching the host's own rules:
 *
 *   client netns (10.245.0.2) ── veth ── node netns ── bridge kbr0 (10.244.0.1/24) ── veth ── pod0..podN netns
 *                                         node IP 192.168.77.2 (also on kbr0)          10.244.0.10, .11, …
 *
 * Each pod runs a tiny TCP (8080) and UDP (5353) server answering with its name. Everything is
 * created under a random name prefix and removed by `destroy`, which also runs when set-up fails.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { runCommand } from '../netns-command.js';

export const LAB_NODE_IP = '192.168.77.2';
export const LAB_NODE_IP_TOWARDS_CLIENT = '10.245.0.1';
export const LAB_POD_PORT_TCP = 8080;
export const LAB_POD_PORT_UDP = 5353;

export interface NetnsLab {
  readonly nodeNs: string;
  readonly clientNs: string;
  readonly podNs: readonly string[];
  readonly podIPs: readonly string[];
  destroy(): Promise<void>;
}

export interface Attempt {
  readonly answer?: string;
  readonly error?: string;
  /** How long the attempt took, and when it started (epoch ms). */
  readonly ms: number;
  readonly at: number;
}

/** Why these tests cannot run here, or undefined when they can. */
export function netnsPrerequisitesMissing(): string | undefined {
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

export async function run(...argv: string[]): Promise<string> {
  const result = await runCommand(argv);
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export const inNs = (ns: string, ...argv: string[]): Promise<string> =>
  run('ip', 'netns', 'exec', ns, ...argv);

const SERVER = `
const net = require('net'), dgram = require('dgram');
const name = process.argv[1];
let listening = 0;
const ready = () => { if (++listening === 2) console.log('ready'); };
net.createServer((s) => { s.on('error', () => {}); s.end(name + '\\n'); }).listen(${LAB_POD_PORT_TCP}, '0.0.0.0', ready);
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(name + '\\n', r.port, r.address));
udp.bind(${LAB_POD_PORT_UDP}, '0.0.0.0', ready);
`;

// Connects `count` times in a row (or for `durationMs`, pausing `pauseMs` between attempts), each on
// a fresh source port, and reports what each one got.
const CLIENT = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, count, timeoutText, durationText, pauseText] = process.argv.slice(1);
const timeout = Number(timeoutText), duration = Number(durationText), pause = Number(pauseText);
function tcp() {
  return new Promise((resolve) => {
    const start = Date.now();
    let data = '';
    const s = net.connect({ host, port: Number(port) });
    s.setTimeout(timeout, () => { s.destroy(); resolve({ error: 'TIMEOUT', ms: Date.now() - start, at: start }); });
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve({ answer: data.trim(), ms: Date.now() - start, at: start }));
    s.on('error', (e) => resolve({ error: e.code, ms: Date.now() - start, at: start }));
  });
}
function udp() {
  return new Promise((resolve) => {
    const start = Date.now();
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve({ error: 'TIMEOUT', ms: Date.now() - start, at: start }); }, timeout);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve({ answer: String(m).trim(), ms: Date.now() - start, at: start }); });
    s.on('error', (e) => { clearTimeout(timer); s.close(); resolve({ error: e.code, ms: Date.now() - start, at: start }); });
    s.send('?', Number(port), host);
  });
}
(async () => {
  const results = [];
  const began = Date.now();
  if (duration > 0) console.log('started');
  for (let i = 0; duration > 0 ? Date.now() - began < duration : i < Number(count); i++) {
    results.push(await (proto === 'udp' ? udp() : tcp()));
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  console.log(JSON.stringify(results));
})();
`;

/**
 * Connects from inside `ns` `count` times in a row and reports each attempt; an attempt without an
 * answer after `timeoutMs` counts as TIMEOUT.
 */
export async function connect(
  ns: string,
  host: string,
  port: number,
  count = 1,
  proto = 'tcp',
  timeoutMs = 3000,
): Promise<Attempt[]> {
  const argv = [process.execPath, '-e', CLIENT, proto, host, `${port}`, `${count}`, `${timeoutMs}`, '0', '0'];
  return JSON.parse(await inNs(ns, ...argv)) as Attempt[];
}

export interface Probe {
  /** Resolves once the client runs its first attempt. */
  readonly started: Promise<void>;
  readonly attempts: Promise<Attempt[]>;
}

/**
 * Connects over TCP from inside `ns` again and again for `durationMs`, to time a change: start it,
 * await `started`, make the change, then look at the attempts' times.
 */
export function probe(
  ns: string,
  host: string,
  port: number,
  options: { durationMs: number; timeoutMs?: number; pauseMs?: number },
): Probe {
  const { durationMs, timeoutMs = 100, pauseMs = 10 } = options;
  const argv = [
    process.execPath,
    '-e',
    CLIENT,
    'tcp',
    host,
    `${port}`,
    '0',
    `${timeoutMs}`,
    `${durationMs}`,
    `${pauseMs}`,
  ];
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.startsWith('started\n')) markStarted();
  });
  const attempts = new Promise<Attempt[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markStarted();
      const json = output.split('\n').find((line) => line.startsWith('['));
      if (code !== 0 || json === undefined) reject(new Error(`probe exited with ${code}: ${output}`));
      else resolve(JSON.parse(json) as Attempt[]);
    });
  });
  return { started, attempts };
}

/** The distinct answers (or `error CODE`s) of a series of attempts. */
export const answers = (attempts: readonly Attempt[]): Set<string> =>
  new Set(attempts.map((a) => a.answer ?? `error ${a.error}`));

export interface LabNames {
  readonly nodeNs: string;
  readonly clientNs: string;
  readonly podNs: readonly string[];
  readonly podIPs: readonly string[];
}

/** The names a lab will use, known before it exists (for `it.each` tables). */
export function labNames(prefix = 'kubicle-lab', pods = 3): LabNames {
  const nodeNs = `${prefix}-${randomBytes(3).toString('hex')}`;
  return {
    nodeNs,
    clientNs: `${nodeNs}-c`,
    podNs: Array.from({ length: pods }, (_, i) => `${nodeNs}-p${i}`),
    podIPs: Array.from({ length: pods }, (_, i) => `10.244.0.${10 + i}`),
  };
}

export async function createNetnsLab(names: LabNames = labNames()): Promise<NetnsLab> {
  const { nodeNs, clientNs, podNs, podIPs } = names;
  const servers: ChildProcess[] = [];

  const lab: NetnsLab = {
    nodeNs,
    clientNs,
    podNs,
    podIPs,
    async destroy() {
      for (const server of servers) server.kill('SIGKILL');
      await Promise.all(
        servers.map((s) => (s.exitCode === null ? new Promise((r) => s.once('exit', r)) : null)),
      );
      for (const ns of [clientNs, ...podNs, nodeNs]) {
        await runCommand(['ip', 'netns', 'del', ns]).catch(() => undefined);
      }
    },
  };

  const startServer = async (ns: string, name: string) => {
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
  };

  try {
    await run('ip', 'netns', 'add', nodeNs);
    await inNs(nodeNs, 'ip', 'link', 'set', 'lo', 'up');
    await inNs(nodeNs, 'ip', 'link', 'add', 'kbr0', 'type', 'bridge');
    await inNs(nodeNs, 'ip', 'addr', 'add', '10.244.0.1/24', 'dev', 'kbr0');
    // The node's own address; on the bridge because the dummy driver may not be available.
    await inNs(nodeNs, 'ip', 'addr', 'add', `${LAB_NODE_IP}/24`, 'dev', 'kbr0');
    await inNs(nodeNs, 'ip', 'link', 'set', 'kbr0', 'up');
    // Cluster IPs are on no interface; a route is needed for the first packet to get as far as DNAT.
    await inNs(nodeNs, 'ip', 'route', 'add', '10.96.0.0/12', 'dev', 'kbr0');

    for (const [i, ns] of podNs.entries()) {
      await run('ip', 'netns', 'add', ns);
      await inNs(nodeNs, 'ip', 'link', 'add', `vp${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await inNs(nodeNs, 'ip', 'link', 'set', `vp${i}`, 'master', 'kbr0', 'up');
      await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      await inNs(ns, 'ip', 'addr', 'add', `${podIPs[i]}/24`, 'dev', 'eth0');
      await inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
      await inNs(ns, 'ip', 'route', 'add', 'default', 'via', '10.244.0.1');
      await startServer(ns, `pod${i}`);
    }

    // The client is routed, not bridged, so replies from pods come back through the node's conntrack.
    await run('ip', 'netns', 'add', clientNs);
    await inNs(nodeNs, 'ip', 'link', 'add', 'vc0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', clientNs);
    await inNs(nodeNs, 'ip', 'addr', 'add', `${LAB_NODE_IP_TOWARDS_CLIENT}/30`, 'dev', 'vc0');
    await inNs(nodeNs, 'ip', 'link', 'set', 'vc0', 'up');
    await inNs(clientNs, 'ip', 'link', 'set', 'lo', 'up');
    await inNs(clientNs, 'ip', 'addr', 'add', '10.245.0.2/30', 'dev', 'eth0');
    await inNs(clientNs, 'ip', 'link', 'set', 'eth0', 'up');
    await inNs(clientNs, 'ip', 'route', 'add', 'default', 'via', LAB_NODE_IP_TOWARDS_CLIENT);
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}
