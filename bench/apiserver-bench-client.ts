/**
 * The HTTP side of the API server benchmark: creates, GETs, LISTs and watches against a running API
 * server, as an ordinary client would over node:http with a keep-alive pool.
 *
 * It runs in a worker thread by default, so the load generator has its own event loop and does not
 * queue behind the in-process API server it measures (a real client is another process). Loaded as a
 * worker it takes the plan from `workerData` and posts back `{ results }` or `{ error }`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { benchPod, median, runAtConcurrency, summarize } from './bench-kit.js';
import type { LatencySummary } from './bench-kit.js';

export interface ClientPlan {
  url: string;
  creates: number;
  concurrency: number;
  warmup: number;
  /** Creates one at a time after the loaded phase: the latency of a create on an otherwise idle server. */
  serialCreates: number;
  gets: number;
  getConcurrency: number;
  listPods: number;
  listRepeats: number;
  watchers: number;
  watchUpdates: number;
  watchIntervalMs: number;
}

/** What the load generator reports while it runs: progress lines, and the edges of the timed create phase. */
export interface ClientHooks {
  log(line: string): void;
  mark(edge: 'create-start' | 'create-end'): void;
}

export interface ThroughputResult {
  ops: number;
  perSecond: number;
  errors: number;
  firstError?: string;
  latency: LatencySummary;
}

export interface ClientResults {
  manifestBytes: number;
  storedBytes: number;
  create: ThroughputResult;
  /** Phases run with a count of 0 are skipped and left out. */
  serialCreate?: ThroughputResult;
  get?: ThroughputResult;
  list?: {
    pods: number;
    bytes: number;
    runsMs: number[];
    medianMs: number;
    tableMs: number;
    tableBytes: number;
    tableRows: number;
  };
  watch?: {
    watchers: number;
    updates: number;
    expected: number;
    delivered: number;
    fromSend: LatencySummary;
    fromAck: LatencySummary;
    writeLatency: LatencySummary;
  };
}

/** kubectl's Accept header for `kubectl get`. */
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const SEQ_ANNOTATION = 'bench.kubicle.io/seq';
const SENT_ANNOTATION = 'bench.kubicle.io/sent-at-ms';
const NS_LIST = 'bench-list';
const NS_CREATE = 'bench-create';
const NS_WARMUP = 'bench-warmup';
const NS_WATCH = 'bench-watch';

interface HttpResponse {
  status: number;
  body: Buffer;
}

class HttpClient {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  constructor(private readonly base: URL) {}

  request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            ...(body !== undefined
              ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async expect(
    status: number,
    method: string,
    path: string,
    body?: string,
    headers?: Record<string, string>,
  ): Promise<Buffer> {
    const res = await this.request(method, path, body, headers);
    if (res.status !== status)
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

function podName(index: number): string {
  return `bench-${String(index).padStart(6, '0')}`;
}

function podsPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${namespace}/pods${name ? `/${name}` : ''}`;
}

function throughput(ops: number, pool: Awaited<ReturnType<typeof runAtConcurrency>>): ThroughputResult {
  return {
    ops,
    perSecond: (ops / pool.elapsedMs) * 1000,
    errors: pool.errors,
    firstError: pool.firstError,
    latency: summarize(pool.latenciesMs),
  };
}

async function createNamespace(client: HttpClient, name: string): Promise<void> {
  await client.expect(
    201,
    'POST',
    '/api/v1/namespaces',
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
  );
}

/** The first `listPods` timed creates land in the LIST namespace, so the LIST phase reads exactly that many. */
function createTarget(index: number, listPods: number): string {
  return index < listPods ? NS_LIST : NS_CREATE;
}

async function postPod(client: HttpClient, namespace: string, index: number): Promise<void> {
  await client.expect(201, 'POST', podsPath(namespace), JSON.stringify(benchPod(podName(index))));
}

async function createPhase(
  client: HttpClient,
  plan: ClientPlan,
  hooks: ClientHooks,
): Promise<ThroughputResult> {
  const post = (namespace: string, index: number) => postPod(client, namespace, index);
  await runAtConcurrency(plan.warmup, plan.concurrency, (i) => post(NS_WARMUP, i));
  hooks.mark('create-start');
  const pool = await runAtConcurrency(plan.creates, plan.concurrency, (i) =>
    post(createTarget(i, plan.listPods), i),
  );
  hooks.mark('create-end');
  if (plan.creates < plan.listPods) {
    await runAtConcurrency(plan.listPods - plan.creates, plan.concurrency, (i) =>
      post(NS_LIST, plan.creates + i),
    );
  }
  return throughput(plan.creates, pool);
}

async function getPhase(client: HttpClient, plan: ClientPlan): Promise<ThroughputResult> {
  const created = Math.max(plan.creates, plan.listPods);
  // A fixed stride over the created pods: every GET hits a different key, reproducibly.
  const pick = (i: number) => (i * 7919) % created;
  const pool = await runAtConcurrency(plan.gets, plan.getConcurrency, async (i) => {
    const index = pick(i);
    const namespace = index < plan.listPods ? NS_LIST : NS_CREATE;
    await client.expect(200, 'GET', podsPath(namespace, podName(index)));
  });
  return throughput(plan.gets, pool);
}

async function listPhase(client: HttpClient, plan: ClientPlan): Promise<ClientResults['list']> {
  const runsMs: number[] = [];
  let body: Buffer = Buffer.alloc(0);
  for (let i = 0; i < plan.listRepeats; i++) {
    const started = performance.now();
    body = await client.expect(200, 'GET', podsPath(NS_LIST));
    runsMs.push(performance.now() - started);
  }
  const pods = (JSON.parse(body.toString('utf8')) as { items: unknown[] }).items.length;
  const started = performance.now();
  const table = await client.expect(200, 'GET', podsPath(NS_LIST), undefined, { Accept: TABLE_ACCEPT });
  const tableMs = performance.now() - started;
  const tableRows = (JSON.parse(table.toString('utf8')) as { rows: unknown[] }).rows.length;
  return {
    pods,
    bytes: body.length,
    runsMs,
    medianMs: median(runsMs),
    tableMs,
    tableBytes: table.length,
    tableRows,
  };
}

interface Watcher {
  ready: Promise<void>;
  /** Arrival time (performance.now) of each update, by sequence number. */
  received: Map<number, number>;
  close(): void;
}

function openWatcher(base: URL, path: string, agent: http.Agent, onDelivery: () => void): Watcher {
  const received = new Map<number, number>();
  let request: http.ClientRequest | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    request = http.get(
      { host: base.hostname, port: base.port, path, agent, headers: { Accept: 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        resolve();
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          // Stamped on arrival, before parsing, so the client's own JSON work is not counted.
          const arrivedAt = performance.now();
          pending += chunk;
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            if (!line.trim()) continue;
            const event = JSON.parse(line) as {
              type: string;
              object: { metadata?: { annotations?: Record<string, string> } };
            };
            const seq = event.object.metadata?.annotations?.[SEQ_ANNOTATION];
            if (event.type === 'MODIFIED' && seq !== undefined && !received.has(Number(seq))) {
              received.set(Number(seq), arrivedAt);
              onDelivery();
            }
          }
        });
        res.on('error', () => undefined);
      },
    );
    request.on('error', reject);
  });
  return { ready, received, close: () => request?.destroy() };
}

async function watchPhase(client: HttpClient, plan: ClientPlan): Promise<ClientResults['watch']> {
  const name = 'watched';
  const created = JSON.parse(
    (await client.expect(201, 'POST', podsPath(NS_WATCH), JSON.stringify(benchPod(name)))).toString('utf8'),
  ) as { metadata: { resourceVersion: string } };
  const watchAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const base = new URL(plan.url);
  const expected = plan.watchers * plan.watchUpdates;
  let delivered = 0;
  let allDelivered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDelivered = resolve));
  const onDelivery = () => {
    if (++delivered === expected) allDelivered();
  };
  const watchPath = `${podsPath(NS_WATCH)}?watch=true&resourceVersion=${created.metadata.resourceVersion}`;
  const watchers = Array.from({ length: plan.watchers }, () =>
    openWatcher(base, watchPath, watchAgent, onDelivery),
  );
  try {
    await Promise.all(watchers.map((w) => w.ready));
    const sentAt = new Float64Array(plan.watchUpdates);
    const ackedAt = new Float64Array(plan.watchUpdates);
    for (let seq = 0; seq < plan.watchUpdates; seq++) {
      sentAt[seq] = performance.now();
      const patch = {
        metadata: {
          annotations: {
            [SEQ_ANNOTATION]: String(seq),
            [SENT_ANNOTATION]: (performance.timeOrigin + sentAt[seq]).toFixed(3),
          },
        },
      };
      await client.expect(200, 'PATCH', podsPath(NS_WATCH, name), JSON.stringify(patch), {
        'Content-Type': 'application/merge-patch+json',
      });
      ackedAt[seq] = performance.now();
      if (plan.watchIntervalMs > 0) await new Promise((r) => setTimeout(r, plan.watchIntervalMs));
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    const fromSend: number[] = [];
    const fromAck: number[] = [];
    for (const watcher of watchers) {
      for (const [seq, arrivedAt] of watcher.received) {
        fromSend.push(arrivedAt - sentAt[seq]);
        fromAck.push(arrivedAt - ackedAt[seq]);
      }
    }
    const writeLatency = Array.from(ackedAt, (acked, seq) => acked - sentAt[seq]);
    return {
      watchers: plan.watchers,
      updates: plan.watchUpdates,
      expected,
      delivered,
      fromSend: summarize(fromSend),
      fromAck: summarize(fromAck),
      writeLatency: summarize(writeLatency),
    };
  } finally {
    for (const w of watchers) w.close();
    watchAgent.destroy();
  }
}

export async function runClientPhases(plan: ClientPlan, hooks: ClientHooks): Promise<ClientResults> {
  const { log } = hooks;
  const client = new HttpClient(new URL(plan.url));
  try {
    for (const ns of [NS_WARMUP, NS_LIST, NS_CREATE, NS_WATCH]) await createNamespace(client, ns);
    const manifestBytes = Buffer.byteLength(JSON.stringify(benchPod(podName(0))));
    log(`creating ${plan.warmup} warm-up + ${plan.creates} pods at concurrency ${plan.concurrency}`);
    const create = await createPhase(client, plan, hooks);
    const storedBytes = (
      await client.expect(200, 'GET', podsPath(createTarget(0, plan.listPods), podName(0)))
    ).length;
    let serialCreate: ClientResults['serialCreate'];
    if (plan.serialCreates > 0) {
      log(`${plan.serialCreates} creates one at a time`);
      // Indices far above the loaded phase's, in the namespace the LIST phase does not read.
      const pool = await runAtConcurrency(plan.serialCreates, 1, (i) =>
        postPod(client, NS_CREATE, 1_000_000 + i),
      );
      serialCreate = throughput(plan.serialCreates, pool);
    }
    let get: ClientResults['get'];
    if (plan.gets > 0) {
      log(`${plan.gets} GETs at concurrency ${plan.getConcurrency}`);
      get = await getPhase(client, plan);
    }
    let list: ClientResults['list'];
    if (plan.listRepeats > 0) {
      log(`LIST of ${plan.listPods} pods, ${plan.listRepeats} times, then once as a Table`);
      list = await listPhase(client, plan);
    }
    let watch: ClientResults['watch'];
    if (plan.watchers > 0 && plan.watchUpdates > 0) {
      log(`${plan.watchers} watchers, ${plan.watchUpdates} updates`);
      watch = await watchPhase(client, plan);
    }
    return { manifestBytes, storedBytes, create, serialCreate, get, list, watch };
  } finally {
    client.close();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const hooks: ClientHooks = {
    log: (line) => port.postMessage({ log: line }),
    mark: (edge) => port.postMessage({ mark: edge }),
  };
  runClientPhases(workerData as ClientPlan, hooks).then(
    (results) => port.postMessage({ results }),
    (err: unknown) =>
      port.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}
