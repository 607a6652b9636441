/**
 * The whole single-node cluster as a user meets it: `kubicle up` from a cold start (fresh data dir,
 * images already built) to its node Ready, `kubectl apply` of manifests/web.yaml to the first answer
 * on its NodePort and to all three replicas answering, and the resident memory of the `up` process
 * (etcd and dockerd are processes of their own and not counted) idle and with the app running.
 *
 * Runs `up` on this host for real: it programs the host's iptables and uses NodePort 30080, so it
 * must not run at the same time as the journey e2e suite. Everything is removed at the end
 * (`kubicle down --purge`). Results print as markdown on stdout.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { markdownTable } from './bench-kit.js';
import { freePort, freePortPair } from './free-port.js';
import { processMemory } from './process-memory.js';

const CLI = path.resolve('dist/cli/kubicle.js');
const WEB_MANIFEST = path.resolve('manifests/web.yaml');
const NODE_PORT = 30080;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 10_000);

interface RunResult {
  readyMs: number;
  firstAnswerMs: number;
  allBackendsMs: number;
  rssIdleMb: number;
  rssAppMb: number;
  hwmMb: number;
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function oneRun(kubectl: string): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-up-bench-'));
  const dataDir = path.join(dir, 'data');
  const nodeName = `bench-up-${randomBytes(3).toString('hex')}`;
  const args = [
    CLI,
    'up',
    '--data-dir',
    dataDir,
    '--port',
    String(await freePort()),
    '--etcd-port',
    String(await freePortPair()),
    '--node-name',
    nodeName,
    '--kubelet-port',
    '0',
    '--cluster-dns-port',
    String(await freePort()),
  ];
  const started = performance.now();
  const up = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  up.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  up.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  try {
    // `up` prints its ready line only once its node reports Ready.
    await until(async () => (/Kubicle is ready/.test(output) ? true : undefined), 60_000, 'up to be ready');
    const readyMs = performance.now() - started;
    await sleep(SETTLE_MS);
    const rssIdleMb = processMemory(up.pid!).rssKiB / 1024;

    const kubeconfig = path.join(dataDir, 'kubeconfig');
    const applied = performance.now();
    execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-f', WEB_MANIFEST], { stdio: 'ignore' });
    await until(() => fetchText(`http://127.0.0.1:${NODE_PORT}/`), 120_000, 'the first answer');
    const firstAnswerMs = performance.now() - applied;
    const seen = new Set<string>();
    await until(
      async () => {
        seen.add(await fetchText(`http://127.0.0.1:${NODE_PORT}/`));
        return seen.size >= 3 ? true : undefined;
      },
      120_000,
      'all three backends',
    );
    const allBackendsMs = performance.now() - applied;
    await sleep(SETTLE_MS);
    const { rssKiB, hwmKiB } = processMemory(up.pid!);
    const [rssAppMb, hwmMb] = [rssKiB / 1024, hwmKiB / 1024];
    return { readyMs, firstAnswerMs, allBackendsMs, rssIdleMb, rssAppMb, hwmMb };
  } catch (err) {
    process.stderr.write(output.slice(-3000));
    throw err;
  } finally {
    up.kill('SIGTERM');
    await new Promise((r) => up.once('exit', r));
    execFileSync(process.execPath, [CLI, 'down', '--data-dir', dataDir, '--purge'], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => fs.existsSync(p));
  if (!kubectl) throw new Error('kubectl is needed to apply the manifest');
  const load = os.loadavg()[0].toFixed(2);
  const runs: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await oneRun(kubectl));
    process.stderr.write(`run ${i + 1}: ${JSON.stringify(runs[i])}\n`);
  }
  const cell = (pick: (r: RunResult) => number, unit: string, digits = 0) =>
    `**${median(runs.map(pick)).toFixed(digits)} ${unit}** (${runs.map((r) => pick(r).toFixed(digits)).join(', ')})`;
  const s = (r: RunResult, key: 'readyMs' | 'firstAnswerMs' | 'allBackendsMs') => r[key] / 1000;
  console.log(`## kubicle up (${RUNS} cold starts, 1-minute load average before: ${load})\n`);
  const rows = [
    ['cold start to node Ready', cell((r) => s(r, 'readyMs'), 's', 2), 'target < 5 s'],
    ['apply web.yaml → first answer on the NodePort', cell((r) => s(r, 'firstAnswerMs'), 's', 2), '—'],
    ['apply web.yaml → all 3 replicas answering', cell((r) => s(r, 'allBackendsMs'), 's', 2), '—'],
    ['RSS of the up process, idle', cell((r) => r.rssIdleMb, 'MB'), 'target < 250 MB'],
    ['RSS of the up process, web app running', cell((r) => r.rssAppMb, 'MB'), 'target < 250 MB'],
    ['peak RSS (VmHWM) of the up process', cell((r) => r.hwmMb, 'MB'), '—'],
  ];
  console.log(markdownTable(['measurement', 'Kubicle: median (each run)', 'anchor'], rows).join('\n'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
