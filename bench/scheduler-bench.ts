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
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Strategy } from '../scheduler/profile.js';
import { machineDescription, markdownTable, readChoice, readSizes, runBench } from './bench-kit.js';
import type { LatencySummary, SizeSpec } from './bench-kit.js';
import { BenchCluster } from './bench-cluster.js';
import type {
  ClientWorkerData,
  PhaseResult,
  SchedulerWorkerData,
  SchedulerWorkerStats,
} from './scheduler-bench-worker.js';
import { cpuMs, mainThreadStat, sumCpu, threadIds, workerThreadStats } from './thread-cpu.js';

interface BenchConfig {
  nodes: number;
  pods: number;
  concurrency: number;
  createConcurrency: number;
  strategy: Strategy;
}

const ENV_DEFAULTS: Record<string, SizeSpec<keyof Omit<BenchConfig, 'strategy'>>> = {
  BENCH_NODES: { key: 'nodes', value: 1_000 },
  BENCH_PODS: { key: 'pods', value: 10_000 },
  BENCH_CONCURRENCY: { key: 'concurrency', value: 64 },
  BENCH_CREATE_CONCURRENCY: { key: 'createConcurrency', value: 64 },
};

const NS_BIND = 'bench-bind-only';
const NS_SCHED = 'bench-scheduler';

function readConfig(env: NodeJS.ProcessEnv): { config: BenchConfig; overrides: string[] } {
  const { sizes, overrides } = readSizes(env, ENV_DEFAULTS);
  const strategy = readChoice<Strategy>(env, 'BENCH_STRATEGY', ['spread', 'binpack'], 'spread', overrides);
  return { config: { ...sizes, strategy }, overrides };
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
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
    ...markdownTable(['measurement', 'result', 'anchor / target'], rows),
    '',
  ];
  return lines.join('\n');
}

runBench(log, async (teardown) => {
  const { config, overrides } = readConfig(process.env);
  const command = [...overrides, 'npm run bench:scheduler'].join(' ');
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  const cluster = new BenchCluster('kubicle-bench-', log);
  const workers: Worker[] = [];
  teardown.cleanup = async () => {
    await Promise.all(workers.map((w) => w.terminate()));
    await cluster.close();
  };

  const etcd = await cluster.startEtcd();
  const etcdVersion = etcd.version;
  log(`etcd ${etcdVersion} at ${etcd.url}, data in ${cluster.dataDir}`);
  const etcdStat = etcd.statFile;
  let schedulerStats: string[] = [];
  let clientStats: string[] = [];
  const sampleCpu = (): CpuSample => ({
    apiServer: cpuMs(mainThreadStat),
    etcd: cpuMs(etcdStat),
    client: sumCpu(clientStats),
    scheduler: sumCpu(schedulerStats),
  });

  const server = await cluster.startApiServer({ log: (line) => !teardown.cleaning && log(line) });
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
  const nodesCreated = await client.call<PhaseResult>('createNodes', config.nodes, config.createConcurrency);
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
});
