/**
 * What TLS and authorization cost the API server (`npm run bench:security`): one private etcd and two
 * API servers in this process against it, each on its own etcd prefix so neither sees the other's
 * writes:
 *
 *  - plain: HTTP, no tokens, so nobody is authenticated and nothing is authorized;
 *  - secure: HTTPS with the CA and serving certificate of cli/pki.ts, bearer tokens, client
 *    certificates from that CA, and the RBAC and Node authorizers, as `kubicle up` serves. Its
 *    load runs as a user that is not an admin: a RoleBinding in the bench namespace gives it the
 *    ClusterRole `edit`, so every request walks the bindings and rules instead of the
 *    `system:masters` shortcut. That user comes once with a bearer token (variant `token`) and once
 *    with a client certificate (`cert`);
 *  - on request (`BENCH_VARIANTS`), tls: HTTPS with the same certificate but nobody authenticated,
 *    which tells what TLS alone costs.
 *
 * The variants take turns round by round (plain, token, cert, then cert, token, plain, ...), so load
 * that other work puts on the machine falls on all; the report gives each figure's median over the
 * rounds. A round is a fresh load-generator worker thread (keep-alive pool, so TLS handshakes happen
 * in the warm-up and not per request, as with a real client) that creates pods at a fixed
 * concurrency, then GETs them one by one at another, then one at a time. CPU per request is read for
 * the server thread, etcd and the client thread alike. Progress goes to stderr, markdown for
 * BENCHMARKS.md to stdout.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startApiServer } from '../apiserver/api-server.js';
import type { ApiServerConfig, RunningApiServer } from '../apiserver/api-server.js';
import { ensureClientCertificate, ensureServingCertificate, servingNames } from '../cli/pki.js';
import {
  benchPod,
  machineDescription,
  markdownTable,
  median,
  readSizes,
  runAtConcurrency,
  runBench,
  summarize,
} from './bench-kit.js';
import type { LatencySummary, PoolResult, SizeSpec } from './bench-kit.js';
import { BenchCluster } from './bench-cluster.js';
import { cpuMs, mainThreadStat, sumCpu, threadIds, workerThreadStats } from './thread-cpu.js';

interface BenchConfig {
  rounds: number;
  n: number;
  warmup: number;
  concurrency: number;
  gets: number;
  getConcurrency: number;
  serialGets: number;
}

const ENV_DEFAULTS: Record<string, SizeSpec<keyof BenchConfig>> = {
  BENCH_ROUNDS: { key: 'rounds', value: 5 },
  BENCH_N: { key: 'n', value: 6_000 },
  BENCH_WARMUP: { key: 'warmup', value: 500, min: 0 },
  BENCH_CONCURRENCY: { key: 'concurrency', value: 64 },
  BENCH_GETS: { key: 'gets', value: 5_000, min: 0 },
  BENCH_GET_CONCURRENCY: { key: 'getConcurrency', value: 16 },
  BENCH_SERIAL_GETS: { key: 'serialGets', value: 1_000, min: 0 },
};

const VARIANTS = ['plain', 'tls', 'token', 'cert'] as const;
type Variant = (typeof VARIANTS)[number];
/** `tls` (HTTPS, nobody authenticated) only splits TLS from authentication when asked for. */
const DEFAULT_VARIANTS: readonly Variant[] = ['plain', 'token', 'cert'];

/** The variants named in `BENCH_VARIANTS` (comma-separated), in their fixed order; a value set joins `overrides`. */
function readVariants(env: NodeJS.ProcessEnv, overrides: string[]): readonly Variant[] {
  const raw = env.BENCH_VARIANTS;
  if (raw === undefined || raw === '') return DEFAULT_VARIANTS;
  const named = raw.split(',').map((v) => v.trim());
  const unknown = named.filter((v) => !(VARIANTS as readonly string[]).includes(v));
  if (unknown.length || !named.length)
    throw new Error(`BENCH_VARIANTS must list some of ${VARIANTS.join(', ')}, got ${JSON.stringify(raw)}`);
  overrides.push(`BENCH_VARIANTS=${raw}`);
  return VARIANTS.filter((v) => named.includes(v));
}

const NAMESPACE = 'bench';
const BENCH_USER = 'bench-editor';

/** Where a round's client sends its requests, and as whom. */
interface Target {
  url: string;
  /** The CA to check an HTTPS server against. */
  ca?: string;
  token?: string;
  /** A client certificate and its key (PEM). */
  cert?: string;
  key?: string;
}

interface RoundPlan {
  target: Target;
  variant: Variant;
  round: number;
  config: BenchConfig;
}

type Edge = 'create-start' | 'create-end' | 'get-start' | 'get-end';

interface Throughput {
  perSecond: number;
  errors: number;
  firstError?: string;
  latency: LatencySummary;
}

interface RoundResults {
  /** Connections the client opened in the whole round: with keep-alive, about one per lane. */
  connections: number;
  create: Throughput;
  get?: Throughput;
  serialGet?: Throughput;
}

interface Reply {
  status: number;
  body: string;
}

/** One request over `agent`; `https` when the target is. */
function send(
  target: Target,
  agent: http.Agent | undefined,
  method: string,
  urlPath: string,
  body?: unknown,
  onSocket?: (socket: object) => void,
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const url = new URL(target.url);
  const secure = url.protocol === 'https:';
  const options: https.RequestOptions = {
    host: url.hostname,
    port: url.port,
    method,
    path: urlPath,
    agent,
    ...(secure ? { ca: target.ca, cert: target.cert, key: target.key } : {}),
    headers: {
      Accept: 'application/json',
      ...(target.token ? { Authorization: `Bearer ${target.token}` } : {}),
      ...(payload !== undefined
        ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
        : {}),
    },
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    if (onSocket) req.on('socket', onSocket);
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectStatus(
  status: number,
  target: Target,
  agent: http.Agent | undefined,
  method: string,
  urlPath: string,
  body?: unknown,
  onSocket?: (socket: object) => void,
): Promise<void> {
  const reply = await send(target, agent, method, urlPath, body, onSocket);
  if (reply.status !== status)
    throw new Error(`${method} ${urlPath}: HTTP ${reply.status}: ${reply.body.slice(0, 300)}`);
}

const podsPath = (name?: string) => `/api/v1/namespaces/${NAMESPACE}/pods${name ? `/${name}` : ''}`;

function throughput(ops: number, pool: PoolResult): Throughput {
  return {
    perSecond: (ops / pool.elapsedMs) * 1000,
    errors: pool.errors,
    firstError: pool.firstError,
    latency: summarize(pool.latenciesMs),
  };
}

/** The load of one round, in the worker thread. */
async function runRound(plan: RoundPlan, mark: (edge: Edge) => void): Promise<RoundResults> {
  const { target, variant, round, config: c } = plan;
  const secure = new URL(target.url).protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: c.concurrency };
  const agent = secure
    ? new https.Agent({ ...agentOptions, ca: target.ca, cert: target.cert, key: target.key })
    : new http.Agent(agentOptions);
  const podName = (index: number) => `${variant}-${round}-${String(index).padStart(6, '0')}`;
  const sockets = new WeakSet<object>();
  let connections = 0;
  const seen = (socket: object) => {
    if (!sockets.has(socket)) connections++;
    sockets.add(socket);
  };
  const create = (name: string) => expectStatus(201, target, agent, 'POST', podsPath(), benchPod(name), seen);
  try {
    // The warm-up opens the whole pool, so the timed phases reuse connections whose handshake is done.
    await runAtConcurrency(c.warmup, c.concurrency, (i) => create(`${variant}-${round}-w${i}`));
    mark('create-start');
    const creates = await runAtConcurrency(c.n, c.concurrency, (i) => create(podName(i)));
    mark('create-end');
    // A fixed stride over this round's pods: every GET reads a different key, reproducibly.
    const get = (i: number) =>
      expectStatus(200, target, agent, 'GET', podsPath(podName((i * 7919) % c.n)), undefined, seen);
    let gets: PoolResult | undefined;
    if (c.gets > 0) {
      mark('get-start');
      gets = await runAtConcurrency(c.gets, c.getConcurrency, get);
      mark('get-end');
    }
    const serial = c.serialGets > 0 ? await runAtConcurrency(c.serialGets, 1, (i) => get(i + 1)) : undefined;
    return {
      connections,
      create: throughput(c.n, creates),
      get: gets && throughput(c.gets, gets),
      serialGet: serial && throughput(c.serialGets, serial),
    };
  } finally {
    agent.destroy();
  }
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

interface CpuSample {
  server?: number;
  etcd?: number;
  client?: number;
}

interface CpuPerOp {
  server?: number;
  etcd?: number;
  client?: number;
}

function cpuPerOp(start: CpuSample | undefined, end: CpuSample | undefined, ops: number): CpuPerOp {
  const per = (key: keyof CpuSample) => {
    const a = start?.[key];
    const b = end?.[key];
    return a === undefined || b === undefined ? undefined : (b - a) / ops;
  };
  return { server: per('server'), etcd: per('etcd'), client: per('client') };
}

interface RoundReport extends RoundResults {
  variant: Variant;
  createCpu: CpuPerOp;
  getCpu: CpuPerOp;
}

/** Runs one round in a fresh worker, reading CPU at the edges the worker marks. */
async function roundInWorker(
  plan: RoundPlan,
  variant: Variant,
  etcdStat: string,
  onStart: (worker: Worker | undefined) => void,
): Promise<RoundReport> {
  const before = threadIds();
  const worker = new Worker(new URL(import.meta.url), { workerData: plan });
  onStart(worker);
  const clientStats = await workerThreadStats(worker, before);
  const marks = new Map<Edge, CpuSample>();
  const sample = (): CpuSample => ({
    server: cpuMs(mainThreadStat),
    etcd: cpuMs(etcdStat),
    client: sumCpu(clientStats),
  });
  type Message = { mark?: Edge; results?: RoundResults; error?: string };
  try {
    const results = await new Promise<RoundResults>((resolve, reject) => {
      worker.on('message', (msg: Message) => {
        if (msg.mark) marks.set(msg.mark, sample());
        if (msg.results) resolve(msg.results);
        if (msg.error) reject(new Error(`load generator failed: ${msg.error}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`load generator exited (code ${code}) before reporting`)));
    });
    const { n, gets } = plan.config;
    return {
      ...results,
      variant,
      createCpu: cpuPerOp(marks.get('create-start'), marks.get('create-end'), n),
      getCpu: cpuPerOp(marks.get('get-start'), marks.get('get-end'), gets),
    };
  } finally {
    onStart(undefined);
    await worker.terminate();
  }
}

/** Until `check` holds or `timeoutMs` passed; bindings reach the authorizer through a watch. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The bench namespace on one server. */
/**
 * A cluster always has someone watching pods (the scheduler, every kubelet), so the server keeps a
 * pods watch cache either way; the Node authorizer's graph follows that same cache. Each server gets
 * one such watcher, whose bytes are read and dropped.
 */
function watchPods(target: Target, closers: (() => void)[]): void {
  const url = new URL('/api/v1/pods?watch=true&allowWatchBookmarks=true', target.url);
  const get = url.protocol === 'https:' ? https.get : http.get;
  const req = get(
    url,
    {
      ca: target.ca,
      headers: target.token ? { Authorization: `Bearer ${target.token}` } : {},
    },
    (res) => res.resume(),
  );
  req.on('error', () => undefined);
  closers.push(() => req.destroy());
}

async function createNamespace(admin: Target): Promise<void> {
  await expectStatus(201, admin, undefined, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NAMESPACE },
  });
}

/** The binding that lets the bench user edit the bench namespace, once each of `users` feels it. */
async function bindBenchUser(admin: Target, users: readonly Target[]): Promise<void> {
  await expectStatus(
    201,
    admin,
    undefined,
    'POST',
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${BENCH_USER}-edit` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: BENCH_USER }],
    },
  );
  for (const user of users) {
    await until(
      'the RoleBinding to take effect',
      async () => (await send(user, undefined, 'GET', `${podsPath()}?limit=1`)).status === 200,
    );
    // The measured user must be an ordinary one: outside its namespace RBAC has to say no.
    const elsewhere = await send(user, undefined, 'GET', '/api/v1/namespaces/default/pods?limit=1');
    if (elsewhere.status !== 403)
      throw new Error(`the bench user should be forbidden outside ${NAMESPACE}, got ${elsewhere.status}`);
  }
}

const fmtRate = (v: number) => `${Math.round(v).toLocaleString('en-US')}/s`;
const fmtMs = (v: number) => (Number.isNaN(v) ? 'n/a' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`);
const fmtCpu = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(3));
const fmtRatio = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/** The median over rounds, with every round's value in order, e.g. `1,234/s (1,200, 1,234, 1,300)`. */
function medianOf(values: number[], fmt: (v: number) => string): { value: number; text: string } {
  const value = median(values);
  return { value, text: `**${fmt(value)}** (${values.map(fmt).join(', ')})` };
}

interface Report {
  command: string;
  config: BenchConfig;
  variants: readonly Variant[];
  rounds: RoundReport[];
  etcdVersion: string;
  loadAverage: number;
  wallSeconds: number;
}

function errorsNote(rounds: RoundReport[]): string {
  const failed = rounds.flatMap((r) =>
    [r.create, r.get, r.serialGet].filter((t): t is Throughput => Boolean(t?.errors)),
  );
  if (!failed.length) return '';
  return ` **${failed.reduce((n, t) => n + t.errors, 0)} requests failed** (${failed[0].firstError ?? ''}).`;
}

/** Server, etcd and client together: with every core busy, creates/s can be at most inversely proportional to it. */
function sumOf(cpu: CpuPerOp): number | undefined {
  const { server, etcd, client } = cpu;
  return server === undefined || etcd === undefined || client === undefined
    ? undefined
    : server + etcd + client;
}

function markdown(r: Report): string {
  const { config: c } = r;
  const secured = r.variants.filter((v) => v !== 'plain');
  const withPlain = r.variants.includes('plain');
  const cellsOf = (pick: (round: RoundReport) => number | undefined, fmt: (v: number) => string) =>
    new Map(
      r.variants.map((variant) => {
        const values = r.rounds
          .filter((round) => round.variant === variant)
          .map(pick)
          .filter((v): v is number => v !== undefined);
        return [variant, values.length ? medianOf(values, fmt) : { value: Number.NaN, text: 'n/a' }];
      }),
    );
  /** A row, with `compare(plain, variant)` per secured variant in the last column. */
  const row = (
    label: string,
    pick: (round: RoundReport) => number | undefined,
    fmt: (v: number) => string,
    compare?: (plain: number, other: number) => string,
  ): string[] => {
    const cells = cellsOf(pick, fmt);
    const plain = cells.get('plain')?.value ?? Number.NaN;
    const last =
      withPlain && compare
        ? secured.map((v) => `${v}: ${compare(plain, cells.get(v)?.value ?? Number.NaN)}`).join(' · ')
        : '';
    return [label, ...r.variants.map((v) => cells.get(v)?.text ?? 'n/a'), last];
  };
  const target = (v: number) => `**${fmtRatio(v)}** (${v >= 0.8 ? 'met' : '**not met**'})`;
  const delta = (p: number, s: number) => `${s >= p ? '+' : '−'}${fmtCpu(Math.abs(s - p))}`;
  const cpu = (label: string, which: 'createCpu' | 'getCpu', key: keyof CpuPerOp) =>
    row(label, (round) => round[which][key], fmtCpu, delta);
  const rows = [
    row(
      `pod creates/s, ${c.concurrency} in flight (N=${c.n})`,
      (round) => round.create.perSecond,
      fmtRate,
      (p, s) => `${target(s / p)}`,
    ),
    row('create latency p50', (round) => round.create.latency.p50, fmtMs),
    row('create latency p99', (round) => round.create.latency.p99, fmtMs),
  ];
  if (c.gets > 0) {
    rows.push(
      row(`GET one pod, ${c.getConcurrency} in flight: p50`, (round) => round.get?.latency.p50, fmtMs),
      row(
        `GET one pod, ${c.getConcurrency} in flight: p99`,
        (round) => round.get?.latency.p99,
        fmtMs,
        (p, s) => `${target(p / s)}`,
      ),
      row(
        'GET one pod: rate',
        (round) => round.get?.perSecond,
        fmtRate,
        (p, s) => fmtRatio(s / p),
      ),
    );
  }
  if (c.serialGets > 0) {
    rows.push(
      row('GET one pod, one at a time: p50', (round) => round.serialGet?.latency.p50, fmtMs, delta),
      row('GET one pod, one at a time: p99', (round) => round.serialGet?.latency.p99, fmtMs),
    );
  }
  rows.push(
    cpu('CPU ms per create: server thread', 'createCpu', 'server'),
    cpu('CPU ms per create: etcd', 'createCpu', 'etcd'),
    cpu('CPU ms per create: client thread', 'createCpu', 'client'),
    row(
      'CPU ms per create: all three',
      (round) => sumOf(round.createCpu),
      fmtCpu,
      (p, s) => `${delta(p, s)}; plain ÷ it ${fmtRatio(p / s)}`,
    ),
  );
  if (c.gets > 0) {
    rows.push(
      cpu('CPU ms per GET: server thread', 'getCpu', 'server'),
      cpu('CPU ms per GET: client thread', 'getCpu', 'client'),
    );
  }
  const names: Record<Variant, string> = {
    plain: 'plain: HTTP, no authentication',
    tls: 'tls: HTTPS, no authentication',
    token: 'token: HTTPS, bearer token, RBAC',
    cert: 'cert: HTTPS, client certificate, RBAC',
  };
  const order = r.rounds.map((round) => round.variant).join(', ');
  return [
    '## TLS and authorization',
    '',
    `Command: \`${r.command}\``,
    '',
    `Sizes: ${Object.entries(ENV_DEFAULTS)
      .map(([name, { key }]) => `${name}=${c[key]}`)
      .join(
        ', ',
      )}. Rounds in order: ${order}. Connections the client opened per round (keep-alive): ${r.rounds.map((round) => round.connections).join(', ')}.`,
    '',
    `Machine: ${machineDescription()}; etcd ${r.etcdVersion}; date ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; whole run ${r.wallSeconds.toFixed(0)} s; 1-minute load average before the run ${r.loadAverage.toFixed(2)}.${errorsNote(r.rounds)}`,
    '',
    `Medians over the rounds, each round in brackets. The secured variants run as \`${BENCH_USER}\`, bound to ClusterRole edit in \`${NAMESPACE}\` only. Last column, per variant against plain: its creates/s ÷ plain's, plain's GET p99 ÷ its, its GET rate ÷ plain's, and the differences in latency and CPU (target for the first two: ≥ 0.8).`,
    '',
    ...markdownTable(['measurement', ...r.variants.map((v) => names[v]), 'against plain'], rows),
    '',
  ].join('\n');
}

function mainThread(): void {
  runBench(log, async (teardown) => {
    const { sizes: config, overrides } = readSizes(process.env, ENV_DEFAULTS);
    const variants = readVariants(process.env, overrides);
    const command = [...overrides, 'npm run bench:security'].join(' ');
    const started = Date.now();
    const loadAverage = os.loadavg()[0];
    const cluster = new BenchCluster('kubicle-security-bench-', log);
    const servers: RunningApiServer[] = [];
    let loadGenerator: Worker | undefined;
    const watchers: (() => void)[] = [];
    teardown.cleanup = async () => {
      await loadGenerator?.terminate();
      for (const close of watchers) close();
      for (const server of servers)
        await server.close().catch((err: unknown) => log(`close: ${String(err)}`));
      await cluster.close();
    };

    const etcd = await cluster.startEtcd();
    log(`etcd ${etcd.version} at ${etcd.url}, data in ${cluster.dataDir}`);
    const serverLog = (line: string) => !teardown.cleaning && log(line);
    // Each server on its own prefix, so neither one's caches follow the other's writes.
    const start = (prefix: string, config: Partial<ApiServerConfig>) =>
      startApiServer({
        etcdServers: [etcd.url],
        etcdPrefix: prefix,
        port: 0,
        bindAddress: '127.0.0.1',
        compactionIntervalMs: 0,
        log: serverLog,
        ...config,
      }).then((server) => {
        servers.push(server);
        log(`API server at ${server.url}`);
        return server;
      });
    const targets = {} as Record<Variant, Target>;
    if (variants.includes('plain')) {
      const server = await start('/bench-plain', {});
      targets.plain = { url: server.url };
      await createNamespace(targets.plain);
      watchPods(targets.plain, watchers);
    }
    const pkiDir = path.join(cluster.dataDir, 'pki');
    const pki = ensureServingCertificate(pkiDir, servingNames());
    if (variants.includes('tls')) {
      const server = await start('/bench-tls', { tls: { cert: pki.cert, key: pki.key }, caCert: pki.caCert });
      targets.tls = { url: server.url, ca: pki.caCert };
      await createNamespace(targets.tls);
      watchPods(targets.tls, watchers);
    }
    const secured = variants.filter((v) => v === 'token' || v === 'cert');
    if (secured.length) {
      const client = ensureClientCertificate(pkiDir, BENCH_USER, {
        commonName: BENCH_USER,
        organizations: [],
      });
      const adminToken = crypto.randomBytes(24).toString('base64url');
      const userToken = crypto.randomBytes(24).toString('base64url');
      const server = await start('/bench-secure', {
        tls: { cert: pki.cert, key: pki.key },
        caCert: pki.caCert,
        clientCA: pki.caCert,
        tokens: [adminToken],
        tokenUsers: [{ token: userToken, user: BENCH_USER, groups: [] }],
      });
      const base: Target = { url: server.url, ca: pki.caCert };
      targets.token = { ...base, token: userToken };
      targets.cert = { ...base, cert: client.cert, key: client.key };
      await createNamespace({ ...base, token: adminToken });
      watchPods({ ...base, token: adminToken }, watchers);
      await bindBenchUser(
        { ...base, token: adminToken },
        secured.map((v) => targets[v]),
      );
    }

    const rounds: RoundReport[] = [];
    for (let round = 0; round < config.rounds; round++) {
      // Reversing the order every other round cancels a steady drift (the store growing, load changing).
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) {
        log(
          `round ${round + 1}/${config.rounds} ${variant}: ${config.warmup} + ${config.n} creates at ${config.concurrency}, ${config.gets} GETs at ${config.getConcurrency}, ${config.serialGets} one at a time`,
        );
        const plan: RoundPlan = { target: targets[variant], variant, round, config };
        const report = await roundInWorker(plan, variant, etcd.statFile, (w) => (loadGenerator = w));
        log(
          `  ${fmtRate(report.create.perSecond)} creates, GET p99 ${fmtMs(report.get?.latency.p99 ?? Number.NaN)}, server CPU per create ${fmtCpu(report.createCpu.server)} ms, per GET ${fmtCpu(report.getCpu.server)} ms`,
        );
        rounds.push(report);
      }
    }
    const report: Report = {
      command,
      config,
      variants,
      rounds,
      etcdVersion: etcd.version,
      loadAverage,
      wallSeconds: (Date.now() - started) / 1000,
    };
    process.stdout.write(`${markdown(report)}\n`);
  });
}

if (isMainThread) {
  mainThread();
} else if (parentPort) {
  const port = parentPort;
  runRound(workerData as RoundPlan, (edge) => port.postMessage({ mark: edge })).then(
    (results) => port.postMessage({ results }),
    (err: unknown) =>
      port.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}
