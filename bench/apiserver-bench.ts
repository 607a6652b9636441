/**
 * API server benchmark (`npm run bench:apiserver`): one private etcd, one in-process API server, and
 * a load generator in a worker thread. Measures, in one run:
 *
 *  1. the raw floor: etcd3 puts/s of the bench pod's JSON at the create concurrency, once before the
 *     API server phases and once after, so a machine whose load changed in between shows up;
 *  2. pod creates/s over HTTP at the same concurrency and count, and their ratio to the mean floor;
 *     then the latency of creates sent one at a time;
 *  3. single-pod GET latency;
 *  4. the full-response time of a namespace LIST (JSON, median of several; and once as a Table);
 *  5. watch delivery latency from many watchers on one namespace.
 *
 * Progress goes to stderr; the results go to stdout as markdown for BENCHMARKS.md. etcd, the server
 * and the temp data dir are removed at the end whatever happens, including Ctrl-C.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Etcd3 } from 'etcd3';
import {
  benchPod,
  machineDescription,
  markdownTable,
  readSizes,
  runAtConcurrency,
  runBench,
  summarize,
} from './bench-kit.js';
import type { LatencySummary, SizeSpec } from './bench-kit.js';
import { BenchCluster } from './bench-cluster.js';
import { runClientPhases } from './apiserver-bench-client.js';
import type { ClientHooks, ClientPlan, ClientResults, ThroughputResult } from './apiserver-bench-client.js';
import { cpuMs, mainThreadStat } from './thread-cpu.js';

interface BenchConfig {
  n: number;
  concurrency: number;
  warmup: number;
  serialCreates: number;
  gets: number;
  getConcurrency: number;
  listPods: number;
  listRepeats: number;
  watchers: number;
  watchUpdates: number;
  watchIntervalMs: number;
  clientThread: boolean;
}

const ENV_DEFAULTS: Record<string, SizeSpec<keyof BenchConfig>> = {
  BENCH_N: { key: 'n', value: 20_000 },
  BENCH_CONCURRENCY: { key: 'concurrency', value: 64, min: 0 },
  BENCH_WARMUP: { key: 'warmup', value: 1_000, min: 0 },
  BENCH_SERIAL_CREATES: { key: 'serialCreates', value: 500, min: 0 },
  BENCH_GETS: { key: 'gets', value: 5_000, min: 0 },
  BENCH_GET_CONCURRENCY: { key: 'getConcurrency', value: 16, min: 0 },
  BENCH_LIST_PODS: { key: 'listPods', value: 10_000, min: 0 },
  BENCH_LIST_REPEATS: { key: 'listRepeats', value: 5, min: 0 },
  BENCH_WATCHERS: { key: 'watchers', value: 100, min: 0 },
  BENCH_WATCH_UPDATES: { key: 'watchUpdates', value: 200, min: 0 },
  BENCH_WATCH_INTERVAL_MS: { key: 'watchIntervalMs', value: 10, min: 0 },
  BENCH_CLIENT_THREAD: { key: 'clientThread', value: 1, min: 0 },
};

const RAW_PREFIX = '/bench-raw/pods/';

function readConfig(env: NodeJS.ProcessEnv): { config: BenchConfig; overrides: string[] } {
  const { sizes, overrides } = readSizes(env, ENV_DEFAULTS);
  return { config: { ...sizes, clientThread: sizes.clientThread !== 0 }, overrides };
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/**
 * CPU per operation is the figure a busy shared machine distorts least: throughput there depends on
 * what else runs, the CPU each request costs hardly does.
 */
interface CpuSample {
  mainThread?: number;
  etcd?: number;
}

interface CpuPerOp {
  mainThreadMs?: number;
  etcdMs?: number;
}

function cpuPerOp(start: CpuSample, end: CpuSample, ops: number): CpuPerOp {
  const per = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : (b - a) / ops);
  return { mainThreadMs: per(start.mainThread, end.mainThread), etcdMs: per(start.etcd, end.etcd) };
}

async function rawPutFloor(
  client: Etcd3,
  config: BenchConfig,
  sampleCpu: () => CpuSample,
): Promise<ThroughputResult & { valueBytes: number; cpu: CpuPerOp }> {
  const put = async (index: number): Promise<void> => {
    const name = `bench-${String(index).padStart(6, '0')}`;
    await client.put(`${RAW_PREFIX}${name}`).value(Buffer.from(JSON.stringify(benchPod(name))));
  };
  await runAtConcurrency(config.warmup, config.concurrency, (i) => put(config.n + i));
  const cpuBefore = sampleCpu();
  const pool = await runAtConcurrency(config.n, config.concurrency, put);
  const cpu = cpuPerOp(cpuBefore, sampleCpu(), config.n);
  return {
    cpu,
    ops: config.n,
    perSecond: (config.n / pool.elapsedMs) * 1000,
    errors: pool.errors,
    firstError: pool.firstError,
    latency: summarize(pool.latenciesMs),
    valueBytes: Buffer.byteLength(JSON.stringify(benchPod('bench-000000'))),
  };
}

function runClientInWorker(
  plan: ClientPlan,
  hooks: ClientHooks,
  onStart: (worker: Worker) => void,
): Promise<ClientResults> {
  const worker = new Worker(new URL('./apiserver-bench-client.js', import.meta.url), { workerData: plan });
  onStart(worker);
  type Message = {
    log?: string;
    mark?: Parameters<ClientHooks['mark']>[0];
    results?: ClientResults;
    error?: string;
  };
  return new Promise<ClientResults>((resolve, reject) => {
    worker.on('message', (msg: Message) => {
      if (msg.log) hooks.log(msg.log);
      if (msg.mark) hooks.mark(msg.mark);
      if (msg.results) resolve(msg.results);
      if (msg.error) reject(new Error(`load generator failed: ${msg.error}`));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`load generator exited (code ${code}) before reporting`)));
  }).finally(() => void worker.terminate());
}

const fmtRate = (v: number) => `${Math.round(v).toLocaleString('en-US')}/s`;
const fmtMs = (v: number) => (Number.isNaN(v) ? 'n/a' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`);
const fmtPct = (s: LatencySummary) => `p50 ${fmtMs(s.p50)} · p99 ${fmtMs(s.p99)}`;
const fmtCpu = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(2)} ms`);
const fmtKb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const errorsNote = (r: ThroughputResult) =>
  r.errors ? ` (**${r.errors} errors**: ${r.firstError ?? ''})` : '';

interface Report {
  command: string;
  machine: string;
  etcdVersion: string;
  dataDir: string;
  config: BenchConfig;
  raw: Awaited<ReturnType<typeof rawPutFloor>>;
  rawAfter: Awaited<ReturnType<typeof rawPutFloor>>;
  client: ClientResults;
  createCpu: CpuPerOp;
  /** Taken before the bench starts anything: while it runs, its own threads count in the load. */
  loadAverage: number;
  wallSeconds: number;
}

function markdown(r: Report): string {
  const { config: c, raw, rawAfter, client } = r;
  const floor = (raw.perSecond + rawAfter.perSecond) / 2;
  const ratio = client.create.perSecond / floor;
  const rows: [string, string, string][] = [
    [
      `raw etcd3 puts (${fmtKb(raw.valueBytes)} value, c=${c.concurrency}, N=${c.n})`,
      `${fmtRate(raw.perSecond)} before, ${fmtRate(rawAfter.perSecond)} after${errorsNote(raw)}${errorsNote(rawAfter)}; ${fmtPct(raw.latency)} (before)`,
      'etcd docs: 44k w/s with 1000 clients on 8 vCPU; v2.2 on 2 vCPU: ~4.5k w/s with 256 clients',
    ],
    [
      `pod creates over HTTP (${fmtKb(client.manifestBytes)} manifest, c=${c.concurrency}, N=${c.n})`,
      `${fmtRate(client.create.perSecond)}${errorsNote(client.create)}`,
      '—',
    ],
    ['create latency under that load', fmtPct(client.create.latency), 'SLO p99 ≤ 1 s'],
    ['ratio creates ÷ mean raw puts', ratio.toFixed(2), 'target ≥ 0.6'],
    [
      'CPU per write: bench process main thread · etcd',
      `raw put ${fmtCpu(raw.cpu.mainThreadMs)} · ${fmtCpu(raw.cpu.etcdMs)}; create ${fmtCpu(r.createCpu.mainThreadMs)} · ${fmtCpu(r.createCpu.etcdMs)}`,
      'the main thread runs the etcd3 client for raw puts and the whole API server for creates',
    ],
  ];
  const { serialCreate, get, list, watch } = client;
  if (serialCreate) {
    rows.push([
      `create latency one at a time (${c.serialCreates}, c=1)`,
      `${fmtPct(serialCreate.latency)}${errorsNote(serialCreate)}`,
      'SLO p99 ≤ 1 s; POST pods p99 27 ms (2015)',
    ]);
  }
  if (get) {
    rows.push([
      `GET one pod (${c.gets}, c=${c.getConcurrency})`,
      `${fmtPct(get.latency)}; ${fmtRate(get.perSecond)}${errorsNote(get)}`,
      'SLO p99 ≤ 1 s',
    ]);
  }
  if (list) {
    rows.push(
      [
        `LIST ${list.pods} pods, JSON (${(list.bytes / 2 ** 20).toFixed(1)} MB), median of ${c.listRepeats}`,
        `${fmtMs(list.medianMs)} (runs: ${list.runsMs.map((v) => Math.round(v)).join(', ')} ms)`,
        'target < 1 s; SLO namespace LIST p99 ≤ 5 s; LIST pods p99 210 ms (2015)',
      ],
      [
        `LIST ${list.tableRows} pods as a Table (kubectl get), once`,
        `${fmtMs(list.tableMs)} (${(list.tableBytes / 2 ** 20).toFixed(1)} MB)`,
        'same',
      ],
    );
  }
  if (watch) {
    rows.push(
      [
        `watch delivery, ${watch.watchers} watchers × ${watch.updates} updates, from write sent`,
        `${fmtPct(watch.fromSend)} (${watch.delivered}/${watch.expected} delivered)`,
        'no SLO (watch latency SLI is WIP)',
      ],
      ['watch delivery, from write acknowledged', fmtPct(watch.fromAck), '—'],
      ['the update itself (PATCH, while fanning out)', fmtPct(watch.writeLatency), 'SLO p99 ≤ 1 s'],
    );
  }
  const lines = [
    '## API server',
    '',
    `Command: \`${r.command}\``,
    '',
    `Sizes: ${Object.entries(ENV_DEFAULTS)
      .map(([name, { key }]) => `${name}=${Number(c[key])}`)
      .join(', ')}.`,
    '',
    `Machine: ${r.machine}; etcd ${r.etcdVersion} (one member, data in ${r.dataDir}); date ${new Date().toISOString().slice(0, 10)}; whole run ${r.wallSeconds.toFixed(0)} s; 1-minute load average before the run ${r.loadAverage.toFixed(2)} (above ~0.5, other work was competing for the cores).`,
    '',
    `Client: node:http with a keep-alive Agent (maxSockets 64), ${c.clientThread ? 'in a worker thread of the bench process' : 'on the API server\u2019s own event loop'}; the API server runs in-process on the main thread. Stored pod: ${fmtKb(client.storedBytes)} as served back.`,
    '',
    ...markdownTable(['measurement', 'result', 'anchor / target'], rows),
    '',
  ];
  return lines.join('\n');
}

runBench(log, async (teardown) => {
  const { config, overrides } = readConfig(process.env);
  const command = [...overrides, 'npm run bench:apiserver'].join(' ');
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  const cluster = new BenchCluster('kubicle-bench-', log);
  let loadGenerator: Worker | undefined;
  teardown.cleanup = async () => {
    // The load stops first, so an interrupted run does not end in a burst of failed requests.
    await loadGenerator?.terminate();
    await cluster.close();
  };

  const etcd = await cluster.startEtcd();
  const { client: rawClient, version: etcdVersion } = etcd;
  log(`etcd ${etcdVersion} at ${etcd.url}, data in ${cluster.dataDir}`);

  log(`raw floor: ${config.warmup} warm-up + ${config.n} etcd3 puts at concurrency ${config.concurrency}`);
  const sampleCpu = (): CpuSample => ({ mainThread: cpuMs(mainThreadStat), etcd: cpuMs(etcd.statFile) });
  const raw = await rawPutFloor(rawClient, config, sampleCpu);
  await rawClient.delete().prefix(RAW_PREFIX);

  const server = await cluster.startApiServer({ log: (line) => !teardown.cleaning && log(line) });
  log(`API server at ${server.url}`);
  const plan: ClientPlan = {
    url: server.url,
    creates: config.n,
    concurrency: config.concurrency,
    warmup: config.warmup,
    serialCreates: config.serialCreates,
    gets: config.gets,
    getConcurrency: config.getConcurrency,
    listPods: config.listPods,
    listRepeats: config.listRepeats,
    watchers: config.watchers,
    watchUpdates: config.watchUpdates,
    watchIntervalMs: config.watchIntervalMs,
  };
  const marks = new Map<string, CpuSample>();
  const hooks: ClientHooks = { log, mark: (edge) => marks.set(edge, sampleCpu()) };
  const client = config.clientThread
    ? await runClientInWorker(plan, hooks, (worker) => (loadGenerator = worker))
    : await runClientPhases(plan, hooks);
  const createCpu = cpuPerOp(marks.get('create-start') ?? {}, marks.get('create-end') ?? {}, config.n);
  log('raw floor again');
  const rawAfter = await rawPutFloor(rawClient, config, sampleCpu);
  await rawClient.delete().prefix(RAW_PREFIX);
  const report: Report = {
    command,
    machine: machineDescription(),
    etcdVersion,
    dataDir: os.tmpdir(),
    config,
    raw,
    rawAfter,
    client,
    createCpu,
    loadAverage: loadAtStart,
    wallSeconds: (Date.now() - started) / 1000,
  };
  process.stdout.write(`${markdown(report)}\n`);
});
