/**
 * Proxy benchmark (`npm run bench:proxy`, as root): the cost of the rule-based proxy modes at 1,000
 * services × 10 endpoints, every rule applied inside a private network namespace so the host's own
 * tables are never touched. Measures, in one run:
 *
 *  1. building the rulesets (pure functions: iptables-restore text, nft script) and their size;
 *  2. per backend (iptables mode through iptables-nft or iptables-legacy, and the nftables mode):
 *     the first full sync into empty tables, the periodic full resync over installed rules, a
 *     partial sync after one service's endpoints changed, and one read of the installed rules;
 *  3. per backend, end to end through a real API server (private etcd): the proxy's first sync after
 *     its informers listed everything, and the time from an Endpoints update request to the end of
 *     the restore (or nft transaction) that removed the endpoint's rules.
 *
 * Progress goes to stderr; the results go to stdout as markdown for BENCHMARKS.md. The namespaces,
 * etcd, the server and the temp dir are removed at the end whatever happens, including Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { servicePortChainName, servicePortNameString } from '../proxy/chain-names.js';
import { Iptables } from '../proxy/iptables.js';
import { iptablesExecutor } from '../proxy/iptables-backend.js';
import type { IptablesBackend } from '../proxy/iptables-backend.js';
import { Nftables } from '../proxy/nftables.js';
import { NftablesProxier } from '../proxy/nftables-proxier.js';
import { runCommand } from '../proxy/netns-command.js';
import { SERVICE_CHAIN_PREFIX, hashAndTruncate, planNftRuleset } from '../proxy/nftables-ruleset.js';
import { Proxier } from '../proxy/proxier.js';
import { startProxy } from '../proxy/proxy-server.js';
import type { ProxySyncReport } from '../proxy/proxy-server.js';
import type { RulesProxier } from '../proxy/rules-proxier.js';
import { planRuleset } from '../proxy/ruleset.js';
import type { EndpointsInput, ServiceInput } from '../proxy/ruleset.js';
import { markdownTable, median, runAtConcurrency, runBench } from './bench-kit.js';
import { BenchCluster } from './bench-cluster.js';

/** An iptables backend of the iptables mode, or the nftables mode. */
type Backend = IptablesBackend | 'nftables';

interface BenchConfig {
  services: number;
  endpoints: number;
  backends: Backend[];
  repeats: number;
  changes: number;
  e2e: boolean;
}

interface BackendResult {
  backend: Backend;
  firstFullMs: number;
  resyncFullMs: number[];
  /** iptables-restore of the whole ruleset over installed rules, alone (no save, no build). */
  restoreOnlyMs: number[];
  partialMs: number[];
  saveNatMs: number;
}

interface EndToEndResult {
  backend: Backend;
  firstSyncMs: number;
  changeToRuleMs: number[];
}

interface Report {
  command: string;
  machine: string;
  config: BenchConfig;
  planColdMs: number;
  planWarmMs: number;
  size: { bytes: number; lines: number; chains: number; rules: number };
  nftPlanColdMs: number;
  nftPlanWarmMs: number;
  nftSize: { bytes: number; lines: number; chains: number; rules: number; elements: number };
  backends: BackendResult[];
  endToEnd: EndToEndResult[];
  loadAverage: number;
  wallSeconds: number;
}

const NAMESPACE = 'bench';

function readConfig(env: NodeJS.ProcessEnv): { config: BenchConfig; overrides: string[] } {
  const overrides: string[] = [];
  const int = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined) return fallback;
    overrides.push(`${name}=${value}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${name} must be a non-negative integer, got ${value}`);
    return n;
  };
  const backends = (env.BENCH_BACKENDS ?? 'nft,legacy,nftables').split(',').filter(Boolean) as Backend[];
  if (env.BENCH_BACKENDS !== undefined) overrides.push(`BENCH_BACKENDS=${env.BENCH_BACKENDS}`);
  return {
    config: {
      services: int('BENCH_SERVICES', 1000),
      endpoints: int('BENCH_ENDPOINTS', 10),
      backends,
      repeats: Math.max(1, int('BENCH_REPEATS', 3)),
      changes: int('BENCH_CHANGES', 10),
      e2e: int('BENCH_E2E', 1) === 1,
    },
    overrides,
  };
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

function clusterIP(i: number): string {
  return `10.96.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`;
}

function endpointIPs(i: number, count: number): string[] {
  return Array.from({ length: count }, (_, e) => `10.${100 + Math.floor(i / 250)}.${i % 250}.${e + 1}`);
}

function endpointsObject(i: number, ips: readonly string[]): EndpointsInput & { metadata: { name: string } } {
  return {
    metadata: { namespace: NAMESPACE, name: serviceName(i) },
    subsets: [
      { addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
    ],
  };
}

function fixture(config: BenchConfig): { services: ServiceInput[]; endpoints: EndpointsInput[] } {
  const services: ServiceInput[] = [];
  const endpoints: EndpointsInput[] = [];
  for (let i = 0; i < config.services; i++) {
    services.push({
      metadata: { namespace: NAMESPACE, name: serviceName(i) },
      spec: {
        type: 'ClusterIP',
        clusterIP: clusterIP(i),
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      },
    });
    endpoints.push(endpointsObject(i, endpointIPs(i, config.endpoints)));
  }
  return { services, endpoints };
}

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** Building a ruleset (pure): the first time, the median of five more, and its size. */
async function measureBuild(build: () => string, chainLine: RegExp, ruleLine: RegExp) {
  const cold = await timed(build);
  const warm: number[] = [];
  for (let r = 0; r < 5; r++) warm.push((await timed(build)).ms);
  const text = cold.value;
  const size = {
    bytes: Buffer.byteLength(text),
    lines: text.split('\n').length - 1,
    chains: (text.match(chainLine) ?? []).length,
    rules: (text.match(ruleLine) ?? []).length,
  };
  return { coldMs: cold.ms, warmMs: median(warm), text, size };
}

/** A private network namespace, deleted by the returned function. */
async function privateNamespace(created: Set<string>): Promise<string> {
  const name = `kubicle-bench-${randomBytes(3).toString('hex')}`;
  const result = await runCommand(['ip', 'netns', 'add', name]);
  if (result.exitCode !== 0) throw new Error(`ip netns add ${name}: ${result.stderr.trim()}`);
  created.add(name);
  return name;
}

async function deleteNamespace(name: string, created: Set<string>): Promise<void> {
  await runCommand(['ip', 'netns', 'del', name]);
  created.delete(name);
}

/** One endpoint of one service goes away, as when a pod is deleted; `r` picks which. */
function withOneEndpointLess(
  endpoints: readonly EndpointsInput[],
  r: number,
  config: BenchConfig,
): EndpointsInput[] {
  const i = (r * 97) % config.services;
  return endpoints.map((ep, index) =>
    index === i ? endpointsObject(i, endpointIPs(i, config.endpoints).slice(0, -1 - (r % 3))) : ep,
  );
}

/** One backend inside a namespace, as `measureBackend` drives it. */
interface BackendUnderTest {
  readonly proxier: RulesProxier;
  /** What the first sync starts from, for the log. */
  readonly emptyState: string;
  /** The tool alone applying the whole ruleset again (no build, no read), and its log label. */
  readonly applyWhole: () => Promise<unknown>;
  readonly applyWholeLabel: string;
  /** Whether the proxier must resync after those applies before partial syncs may follow. */
  readonly resyncAfterApplyWhole: boolean;
  /** One read of the installed rules. */
  readonly read: () => Promise<unknown>;
}

function backendUnderTest(
  backend: Backend,
  ns: string,
  inputs: { services: ServiceInput[]; endpoints: EndpointsInput[] },
): BackendUnderTest {
  if (backend === 'nftables') {
    const nft = new Nftables({ netns: ns });
    // The whole table replaced (as after a restart or a failure).
    const text = planNftRuleset(inputs).text;
    return {
      proxier: new NftablesProxier(nft),
      emptyState: 'an empty namespace',
      applyWhole: () => nft.apply(text),
      applyWholeLabel: 'table replaced, nft alone',
      resyncAfterApplyWhole: true,
      read: () => nft.listTable(),
    };
  }
  const iptables = new Iptables({ netns: ns, exec: iptablesExecutor(backend) });
  const text = planRuleset({ ...inputs, existing: undefined }).text.replace(/^-I .*\n/gm, '');
  return {
    proxier: new Proxier(iptables),
    emptyState: 'empty tables',
    applyWhole: () => iptables.restore(text),
    applyWholeLabel: 'restore alone',
    resyncAfterApplyWhole: false,
    read: () => iptables.save('nat'),
  };
}

async function measureBackend(
  backend: Backend,
  config: BenchConfig,
  inputs: { services: ServiceInput[]; endpoints: EndpointsInput[] },
  namespaces: Set<string>,
): Promise<BackendResult> {
  const ns = await privateNamespace(namespaces);
  try {
    const { proxier, ...under } = backendUnderTest(backend, ns, inputs);
    log(`${backend}: first full sync into ${under.emptyState}`);
    const first = await timed(() => proxier.sync(inputs));
    const resyncFullMs: number[] = [];
    for (let r = 0; r < config.repeats; r++) {
      resyncFullMs.push((await timed(() => proxier.sync(inputs, { full: true }))).ms);
      log(`${backend}: full resync ${r + 1}/${config.repeats}: ${Math.round(resyncFullMs.at(-1)!)} ms`);
    }
    const restoreOnlyMs: number[] = [];
    for (let r = 0; r < config.repeats; r++) restoreOnlyMs.push((await timed(under.applyWhole)).ms);
    log(`${backend}: ${under.applyWholeLabel} ${restoreOnlyMs.map(Math.round).join(', ')} ms`);
    if (under.resyncAfterApplyWhole) await proxier.sync(inputs, { full: true });
    const partialMs: number[] = [];
    let endpoints = inputs.endpoints;
    for (let r = 0; r < config.repeats + 2; r++) {
      endpoints = withOneEndpointLess(endpoints, r, config);
      const partial = await timed(() => proxier.sync({ services: inputs.services, endpoints }));
      if (partial.value.full) throw new Error('expected a partial sync');
      partialMs.push(partial.ms);
    }
    log(`${backend}: partial syncs ${partialMs.map(Math.round).join(', ')} ms`);
    const read = await timed(under.read);
    return { backend, firstFullMs: first.ms, resyncFullMs, restoreOnlyMs, partialMs, saveNatMs: read.ms };
  } finally {
    await deleteNamespace(ns, namespaces);
  }
}

async function createObjects(client: ApiClient, config: BenchConfig): Promise<void> {
  await client.create('v1', 'Namespace', undefined, { metadata: { name: NAMESPACE } });
  const result = await runAtConcurrency(config.services * 2, 32, async (index) => {
    const i = Math.floor(index / 2);
    if (index % 2 === 0) {
      await client.create('v1', 'Service', NAMESPACE, {
        metadata: { name: serviceName(i) },
        spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
    } else {
      await client.create('v1', 'Endpoints', NAMESPACE, endpointsObject(i, endpointIPs(i, config.endpoints)));
    }
  });
  if (result.errors > 0) throw new Error(`${result.errors} creates failed, the first: ${result.firstError}`);
  log(`created ${config.services} services and their endpoints in ${Math.round(result.elapsedMs)} ms`);
}

async function measureEndToEnd(
  backend: Backend,
  config: BenchConfig,
  kubeConfig: KubeConfig,
  client: ApiClient,
  namespaces: Set<string>,
): Promise<EndToEndResult> {
  const ns = await privateNamespace(namespaces);
  const stop = new AbortController();
  const reports: ProxySyncReport[] = [];
  let notify: () => void = () => undefined;
  let stopped: Promise<void> = Promise.resolve();
  try {
    const proxy = await startProxy({
      kubeConfig,
      nodeName: 'bench-node',
      netns: ns,
      mode: backend === 'nftables' ? 'nftables' : 'iptables',
      iptablesBackend: backend === 'nftables' ? undefined : backend,
      signal: stop.signal,
      log: (line) => log(`proxy: ${line}`),
      onSync: (report) => {
        reports.push(report);
        notify();
      },
    });
    stopped = proxy.stopped;
    if (!(await proxy.firstSync)) throw new Error('the proxy stopped before its first sync');
    const firstSyncMs = reports[0].durationMs;
    const changeToRuleMs: number[] = [];
    for (let c = 0; c < config.changes; c++) {
      const i = (c * 131 + 7) % config.services;
      const name = serviceName(i);
      const current = await client.get<KubeObject & EndpointsInput>('v1', 'Endpoints', NAMESPACE, name);
      // From what is there now: an earlier run (another backend) may have removed some already.
      const ips = (current.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip!));
      if (ips.length < 2) throw new Error(`${name} has too few endpoints left to remove one`);
      const removed = `${ips[c % ips.length]}:8080`;
      const remaining = ips.filter((ip) => `${ip}:8080` !== removed);
      const chain = servicePortChainName(servicePortNameString(NAMESPACE, name, 'http'), 'tcp');
      const nftChain = SERVICE_CHAIN_PREFIX + hashAndTruncate(`${NAMESPACE}/${name}/tcp/http`);
      const applied = (r: ProxySyncReport) =>
        (r.iptables !== undefined &&
          r.iptables.ruleset.includes(`-A ${chain} `) &&
          !r.iptables.ruleset.includes(`--to-destination ${removed}`)) ||
        (r.nftables !== undefined &&
          r.nftables.ruleset.includes(`\tchain ${nftChain} {`) &&
          !r.nftables.ruleset.includes(`dnat to ${removed}`));
      const seen = reports.length;
      const sent = Date.now();
      await client.update('v1', 'Endpoints', NAMESPACE, { ...current, ...endpointsObject(i, remaining) });
      const report = await new Promise<ProxySyncReport>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no sync removed ${removed} within 30 s`)), 30_000);
        const check = () => {
          const found = reports.slice(seen).find(applied);
          if (!found) return;
          clearTimeout(timer);
          resolve(found);
        };
        notify = check;
        check();
      });
      changeToRuleMs.push(report.startedAt + report.durationMs - sent);
      log(`${backend}: change ${c + 1}/${config.changes}: rule in place after ${changeToRuleMs.at(-1)} ms`);
      // Past the minimum sync interval, so each change is measured on its own.
      await new Promise((resolve) => setTimeout(resolve, 1200));
    }
    return { backend, firstSyncMs, changeToRuleMs };
  } finally {
    // The proxy must be gone before its namespace: a sync in flight would fail loudly otherwise.
    stop.abort();
    await stopped;
    await deleteNamespace(ns, namespaces);
  }
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

function spread(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${ms(median(sorted))} (${ms(sorted[0])}–${ms(sorted.at(-1)!)})`;
}

function markdown(r: Report): string {
  const { services, endpoints } = r.config;
  const rows: [string, string][] = [
    ['build the ruleset (pure), first / warm', `${ms(r.planColdMs)} / ${ms(r.planWarmMs)}`],
    [
      'ruleset size',
      `${(r.size.bytes / 2 ** 20).toFixed(1)} MiB, ${r.size.lines.toLocaleString('en')} lines: ` +
        `${r.size.chains.toLocaleString('en')} chains, ${r.size.rules.toLocaleString('en')} rules`,
    ],
    ['nftables: build the script (pure), first / warm', `${ms(r.nftPlanColdMs)} / ${ms(r.nftPlanWarmMs)}`],
    [
      'nftables: script size',
      `${(r.nftSize.bytes / 2 ** 20).toFixed(1)} MiB, ${r.nftSize.lines.toLocaleString('en')} lines: ` +
        `${r.nftSize.chains.toLocaleString('en')} chains, ${r.nftSize.rules.toLocaleString('en')} rules, ` +
        `${r.nftSize.elements.toLocaleString('en')} map elements`,
    ],
  ];
  for (const b of r.backends) {
    const nft = b.backend === 'nftables';
    rows.push(
      [`${b.backend}: first full sync (empty tables)`, ms(b.firstFullMs)],
      [`${b.backend}: full resync over installed rules`, spread(b.resyncFullMs)],
      [
        nft
          ? 'nftables: whole table replaced, `nft -f` alone'
          : `${b.backend}: of which iptables-restore alone`,
        spread(b.restoreOnlyMs),
      ],
      [`${b.backend}: partial sync, one service's endpoints changed`, spread(b.partialMs)],
      [nft ? 'nftables: nft list table' : `${b.backend}: iptables-save -t nat`, ms(b.saveNatMs)],
    );
  }
  for (const e of r.endToEnd) {
    rows.push(
      [
        `${e.backend}, through the API server: first sync after the informers listed everything`,
        ms(e.firstSyncMs),
      ],
      [
        `${e.backend}, through the API server: Endpoints update request → rule removed (${e.changeToRuleMs.length} changes)`,
        spread(e.changeToRuleMs),
      ],
    );
  }
  return [
    `Command: \`${r.command}\` (as root). ${services.toLocaleString('en')} ClusterIP services × ${endpoints} ready endpoints,`,
    `one TCP port each. Machine: ${r.machine}. Load average before the run: ${r.loadAverage.toFixed(2)}. Wall time: ${Math.round(r.wallSeconds)} s.`,
    '',
    ...markdownTable(['measurement', 'result'], rows),
    '',
  ].join('\n');
}

function machineDescription(): string {
  const cpus = os.cpus();
  const iptables = spawnSync('iptables', ['--version'], { encoding: 'utf8' }).stdout.trim();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), Linux ${os.release()}, Node ${process.version}, ${iptables}`;
}

function prerequisitesMissing(config: BenchConfig): string | undefined {
  if (process.platform !== 'linux') return 'Linux is needed';
  if (process.getuid?.() !== 0) return 'root is needed (network namespaces and iptables)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'ip (iproute2) is missing';
  for (const backend of config.backends) {
    if (backend === 'nftables') {
      if (spawnSync('nft', ['--version']).status !== 0)
        return 'nft is missing (Debian package nftables; or drop nftables from BENCH_BACKENDS)';
      continue;
    }
    const binary = backend === 'system' ? 'iptables-restore' : `iptables-${backend}-restore`;
    if (spawnSync(binary, ['--version']).status !== 0)
      return `${binary} is missing (or drop it from BENCH_BACKENDS)`;
  }
  return undefined;
}

runBench(log, async (teardown) => {
  const { config, overrides } = readConfig(process.env);
  const missing = prerequisitesMissing(config);
  if (missing) throw new Error(missing);
  const command = [...overrides, 'npm run bench:proxy'].join(' ');
  const started = Date.now();
  const loadAverage = os.loadavg()[0];
  const namespaces = new Set<string>();
  let cluster: BenchCluster | undefined;
  teardown.cleanup = async () => {
    for (const ns of [...namespaces]) await deleteNamespace(ns, namespaces);
    await cluster?.close();
  };

  const inputs = fixture(config);
  const iptablesBuild = await measureBuild(() => planRuleset(inputs).text, /^:/gm, /^-A /gm);
  const size = iptablesBuild.size;
  log(
    `ruleset: ${size.rules} rules in ${size.chains} chains, built in ${Math.round(iptablesBuild.warmMs)} ms`,
  );
  const nftBuild = await measureBuild(
    () => planNftRuleset(inputs).text,
    /^\tchain /gm,
    /^\t\t(?!type |elements = |\t|\})/gm,
  );
  const nftSize = { ...nftBuild.size, elements: (nftBuild.text.match(/^\t\t\t/gm) ?? []).length };
  log(
    `nft script: ${nftSize.rules} rules in ${nftSize.chains} chains, built in ${Math.round(nftBuild.warmMs)} ms`,
  );

  const backends: BackendResult[] = [];
  for (const backend of config.backends)
    backends.push(await measureBackend(backend, config, inputs, namespaces));

  const endToEnd: EndToEndResult[] = [];
  if (config.e2e && config.changes > 0) {
    cluster = new BenchCluster('kubicle-proxy-bench-', log);
    await cluster.startEtcd();
    const server = await cluster.startApiServer({ log: (line) => !teardown.cleaning && log(line) });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'bench', server: server.url, skipTLSVerify: true }],
      users: [{ name: 'bench' }],
      contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
      currentContext: 'bench',
    });
    const client = clientFor(kubeConfig);
    await createObjects(client, config);
    for (const backend of config.backends) {
      endToEnd.push(await measureEndToEnd(backend, config, kubeConfig, client, namespaces));
    }
  }

  const report: Report = {
    command,
    machine: machineDescription(),
    config,
    planColdMs: iptablesBuild.coldMs,
    planWarmMs: iptablesBuild.warmMs,
    size,
    nftPlanColdMs: nftBuild.coldMs,
    nftPlanWarmMs: nftBuild.warmMs,
    nftSize,
    backends,
    endToEnd,
    loadAverage,
    wallSeconds: (Date.now() - started) / 1000,
  };
  process.stdout.write(`${markdown(report)}\n`);
});
