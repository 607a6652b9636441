/**
 * Controllers benchmark (`node dist/bench/controllers-bench.js`): one private etcd, the API server
 * in-process on the main thread, and on worker threads of their own the controller manager (every
 * built-in controller), the scheduler, 100 simulated nodes (Ready 100 ms after they see a pod) and
 * the client that drives and times the phases. Each component has its own event loop and heap, as
 * its own process would, so one component's busy loop or GC does not pace another's, and each
 * one's CPU is read per thread from /proc.
 *
 * In one run:
 *  1. the raw pod-create rate before any component starts: 1,000 pods of the ReplicaSet's template
 *     straight through the API, 64 in flight, then deleted; once per round;
 *  2. rounds (default 3), each under the same load from elsewhere:
 *     a. the raw rate again, with every component running and watching (the figure the target
 *        uses); those pods name a scheduler that does not exist, so nothing acts on them;
 *     b. the ReplicaSet scaled 0 → 1,000 through the scale subresource, timed until its status
 *        reports 1,000 ready replicas;
 *     c. scaled back to 0, timed until no pod is left;
 *  3. a Deployment of 1,000 created and timed until complete; then its image changed and the rolling
 *     update (maxSurge and maxUnavailable 25%) timed until complete: updated = available =
 *     replicas = 1,000, observedGeneration current, the old ReplicaSet at 0 and reporting 0.
 *
 * Progress goes to stderr (with a per-second timeline of each scale-up and of the rolling update);
 * the results go to stdout as markdown. `BENCH_VERBOSE=1` passes on every component log line with a
 * timestamp; `BENCH_CPU_PROFILE=<dir>` profiles the API server thread during the scale-ups. etcd, the
 * server and the temp data dir are removed at the end whatever happens, including Ctrl-C.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { machineDescription, markdownTable, median, readSizes, runBench } from './bench-kit.js';
import type { SizeSpec } from './bench-kit.js';
import { BenchCluster } from './bench-cluster.js';
import { RequestTally } from './request-tally.js';
import type { ComponentStats, PhaseResult, RolloutTimings, WorkerData } from './controllers-bench-worker.js';
import { cpuMs, mainThreadStat, sumCpu, threadIds, workerThreadStats } from './thread-cpu.js';

interface BenchConfig {
  nodes: number;
  replicas: number;
  rawPods: number;
  rounds: number;
  concurrency: number;
  readyDelayMs: number;
}

const ENV_DEFAULTS: Record<string, SizeSpec<keyof BenchConfig>> = {
  BENCH_NODES: { key: 'nodes', value: 100 },
  BENCH_REPLICAS: { key: 'replicas', value: 1_000 },
  BENCH_RAW_PODS: { key: 'rawPods', value: 1_000 },
  BENCH_ROUNDS: { key: 'rounds', value: 3 },
  BENCH_CONCURRENCY: { key: 'concurrency', value: 64 },
  BENCH_READY_DELAY_MS: { key: 'readyDelayMs', value: 100, min: 0 },
};

const NS_RAW = 'bench-raw';
const NS_RS = 'bench-rs';
const NS_DEPLOY = 'bench-deploy';
const RS_NAME = 'scale-web';
const DEPLOY_NAME = 'roll-web';
const TARGET_RATIO = 0.5;

function readConfig(env: NodeJS.ProcessEnv): { config: BenchConfig; overrides: string[] } {
  const { sizes, overrides } = readSizes(env, ENV_DEFAULTS);
  return { config: sizes, overrides };
}

/**
 * `BENCH_CPU_PROFILE=<dir>`: profiles the API server's thread (this one) while the scale-ups run,
 * one .cpuprofile per scale-up, for Chrome DevTools or any cpuprofile viewer.
 */
async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  const profiles: object[] = [];
  let running = false;
  return {
    async resume() {
      if (running) return;
      await session.post('Profiler.start');
      running = true;
    },
    async pause() {
      if (!running) return;
      profiles.push((await session.post('Profiler.stop')).profile);
      running = false;
    },
    async stop(dir: string): Promise<string> {
      await this.pause();
      session.disconnect();
      fs.mkdirSync(dir, { recursive: true });
      const files = profiles.map((profile, i) => {
        const file = path.join(dir, `api-server-scale-up-${i + 1}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
        return file;
      });
      return files.join(', ');
    },
  };
}

const VERBOSE = process.env.BENCH_VERBOSE === '1';

function log(line: string): void {
  const at = VERBOSE ? ` ${(performance.now() / 1000).toFixed(2)}` : '';
  process.stderr.write(`[bench${at}] ${line}\n`);
}

/** New pods created, bound and Ready by the end of each second of a phase, to see where it stalls. */
function logTimeline(label: string, t: RolloutTimings): void {
  const end = Math.max(...t.readyAt, ...t.createdAt, t.doneMs);
  const upTo = (times: number[], ms: number) => times.filter((x) => x <= ms).length;
  const steps: string[] = [];
  for (let ms = 1000; ms < end + 1000; ms += 1000) {
    steps.push(`${ms / 1000}s ${upTo(t.createdAt, ms)}/${upTo(t.boundAt, ms)}/${upTo(t.readyAt, ms)}`);
  }
  log(`${label} timeline (created/bound/Ready): ${steps.join(', ')}`);
}

const THREADS = ['apiServer', 'etcd', 'controllers', 'scheduler', 'nodes', 'client'] as const;
type ThreadName = (typeof THREADS)[number];
type CpuSample = Partial<Record<ThreadName, number>>;

/** CPU ms per pod of each thread between two samples. */
function cpuPerPod(start: CpuSample, end: CpuSample, pods: number): CpuSample {
  const out: CpuSample = {};
  for (const name of THREADS) {
    const [a, b] = [start[name], end[name]];
    if (a !== undefined && b !== undefined) out[name] = (b - a) / pods;
  }
  return out;
}

type Signal = 'ready' | 'stats';

/**
 * A worker running one role: request/response calls for the client, `ready` and `stop` for the
 * components. A worker that fails or exits rejects everything waiting on it.
 */
class RoleWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiting = new Map<
    Signal,
    Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }>
  >();
  private failure: Error | undefined;
  /** The /proc stat files of the worker's threads. */
  statFiles: string[] = [];

  constructor(readonly worker: Worker) {
    worker.on(
      'message',
      (
        msg: Partial<Record<Signal, unknown>> & {
          id?: number;
          result?: unknown;
          error?: string;
          log?: string;
        },
      ) => {
        if (msg.log) log(msg.log);
        for (const signal of ['ready', 'stats'] as const) {
          if (msg[signal] === undefined) continue;
          for (const w of this.waiting.get(signal) ?? []) w.resolve(msg[signal]);
          this.waiting.delete(signal);
        }
        if (msg.id === undefined) return;
        const call = this.pending.get(msg.id);
        if (!call) return;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) call.reject(new Error(msg.error));
        else call.resolve(msg.result);
      },
    );
    const failAll = (err: Error) => {
      this.failure ??= err;
      for (const call of [...this.pending.values(), ...[...this.waiting.values()].flat()]) call.reject(err);
      this.pending.clear();
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`a worker exited (code ${code})`)));
  }

  static async start(data: WorkerData): Promise<RoleWorker> {
    const before = threadIds();
    const worker = new Worker(new URL('./controllers-bench-worker.js', import.meta.url), {
      workerData: data,
    });
    const role = new RoleWorker(worker);
    role.statFiles = await workerThreadStats(worker, before);
    return role;
  }

  private next<T>(signal: Signal): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const list = this.waiting.get(signal) ?? [];
      list.push({ resolve: resolve as (v: unknown) => void, reject });
      this.waiting.set(signal, list);
    });
  }

  ready(): Promise<void> {
    return this.next('ready');
  }

  /** Stops the component and resolves with its counters (none if it does not answer within 10 s). */
  async stop(): Promise<ComponentStats> {
    const stats = this.next<ComponentStats>('stats');
    this.worker.postMessage({ stop: true });
    return Promise.race([stats, new Promise<ComponentStats>((r) => setTimeout(() => r({}), 10_000))]);
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }
}

const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');
const fmtRate = (v: number) => `${fmtInt(v)}/s`;
const fmtS = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const fmtCpu = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(2)}`);
const load1 = () => os.loadavg()[0];

interface RawRound {
  create: PhaseResult;
  loadAverage: number;
  cpu: CpuSample;
}

/** One round of the headline comparison: raw creates, then the scale-up, under the same load. */
interface ScaleRound {
  raw: RawRound;
  scaleUp: RolloutTimings;
  loadAverage: number;
  cpu: CpuSample;
  scaleDownMs: number;
}

interface Report {
  command: string;
  etcdVersion: string;
  config: BenchConfig;
  rawIdle: RawRound[];
  rounds: ScaleRound[];
  nodesUpMs: number;
  scaleUpRequests: Map<string, number>;
  deployCreate: RolloutTimings & { loadAverage: number };
  rollout: RolloutTimings & { loadAverage: number };
  rolloutCpu: CpuSample;
  rolloutRequests: Map<string, number>;
  stats: Record<string, ComponentStats>;
  loadAverage: number;
  wallSeconds: number;
}

const rateOf = (count: number, ms: number) => (count / ms) * 1000;

/** The mean of each thread's CPU per pod over several samples. */
function meanCpu(samples: CpuSample[]): CpuSample {
  const out: CpuSample = {};
  for (const name of THREADS) {
    const values = samples.map((x) => x[name]).filter((v): v is number => v !== undefined);
    if (values.length) out[name] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  return out;
}

const totalCpu = (cpu: CpuSample) => THREADS.reduce((sum, t) => sum + (cpu[t] ?? 0), 0);

/** Requests per pod by verb and resource, most frequent first; rare ones summed as "other". */
function requestLine(counts: Map<string, number>, pods: number): string {
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.filter(([, n]) => n / pods >= 0.05);
  const other = sorted.filter(([, n]) => n / pods < 0.05).reduce((sum, [, n]) => sum + n, 0);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  const parts = shown.map(([key, n]) => `${key} ${(n / pods).toFixed(2)}`);
  if (other) parts.push(`other ${(other / pods).toFixed(2)}`);
  return `${(total / pods).toFixed(2)} in all: ${parts.join(', ')}`;
}

function cpuLine(cpu: CpuSample): string {
  return `${THREADS.map((t) => fmtCpu(cpu[t])).join(' · ')} (total ${totalCpu(cpu).toFixed(2)})`;
}

const list = (values: number[], fmt: (v: number) => string) => values.map(fmt).join(', ');

function markdown(r: Report): string {
  const c = r.config;
  const n = (v: number) => v.toLocaleString('en-US');
  const rawRates = r.rounds.map((x) => rateOf(c.rawPods, x.raw.create.elapsedMs));
  const idleRates = r.rawIdle.map((x) => rateOf(c.rawPods, x.create.elapsedMs));
  const scaleRates = r.rounds.map((x) => rateOf(c.replicas, x.scaleUp.doneMs));
  const ratios = r.rounds.map((_, i) => scaleRates[i] / rawRates[i]);
  const ratio = median(ratios);
  const rawErrors = [...r.rawIdle, ...r.rounds.map((x) => x.raw)].reduce((k, x) => k + x.create.errors, 0);
  const latencies = r.rounds.map((x) => x.raw.create.latency);
  const rawCpu = meanCpu(r.rounds.map((x) => x.raw.cpu));
  const scaleCpu = meanCpu(r.rounds.map((x) => x.cpu));
  const mid = r.rounds[ratios.indexOf(ratio)] ?? r.rounds[0];
  const rows: [string, string, string][] = [
    [
      `raw pod creates: ${n(c.rawPods)} of the ReplicaSet’s pod template, ${c.concurrency} in flight, all components running`,
      `**${fmtRate(median(rawRates))}** (${list(rawRates, fmtInt)})${rawErrors ? ` (**${rawErrors} errors**)` : ''}; p99 latency ${list(
        latencies.map((l) => l?.p99 ?? Number.NaN),
        (v) => `${fmtInt(v)} ms`,
      )}`,
      'kube-apiserver: mutating calls p99 ≤ 1 s (SLO); POST pods p99 27 ms in 2015 (kubernetes#12477)',
    ],
    [
      'the same before any component started',
      `${fmtRate(median(idleRates))} (${list(idleRates, fmtInt)})`,
      '—',
    ],
    [
      `ReplicaSet scaled 0 → ${n(c.replicas)} on ${c.nodes} nodes, until status.readyReplicas = ${n(c.replicas)}`,
      `**${fmtRate(median(scaleRates))}** (${list(
        r.rounds.map((x) => x.scaleUp.doneMs),
        (v) => fmtS(v),
      )}); in the round of the median ratio all created after ${fmtS(mid.scaleUp.createdMs)}, bound ${fmtS(mid.scaleUp.boundMs)}, Ready ${fmtS(mid.scaleUp.readyMs)}`,
      'a stock kube-controller-manager client allows 20 requests/s, burst 30: about 50 s for 1,000 pod creates (`pkg/controller/apis/config/v1alpha1/defaults.go`)',
    ],
    [
      'scale-up ÷ raw creates, each round against the raw round just before it',
      `**${ratio.toFixed(2)}** (${list(ratios, (v) => v.toFixed(2))})`,
      `target ≥ ${TARGET_RATIO}: **${ratio >= TARGET_RATIO ? 'met' : 'not met'}**`,
    ],
    [
      'CPU ms per pod: API server · etcd · controllers · scheduler · nodes · client',
      `raw create ${cpuLine(rawCpu)}; scale-up ${cpuLine(scaleCpu)}`,
      `CPU per raw create ÷ CPU per scaled-up pod = ${(totalCpu(rawCpu) / totalCpu(scaleCpu)).toFixed(2)}: the ratio when both are CPU-bound`,
    ],
    ['requests per pod, scale-up', requestLine(r.scaleUpRequests, c.replicas * r.rounds.length), '—'],
    [
      'ReplicaSet scaled back to 0, until no pod is left',
      list(
        r.rounds.map((x) => x.scaleDownMs),
        (v) => fmtS(v),
      ),
      '—',
    ],
    [
      `Deployment of ${n(c.replicas)} created, until complete`,
      `${fmtS(r.deployCreate.doneMs)} (${fmtRate(rateOf(c.replicas, r.deployCreate.doneMs))})`,
      '—',
    ],
    [
      `rolling update of ${n(c.replicas)} (image change; maxSurge and maxUnavailable 25%), until complete`,
      `**${fmtS(r.rollout.doneMs)}** (${fmtRate(rateOf(c.replicas, r.rollout.doneMs))}); new pods all created after ${fmtS(r.rollout.createdMs)}, all Ready ${fmtS(r.rollout.readyMs)}; old pods all gone ${fmtS(r.rollout.oldGoneMs)}`,
      'no published figure; CL2’s density test sizes its timeouts for 20 pods/s (perf-tests `clusterloader2/testing/density/config.yaml`)',
    ],
    [
      'during the rolling update: most pods active at once · fewest Ready',
      `${fmtInt(r.rollout.maxActive)} · ${fmtInt(r.rollout.minReady)}`,
      `allowed: at most ${fmtInt(c.replicas * 1.25)} · at least ${fmtInt(c.replicas * 0.75)}`,
    ],
    ['CPU ms per pod, rolling update', cpuLine(r.rolloutCpu), '—'],
    ['requests per pod, rolling update', requestLine(r.rolloutRequests, c.replicas), '—'],
  ];
  const statsLine = Object.entries(r.stats)
    .map(
      ([role, s]) =>
        `${role}: ${Object.entries(s)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    )
    .join('; ');
  const loads = r.rounds.map((x) => x.loadAverage.toFixed(1)).join(', ');
  return [
    '## Controllers',
    '',
    `Command: \`${r.command}\``,
    '',
    `Sizes: ${Object.entries(ENV_DEFAULTS)
      .map(([name, { key }]) => `${name}=${c[key]}`)
      .join(', ')}.`,
    '',
    `Machine: ${machineDescription()}; etcd ${r.etcdVersion} (one member); ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; whole run ${r.wallSeconds.toFixed(0)} s. 1-minute load average ${r.loadAverage.toFixed(1)} before the run; before each scale-up ${loads}; before the rolling update ${r.rollout.loadAverage.toFixed(1)}. ${c.nodes} simulated nodes registered in ${fmtS(r.nodesUpMs)}.`,
    '',
    ...markdownTable(['measurement', 'Kubicle', 'anchor / target'], rows),
    '',
    `Counters: ${statsLine}.`,
    '',
  ].join('\n');
}

runBench(log, async (teardown) => {
  const { config, overrides } = readConfig(process.env);
  const command = [...overrides, 'node dist/bench/controllers-bench.js'].join(' ');
  const started = Date.now();
  const loadAtStart = load1();
  const cluster = new BenchCluster('kubicle-bench-', log);
  const workers: RoleWorker[] = [];
  teardown.cleanup = async () => {
    await Promise.all(workers.map((w) => w.worker.terminate()));
    await cluster.close();
  };

  const etcd = await cluster.startEtcd();
  const etcdVersion = etcd.version;
  log(`etcd ${etcdVersion} at ${etcd.url}, data in ${cluster.dataDir}`);
  const etcdStat = etcd.statFile;
  const server = await cluster.startApiServer({ log: (line) => !teardown.cleaning && log(line) });
  const url = server.url;
  const tally = new RequestTally();
  log(`API server at ${url}`);

  const roles: Partial<Record<ThreadName, RoleWorker>> = {};
  const sampleCpu = (): CpuSample => {
    const sample: CpuSample = { apiServer: cpuMs(mainThreadStat), etcd: cpuMs(etcdStat) };
    for (const name of ['controllers', 'scheduler', 'nodes', 'client'] as const) {
      const role = roles[name];
      if (role) sample[name] = sumCpu(role.statFiles);
    }
    return sample;
  };
  const startRole = async (name: ThreadName, data: WorkerData) => {
    const role = await RoleWorker.start(data);
    workers.push(role);
    roles[name] = role;
    return role;
  };

  const client = await startRole('client', { role: 'client', url });
  for (const ns of [NS_RAW, NS_RS, NS_DEPLOY]) await client.call('ensureNamespace', ns);
  const rawRound = async (label: string): Promise<RawRound> => {
    const loadAverage = load1();
    const cpuBefore = sampleCpu();
    const create = await client.call<PhaseResult>('rawCreates', NS_RAW, config.rawPods, config.concurrency);
    const cpu = cpuPerPod(cpuBefore, sampleCpu(), config.rawPods);
    if (create.errors) throw new Error(`raw creates failed: ${create.firstError}`);
    log(`raw creates ${label}: ${fmtRate(rateOf(config.rawPods, create.elapsedMs))}`);
    await client.call<PhaseResult>('deleteAllPods', NS_RAW, config.concurrency);
    return { create, loadAverage, cpu };
  };
  const rawIdle: RawRound[] = [];
  for (let i = 0; i < config.rounds; i++) rawIdle.push(await rawRound('before the components'));

  const nodesStarted = performance.now();
  const nodes = await startRole('nodes', {
    role: 'nodes',
    url,
    count: config.nodes,
    readyDelayMs: config.readyDelayMs,
  });
  await nodes.ready();
  const nodesUpMs = performance.now() - nodesStarted;
  log(`${config.nodes} simulated nodes registered in ${fmtS(nodesUpMs)}`);
  const scheduler = await startRole('scheduler', { role: 'scheduler', url });
  await scheduler.ready();
  const controllers = await startRole('controllers', { role: 'controllers', url });
  await controllers.ready();
  // The controller writing the new ReplicaSet's status shows that its caches are synced.
  await client.call('createReplicaSet', NS_RS, RS_NAME, 0);
  log('components running; the ReplicaSet controller answers');

  const profiler = process.env.BENCH_CPU_PROFILE ? await startProfiler() : undefined;
  const rounds: ScaleRound[] = [];
  const scaleUpRequests = new Map<string, number>();
  for (let i = 0; i < config.rounds; i++) {
    // Raw creates right before the scale-up, so that both see the same load from elsewhere.
    const raw = await rawRound('with the components running');
    log(`round ${i + 1}: scaling ${RS_NAME} 0 → ${config.replicas}`);
    const loadAverage = load1();
    const cpuStart = sampleCpu();
    tally.take();
    await profiler?.resume();
    const scaleUp = await client.call<RolloutTimings>('scaleReplicaSet', NS_RS, RS_NAME, config.replicas);
    await profiler?.pause();
    const cpu = cpuPerPod(cpuStart, sampleCpu(), config.replicas);
    for (const [key, count] of tally.take())
      scaleUpRequests.set(key, (scaleUpRequests.get(key) ?? 0) + count);
    logTimeline(`round ${i + 1} scale-up`, scaleUp);
    log(
      `round ${i + 1}: scale-up ${fmtS(scaleUp.doneMs)} (${fmtRate(rateOf(config.replicas, scaleUp.doneMs))})`,
    );
    const placement = await client.call<{ total: number; ready: number; nodes: number }>('countPods', NS_RS);
    log(`round ${i + 1}: ${placement.ready} of ${placement.total} pods Ready on ${placement.nodes} nodes`);
    const scaleDown = await client.call<RolloutTimings>('scaleReplicaSet', NS_RS, RS_NAME, 0);
    const scaleDownMs = scaleDown.doneMs + (await client.call<number>('waitNoPods', NS_RS));
    rounds.push({ raw, scaleUp, loadAverage, cpu, scaleDownMs });
  }
  if (profiler)
    log(`API server thread profile of the scale-ups: ${await profiler.stop(process.env.BENCH_CPU_PROFILE!)}`);

  log(`creating Deployment ${DEPLOY_NAME} of ${config.replicas}`);
  const deployLoad = load1();
  const deployCreate = await client.call<RolloutTimings>(
    'createDeployment',
    NS_DEPLOY,
    DEPLOY_NAME,
    config.replicas,
  );
  log(`deployment complete after ${fmtS(deployCreate.doneMs)}`);

  log('rolling update: changing the image');
  const rolloutLoad = load1();
  const cpuStart = sampleCpu();
  tally.take();
  const rollout = await client.call<RolloutTimings>(
    'rollDeployment',
    NS_DEPLOY,
    DEPLOY_NAME,
    'registry.local/bench/web:1.4.3',
    config.replicas,
  );
  const rolloutCpu = cpuPerPod(cpuStart, sampleCpu(), config.replicas);
  const rolloutRequests = tally.take();
  logTimeline('rolling update', rollout);
  log(`rolling update complete after ${fmtS(rollout.doneMs)}`);

  await client.call('close');
  const stats: Record<string, ComponentStats> = {};
  for (const name of ['scheduler', 'nodes', 'controllers'] as const) stats[name] = await roles[name]!.stop();

  const report: Report = {
    command,
    etcdVersion,
    config,
    rawIdle,
    nodesUpMs,
    rounds,
    scaleUpRequests,
    deployCreate: { ...deployCreate, loadAverage: deployLoad },
    rollout: { ...rollout, loadAverage: rolloutLoad },
    rolloutCpu,
    rolloutRequests,
    stats,
    loadAverage: loadAtStart,
    wallSeconds: (Date.now() - started) / 1000,
  };
  process.stdout.write(`${markdown(report)}\n`);
});
