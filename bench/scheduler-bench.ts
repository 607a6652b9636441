/**
 * Scheduler benchmark (`npm run bench:scheduler`): one private etcd, the API server in-process on the
 * main thread, the scheduler in a worker thread (its own event loop, as its own process would have),
 * and the client side (setup, bind-only load, the watch that times both) in another worker thread.
 *
 * In one run:
 *  1. 1,000 Node objects (not timed);
 *  2. the bind-only rate: 10,000 pending pods created (not timed), then a binding for each sent
 *     straight through the API server to nodes round-robin at the scheduler's binding concurrency,
 *     timed until a watch saw every pod bound; the pods are then deleted (not timed);
 *  3. the scheduler: 10,000 fresh pending pods created (not timed), then the scheduler starts, timed
 *     from its start (informer lists included) until the same kind of watch saw every pod bound.
 * Bind-only runs first, on the smaller etcd, so the ratio errs against the scheduler.
 *
 * Progress goes to stderr; the results go to stdout as markdown for BENCHMARKS.md. etcd, the server
 * and the temp data dir are removed at the end whatever happens, including Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Etcd3 } from 'etcd3';
import { startApiServer, waitForEtcd } from '../apiserver/api-server.js';
import type { RunningApiServer } from '../apiserver/api-server.js';
import { startEtcd } from '../cli/etcd-process.js';
import type { EtcdProcess } from '../cli/etcd-process.js';
import type { Strategy } from '../scheduler/profile.js';
import type { LatencySummary } from './bench-kit.js';
import type {
  ClientWorkerData,
  PhaseResult,
  SchedulerWorkerData,
  SchedulerWorkerStats,
} from './scheduler-bench-worker.js';

interface BenchConfig {
  nodes: number;
  pods: number;
  concurrency: number;
  createConcurrency: number;
  strategy: Strategy;
}

const ENV_DEFAULTS: Record<string, { key: keyof Omit<BenchConfig, 'strategy'>; value: number }> = {
  BENCH_NODES: { key: 'nodes', value: 1_000 },
  BENCH_PODS: { key: 'pods', value: 10_000 },
  BENCH_CONCURRENCY: { key: 'concurrency', value: 64 },
  BENCH_CREATE_CONCURRENCY: { key: 'createConcurrency', value: 64 },
};

const NS_BIND = 'bench-bind-only';
const NS_SCHED = 'bench-scheduler';

function readConfig(env: NodeJS.ProcessEnv): { config: BenchConfig; overrides: string[] } {
  const config = { strategy: 'spread' } as BenchConfig;
  const overrides: string[] = [];
  for (const [name, { key, value }] of Object.entries(ENV_DEFAULTS)) {
    const raw = env[name];
    let parsed = value;
    if (raw !== undefined && raw !== '') {
      if (!/^\d+$/.test(raw) || Number(raw) < 1) {
        throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
      }
      parsed = Number(raw);
      overrides.push(`${name}=${raw}`);
    }
    config[key] = parsed;
  }
  const strategy = env.BENCH_STRATEGY;
  if (strategy !== undefined && strategy !== '') {
    if (strategy !== 'spread' && strategy !== 'binpack') {
      throw new Error(`BENCH_STRATEGY must be spread or binpack, got ${JSON.stringify(strategy)}`);
    }
    config.strategy = strategy;
    overrides.push(`BENCH_STRATEGY=${strategy}`);
  }
  return { config, overrides };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const CLOCK_TICKS = clockTicksPerSecond();

/** CPU ms a thread or process has used (user + system), from its /proc stat line; undefined without /proc. */
function cpuMs(statPath: string): number | undefined {
  try {
    const stat = fs.readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The ids of this process's threads, to tell which one a new worker runs on. */
function threadIds(): Set<string> {
  try {
    return new Set(fs.readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

/** The thread a worker runs on: the one that appeared when it came online. */
async function workerThreadStats(worker: Worker, before: Set<string>): Promise<string[]> {
  await new Promise<void>((resolve) => worker.once('online', () => resolve()));
  return [...threadIds()].filter((id) => !before.has(id)).map((id) => `/proc/self/task/${id}/stat`);
}

function sumCpu(stats: string[]): number | undefined {
  let total = 0;
  for (const stat of stats) {
    const ms = cpuMs(stat);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return stats.length ? total : undefined;
}

interface CpuSample {
  apiServer?: number;
  etcd?: number;
  client?: number;
  scheduler?: number;
}

type CpuPerPod = { [K in keyof CpuSample as `${K}Ms`]?: number };

function cpuPerPod(start: CpuSample, end: CpuSample, pods: number): CpuPerPod {
  const per = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : (b - a) / pods);
  return {
    apiServerMs: per(start.apiServer, end.apiServer),
    etcdMs: per(start.etcd, end.etcd),
    clientMs: per(start.client, end.client),
    schedulerMs: per(start.scheduler, end.scheduler),
  };
}

/** Request/response calls into the client worker. */
class ClientWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly worker: Worker) {
    worker.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const call = this.pending.get(msg.id);
      if (!call) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) call.reject(new Error(msg.error));
      else call.resolve(msg.result);
    });
    const failAll = (err: Error) => {
      for (const call of this.pending.values()) call.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the client worker exited (code ${code})`)));
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }
}

interface SchedulerRun {
  worker: Worker;
  synced: Promise<number>;
  stop(): Promise<SchedulerWorkerStats>;
}

function startSchedulerWorker(data: SchedulerWorkerData): SchedulerRun {
  const worker = new Worker(new URL('./scheduler-bench-worker.js', import.meta.url), { workerData: data });
  let onSynced: (at: number) => void = () => undefined;
  let onStats: (stats: SchedulerWorkerStats) => void = () => undefined;
  let onFailure: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (onFailure = reject));
  failed.catch(() => undefined);
  worker.on('message', (msg: { log?: string; synced?: number; stats?: SchedulerWorkerStats }) => {
    if (msg.log) log(msg.log);
    if (msg.synced !== undefined) onSynced(msg.synced);
    if (msg.stats) onStats(msg.stats);
  });
  worker.on('error', (err) => onFailure(err));
  worker.on('exit', (code) => onFailure(new Error(`the scheduler worker exited (code ${code})`)));
  const synced = Promise.race([new Promise<number>((resolve) => (onSynced = resolve)), failed]);
  return {
    worker,
    synced,
    stop: () => {
      const stats = Promise.race([
        new Promise<SchedulerWorkerStats>((resolve) => (onStats = resolve)),
        failed,
      ]);
      worker.postMessage({ stop: true });
      return stats;
    },
  };
}

const fmtRate = (v: number) => `${Math.round(v).toLocaleString('en-US')}/s`;
const fmtMs = (v: number) => (Number.isNaN(v) ? 'n/a' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`);
const fmtPct = (s: LatencySummary | undefined) => (s ? `p50 ${fmtMs(s.p50)} · p99 ${fmtMs(s.p99)}` : 'n/a');
const fmtCpu = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(2)} ms`);
const errorsNote = (r: PhaseResult) => (r.errors ? ` (**${r.errors} errors**: ${r.firstError ?? ''})` : '');

interface Report {
  command: string;
  machine: string;
  etcdVersion: string;
  config: BenchConfig;
  nodesCreated: PhaseResult;
  bindOnly: PhaseResult & { lastResponseMs: number };
  bindCpu: CpuPerPod;
  schedulerMs: number;
  schedulerSyncMs: number;
  schedulerCpu: CpuPerPod;
  scheduler: SchedulerWorkerStats;
  boundCheck: { total: number; bound: number };
  loadAverage: number;
  wallSeconds: number;
}

function markdown(r: Report): string {
  const { config: c } = r;
  const bindRate = (c.pods / r.bindOnly.elapsedMs) * 1000;
  const schedRate = (c.pods / r.schedulerMs) * 1000;
  const steadyRate = (c.pods / (r.schedulerMs - r.schedulerSyncMs)) * 1000;
  const ratio = schedRate / bindRate;
  const rows: [string, string, string][] = [
    [
      `scheduler: ${c.pods.toLocaleString('en-US')} pending pods onto ${c.nodes.toLocaleString('en-US')} nodes (${c.strategy}, ${c.concurrency} bindings in flight), from start until all bound`,
      `**${fmtRate(schedRate)}** (${(r.schedulerMs / 1000).toFixed(1)} s; ${fmtRate(steadyRate)} after the ${(r.schedulerSyncMs / 1000).toFixed(1)} s initial list)`,
      'target ≥ 300/s; upstream scheduler_perf SchedulingBasic 5000Nodes_10000Pods threshold 680/s (in-process); ClusterLoader2 real-cluster threshold 100/s',
    ],
    [
      `bind-only: the same number of bindings straight to the API server, ${c.concurrency} in flight`,
      `**${fmtRate(bindRate)}**${errorsNote(r.bindOnly)}; binding latency ${fmtPct(r.bindOnly.latency)}`,
      'POST bindings p99 36.7 ms in 2015 (kubernetes#12477)',
    ],
    ['ratio scheduler ÷ bind-only', `**${ratio.toFixed(2)}**`, 'target ≥ 0.8'],
    [
      'CPU per pod, bind-only: API server thread · etcd · client thread',
      `${fmtCpu(r.bindCpu.apiServerMs)} · ${fmtCpu(r.bindCpu.etcdMs)} · ${fmtCpu(r.bindCpu.clientMs)}`,
      'the client thread sends the bindings and runs the watch that times the phase',
    ],
    [
      'CPU per pod, scheduler: API server thread · etcd · client thread · scheduler thread',
      `${fmtCpu(r.schedulerCpu.apiServerMs)} · ${fmtCpu(r.schedulerCpu.etcdMs)} · ${fmtCpu(r.schedulerCpu.clientMs)} · **${fmtCpu(r.schedulerCpu.schedulerMs)}**`,
      'the API server also serves the informers’ lists and watch, and Events',
    ],
    [
      'scheduler counters',
      `${r.scheduler.attempts} cycles, ${r.scheduler.bound} bindings, ${r.scheduler.bindFailures} failed, ${r.scheduler.unschedulable} unschedulable; ${r.scheduler.eventsDropped} events over the rate limit`,
      '—',
    ],
    [
      'check after the run',
      `${r.boundCheck.bound.toLocaleString('en-US')} of ${r.boundCheck.total.toLocaleString('en-US')} pods bound`,
      '—',
    ],
  ];
  const lines = [
    '## Scheduler',
    '',
    `Command: \`${r.command}\``,
    '',
    `Sizes: ${Object.entries(ENV_DEFAULTS)
      .map(([name, { key }]) => `${name}=${c[key]}`)
      .join(', ')}, BENCH_STRATEGY=${c.strategy}.`,
    '',
    `Machine: ${r.machine}; etcd ${r.etcdVersion} (one member); date ${new Date().toISOString().slice(0, 10)}; whole run ${r.wallSeconds.toFixed(0)} s; 1-minute load average before the run ${r.loadAverage.toFixed(2)}. Creating ${c.nodes} nodes took ${(r.nodesCreated.elapsedMs / 1000).toFixed(1)} s.`,
    '',
    '| measurement | result | anchor / target |',
    '| --- | --- | --- |',
    ...rows.map(([a, b, d]) => `| ${a} | ${b} | ${d} |`),
    '',
  ];
  return lines.join('\n');
}

function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}, Node ${process.version}`;
}

async function main(): Promise<void> {
  const { config, overrides } = readConfig(process.env);
  const command = [...overrides, 'npm run bench:scheduler'].join(' ');
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  const mainThreadStat = `/proc/self/task/${process.pid}/stat`;
  let dataDir: string | undefined;
  let etcd: EtcdProcess | undefined;
  let etcdClient: Etcd3 | undefined;
  let server: RunningApiServer | undefined;
  const workers: Worker[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(workers.map((w) => w.terminate()));
      await server?.close().catch((err: unknown) => log(`server close: ${String(err)}`));
      etcdClient?.close();
      await etcd?.stop().catch((err: unknown) => log(`etcd stop: ${String(err)}`));
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-bench-'));
    etcd = await startEtcd({
      dataDir: path.join(dataDir, 'etcd'),
      clientPort: await freePort(),
      peerPort: await freePort(),
    });
    etcdClient = new Etcd3({ hosts: [etcd.url] });
    await waitForEtcd(etcdClient, 30_000);
    const etcdVersion = (await etcdClient.maintenance.status()).version;
    log(`etcd ${etcdVersion} at ${etcd.url}, data in ${dataDir}`);
    const etcdStat = `/proc/${etcd.child.pid}/stat`;
    let schedulerStats: string[] = [];
    let clientStats: string[] = [];
    const sampleCpu = (): CpuSample => ({
      apiServer: cpuMs(mainThreadStat),
      etcd: cpuMs(etcdStat),
      client: sumCpu(clientStats),
      scheduler: sumCpu(schedulerStats),
    });

    server = await startApiServer({
      etcdServers: [etcd.url],
      port: 0,
      bindAddress: '127.0.0.1',
      compactionIntervalMs: 0,
      log: (line) => cleaning === undefined && log(line),
    });
    log(`API server at ${server.url}`);

    const clientData: ClientWorkerData = { role: 'client', url: server.url };
    const beforeClient = threadIds();
    const clientWorker = new Worker(new URL('./scheduler-bench-worker.js', import.meta.url), {
      workerData: clientData,
    });
    workers.push(clientWorker);
    clientStats = await workerThreadStats(clientWorker, beforeClient);
    const client = new ClientWorker(clientWorker);

    log(`creating ${config.nodes} nodes`);
    const nodesCreated = await client.call<PhaseResult>(
      'createNodes',
      config.nodes,
      config.createConcurrency,
    );
    if (nodesCreated.errors) throw new Error(`creating nodes failed: ${nodesCreated.firstError}`);

    // The timing watch opens before the pods are created, so the API server's pod watch cache is
    // already full of events when the bindings start, as it is when the scheduler starts.
    await client.call('watchBound', NS_BIND, config.pods);
    log(`bind-only: creating ${config.pods} pending pods`);
    const bindPods = await client.call<PhaseResult>(
      'createPods',
      NS_BIND,
      config.pods,
      config.createConcurrency,
    );
    if (bindPods.errors) throw new Error(`creating pods failed: ${bindPods.firstError}`);
    log(`bind-only: ${config.pods} bindings at concurrency ${config.concurrency}`);
    const bindCpuStart = sampleCpu();
    const bindOnly = await client.call<PhaseResult & { lastResponseMs: number }>(
      'bindAll',
      NS_BIND,
      config.pods,
      config.nodes,
      config.concurrency,
    );
    const bindCpu = cpuPerPod(bindCpuStart, sampleCpu(), config.pods);
    log(`bind-only: ${Math.round((config.pods / bindOnly.elapsedMs) * 1000)}/s, deleting those pods`);
    await client.call<PhaseResult>('deletePods', NS_BIND, config.pods, config.createConcurrency);

    log(`scheduler: creating ${config.pods} pending pods`);
    const schedPods = await client.call<PhaseResult>(
      'createPods',
      NS_SCHED,
      config.pods,
      config.createConcurrency,
    );
    if (schedPods.errors) throw new Error(`creating pods failed: ${schedPods.firstError}`);
    await client.call('watchBound', NS_SCHED, config.pods);
    log(`scheduler: starting (${config.strategy}, ${config.concurrency} bindings in flight)`);
    const schedCpuStart = { ...sampleCpu(), scheduler: 0 };
    const schedulerStart = performance.timeOrigin + performance.now();
    const beforeScheduler = threadIds();
    const run = startSchedulerWorker({
      role: 'scheduler',
      url: server.url,
      strategy: config.strategy,
      parallelBinds: config.concurrency,
    });
    workers.push(run.worker);
    schedulerStats = await workerThreadStats(run.worker, beforeScheduler);
    const syncedAt = await run.synced;
    log(`scheduler: synced after ${Math.round(syncedAt - schedulerStart)} ms`);
    const allBoundAt = await client.call<number>('awaitBound');
    const schedulerCpu = cpuPerPod(schedCpuStart, sampleCpu(), config.pods);
    const scheduler = await run.stop();
    const schedulerMs = allBoundAt - schedulerStart;
    log(`scheduler: ${Math.round((config.pods / schedulerMs) * 1000)}/s`);
    const boundCheck = await client.call<{ total: number; bound: number }>('countBound', NS_SCHED);

    const report: Report = {
      command,
      machine: machineDescription(),
      etcdVersion,
      config,
      nodesCreated,
      bindOnly,
      bindCpu,
      schedulerMs,
      schedulerSyncMs: syncedAt - schedulerStart,
      schedulerCpu,
      scheduler,
      boundCheck,
      loadAverage: loadAtStart,
      wallSeconds: (Date.now() - started) / 1000,
    };
    process.stdout.write(`${markdown(report)}\n`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
