/**
 * Kubelet benchmark (`node dist/bench/kubelet-bench.js`, needs Docker): pod startup latency on one
 * node against the floor Docker itself sets, and the kubelet's resident memory. In one run:
 *
 *  1. the kubelet (`kubicle agent`) as a child process against a private etcd and an in-process API
 *     server; its VmRSS once the Node is Ready and it has settled;
 *  2. one after another, alternating so that both see the same load on a shared machine:
 *     - the raw floor: through the Engine API, a pause sandbox created and started, then one busybox
 *       container (`sleep 3600`) created and started in its namespaces, with the options the
 *       kubelet's Docker runtime uses; each pair timed;
 *     - pod startup latency: from sending the create of a pod already bound to the node (no
 *       scheduler) until a watch sees it Running with Ready=True;
 *  3. the same as bursts: raw pairs all at once, then pods all at once;
 *  4. the kubelet's VmRSS (and peak VmHWM) with a larger set of pods Running.
 * A warm-up pair and pod come first and are not counted.
 *
 * Sizes come from BENCH_SEQUENTIAL, BENCH_BURST, BENCH_MEMORY_PODS and BENCH_SETTLE_MS. BENCH_PROBE=exec
 * gives the pods an exec readiness probe (`true`); the default is none. BENCH_KUBELET_LOG=FILE keeps
 * the kubelet's log; BENCH_KUBELET_NODE_OPTIONS sets NODE_OPTIONS for the kubelet alone.
 *
 * Progress goes to stderr; the results go to stdout as markdown for BENCHMARKS.md. Pods, containers,
 * the kubelet, etcd, the server and the temp dir are removed at the end whatever happens, Ctrl-C too.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import Docker from 'dockerode';
import type { KubeObject, WatchEvent } from '../apiserver/api-object.js';
import { DEFAULT_API_SERVER_CONFIG } from '../apiserver/api-server.js';
import { writeKubeconfig } from '../cli/kubeconfig.js';
import type { Pod } from '../kubelet/api-types.js';
import { BUSYBOX_IMAGE, PAUSE_IMAGE, ensureLocalImages } from '../kubelet/images.js';
import { LABEL_NODE } from '../kubelet/runtime/runtime.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import {
  machineDescription,
  markdownTable,
  readChoice,
  readSizes,
  runBench,
  summarize,
} from './bench-kit.js';
import type { LatencySummary, SizeSpec } from './bench-kit.js';
import { BenchCluster } from './bench-cluster.js';
import { freePort } from './free-port.js';
import { processMemory } from './process-memory.js';
import type { ProcessMemory } from './process-memory.js';

type ProbeChoice = 'none' | 'exec';

interface BenchConfig {
  sequential: number;
  burst: number;
  memoryPods: number;
  settleMs: number;
  probe: ProbeChoice;
}

const ENV_DEFAULTS: Record<string, SizeSpec<keyof Omit<BenchConfig, 'probe'>>> = {
  BENCH_SEQUENTIAL: { key: 'sequential', value: 30 },
  BENCH_BURST: { key: 'burst', value: 30 },
  BENCH_MEMORY_PODS: { key: 'memoryPods', value: 50 },
  BENCH_SETTLE_MS: { key: 'settleMs', value: 5_000 },
};

/** The targets of the requirement: startup percentiles as multiples of the floor's p50, and memory. */
const TARGET_P50_RATIO = 1.5;
const TARGET_P99_RATIO = 2.5;
const TARGET_RSS_MB = 100;

const RUN_ID = randomBytes(4).toString('hex');
const RUN_LABEL = 'kubicle.bench.run';
const NODE_NAME = `bench-node-${RUN_ID}`;
const NAMESPACE = `bench-kubelet-${RUN_ID}`;
const READY_TIMEOUT_MS = 120_000;

function readConfig(env: NodeJS.ProcessEnv): { config: BenchConfig; overrides: string[] } {
  const { sizes, overrides } = readSizes(env, ENV_DEFAULTS);
  const probe = readChoice<ProbeChoice>(env, 'BENCH_PROBE', ['none', 'exec'], 'none', overrides);
  return { config: { ...sizes, probe }, overrides };
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = READY_TIMEOUT_MS,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// The raw floor: what the kubelet's Docker runtime asks of Docker for a one-container pod, and nothing
// else (no lists, no inspects, no API server).

/** The HostConfig and labels `DockerRuntime.createSandbox` gives a ClusterFirst pod on the bridge. */
function floorSandboxOptions(i: number): Docker.ContainerCreateOptions {
  const podName = `floor-${i}`;
  return {
    name: `k8s_POD_${podName}_${NAMESPACE}_${RUN_ID}-${i}_0`,
    Image: PAUSE_IMAGE,
    Hostname: podName,
    Labels: {
      [RUN_LABEL]: RUN_ID,
      'io.kubernetes.pod.name': podName,
      'io.kubernetes.docker.type': 'podsandbox',
    },
    ExposedPorts: {},
    HostConfig: {
      NetworkMode: 'bridge',
      IpcMode: 'shareable',
      PidMode: '',
      Dns: ['10.96.0.10'],
      DnsSearch: [`${NAMESPACE}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
      DnsOptions: ['ndots:5'],
      ExtraHosts: [],
      PortBindings: {},
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } },
    },
  };
}

/** The options `DockerRuntime.createContainer` gives a plain container joining that sandbox. */
function floorContainerOptions(i: number, sandboxId: string): Docker.ContainerCreateOptions {
  const podName = `floor-${i}`;
  const join = `container:${sandboxId}`;
  return {
    name: `k8s_main_${podName}_${NAMESPACE}_${RUN_ID}-${i}_0`,
    Image: BUSYBOX_IMAGE,
    Entrypoint: ['sleep', '3600'],
    Cmd: [],
    Env: ['KUBERNETES_SERVICE_HOST=10.96.0.1', 'KUBERNETES_SERVICE_PORT=443'],
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Labels: {
      [RUN_LABEL]: RUN_ID,
      'io.kubernetes.pod.name': podName,
      'io.kubernetes.docker.type': 'container',
    },
    HostConfig: {
      NetworkMode: join,
      IpcMode: join,
      PidMode: '',
      UTSMode: '',
      Binds: [],
      OomScoreAdj: 1000,
      Privileged: false,
      ReadonlyRootfs: false,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } },
    },
  };
}

async function startFloorPod(docker: Docker, i: number): Promise<number> {
  const started = performance.now();
  const sandbox = await docker.createContainer(floorSandboxOptions(i));
  await sandbox.start();
  const container = await docker.createContainer(floorContainerOptions(i, sandbox.id));
  await container.start();
  return performance.now() - started;
}

/** The same pairs all at once, each timed from the common start: what Docker does with a burst. */
async function measureFloorBurst(docker: Docker, count: number, first: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startFloorPod(docker, first + i)));
}

async function removeLabelled(docker: Docker, label: string): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  // App containers first: a sandbox whose namespaces are still joined is refused on some engines.
  const order = (c: Docker.ContainerInfo) => (c.Labels['io.kubernetes.docker.type'] === 'podsandbox' ? 1 : 0);
  for (const pass of [0, 1]) {
    await Promise.all(
      list
        .filter((c) => order(c) === pass)
        .map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
    );
  }
  return list.length;
}

// ---------------------------------------------------------------------------------------------------
// Kubicle: pods through the API server, timed by a watch.

function benchPodManifest(name: string, probe: ProbeChoice): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'kubelet-bench' } },
    spec: {
      nodeName: NODE_NAME,
      // busybox `sleep` as PID 1 ignores SIGTERM; the kubelet's minimum grace (2 s) then applies.
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'main',
          image: BUSYBOX_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', '3600'],
          ...(probe === 'exec' ? { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 } } : {}),
        },
      ],
    },
  };
}

function isRunningAndReady(pod: Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** One watch over the bench namespace; remembers when each pod was first seen Running and Ready. */
class ReadyWatch {
  private readonly readyAt = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private readonly abort = new AbortController();
  private failure: Error | undefined;
  private done: Promise<void> | undefined;

  constructor(private readonly client: ApiClient) {}

  async start(): Promise<void> {
    const list = await this.client.list('v1', 'Pod', { namespace: NAMESPACE });
    this.done = this.client
      .watch(
        'v1',
        'Pod',
        { namespace: NAMESPACE, resourceVersion: list.metadata?.resourceVersion, signal: this.abort.signal },
        (event: WatchEvent) => this.onEvent(event),
      )
      .then(
        () => {
          if (!this.abort.signal.aborted) this.failure = new Error('the timing watch ended');
        },
        (err: unknown) => {
          this.failure = err instanceof Error ? err : new Error(String(err));
        },
      );
  }

  private onEvent(event: WatchEvent): void {
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
    const pod = event.object as unknown as Pod;
    const name = pod.metadata?.name ?? '';
    if (this.readyAt.has(name) || !isRunningAndReady(pod)) return;
    const at = performance.now();
    this.readyAt.set(name, at);
    this.waiters.get(name)?.(at);
    this.waiters.delete(name);
  }

  /** When the watch saw the pod Running and Ready (performance.now() ms). */
  ready(name: string): Promise<number> {
    const known = this.readyAt.get(name);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(name);
        reject(
          this.failure ?? new Error(`pod ${name} not seen Running and Ready within ${READY_TIMEOUT_MS} ms`),
        );
      }, READY_TIMEOUT_MS);
      this.waiters.set(name, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

async function startPod(client: ApiClient, watch: ReadyWatch, name: string, probe: ProbeChoice) {
  const sent = performance.now();
  await client.create('v1', 'Pod', NAMESPACE, benchPodManifest(name, probe));
  return (await watch.ready(name)) - sent;
}

async function startBurst(
  client: ApiClient,
  watch: ReadyWatch,
  prefix: string,
  count: number,
  probe: ProbeChoice,
): Promise<number[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  return Promise.all(names.map((name) => startPod(client, watch, name, probe)));
}

async function nodeReady(client: ApiClient): Promise<boolean> {
  try {
    const node = (await client.get('v1', 'Node', undefined, NODE_NAME)) as unknown as {
      status?: { conditions?: { type: string; status: string }[] };
    };
    return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  } catch {
    return false;
  }
}

async function nodeContainers(docker: Docker): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${NODE_NAME}`] } });
  return list.length;
}

/** Deletes every bench pod, then waits until the kubelet removed their containers and the API its pods. */
async function deleteAllPods(client: ApiClient, docker: Docker): Promise<number> {
  const started = performance.now();
  const pods = await client.list('v1', 'Pod', { namespace: NAMESPACE });
  await Promise.all(
    pods.items.map((pod: KubeObject) =>
      client.delete('v1', 'Pod', NAMESPACE, pod.metadata.name ?? '').catch(() => undefined),
    ),
  );
  await waitUntil(
    async () => (await client.list('v1', 'Pod', { namespace: NAMESPACE })).items.length === 0,
    'the bench pods to be gone from the API',
  );
  await waitUntil(async () => (await nodeContainers(docker)) === 0, 'the kubelet to remove the containers');
  return performance.now() - started;
}

interface KubeletProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  logTail(): string;
}

function startKubeletProcess(
  kubeconfig: string,
  port: number,
  dataDir: string,
  logFile: string,
  nodeOptions: string | undefined,
): KubeletProcess {
  const cli = fileURLToPath(new URL('../cli/kubicle.js', import.meta.url));
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      cli,
      'agent',
      '--kubeconfig',
      kubeconfig,
      '--node-name',
      NODE_NAME,
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      // The kubelet alone: its memory is what is measured, and the host's rules are left alone.
      '--proxy-mode',
      'none',
    ],
    {
      stdio: ['ignore', out, out],
      // Node options for the kubelet alone (e.g. --cpu-prof), not for the API server in this process.
      env: nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: nodeOptions },
    },
  );
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    logTail: () => {
      try {
        return fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
      } catch {
        return '';
      }
    },
  };
}

async function stopKubelet(kubelet: KubeletProcess): Promise<void> {
  if (kubelet.child.exitCode !== null || kubelet.child.signalCode !== null) return;
  kubelet.child.kill('SIGTERM');
  const stopped = await Promise.race([kubelet.exited.then(() => true), sleep(20_000).then(() => false)]);
  if (!stopped) {
    log('the kubelet did not stop within 20 s of SIGTERM; killing it');
    kubelet.child.kill('SIGKILL');
    await kubelet.exited;
  }
}

// ---------------------------------------------------------------------------------------------------
// Report.

interface Report {
  command: string;
  machine: string;
  dockerVersion: string;
  etcdVersion: string;
  config: BenchConfig;
  floor: LatencySummary;
  floorBurst: LatencySummary;
  floorBurstWallMs: number;
  warmupFloorMs: number;
  warmupMs: number;
  sequential: LatencySummary;
  burst: LatencySummary;
  burstWallMs: number;
  memoryBurst: LatencySummary;
  memoryIdle: ProcessMemory;
  memoryLoaded: ProcessMemory;
  loadAverage: number;
  loadBeforeBursts: number;
  loadAverageEnd: number;
  wallSeconds: number;
}

const fmtMs = (v: number) => (Number.isNaN(v) ? 'n/a' : `${Math.round(v).toLocaleString('en-US')} ms`);
const fmtMiB = (kib: number) => `${(kib / 1024).toFixed(1)} MiB (${((kib * 1024) / 1e6).toFixed(1)} MB)`;
const withinRssTarget = (kib: number) => kib * 1024 <= TARGET_RSS_MB * 1e6;
const verdict = (ok: boolean) => (ok ? '**met**' : '**not met**');

function markdown(r: Report): string {
  const { config: c, floor, floorBurst } = r;
  const x = (v: number, base: number) => `${(v / base).toFixed(2)} ×`;
  const meetsTarget = (s: LatencySummary) =>
    s.p50 / floor.p50 <= TARGET_P50_RATIO && s.p99 / floor.p50 <= TARGET_P99_RATIO;
  const target = `target p50 ≤ ${TARGET_P50_RATIO} ×, p99 ≤ ${TARGET_P99_RATIO} × the floor's p50`;
  const rows: [string, string, string][] = [
    [
      `raw floor: pause sandbox + one busybox container, create + start each through the Engine API, ${c.sequential} pairs one after another (alternating with the pods below)`,
      `p50 **${fmtMs(floor.p50)}**, p90 ${fmtMs(floor.p90)}, p99 ${fmtMs(floor.p99)}`,
      '`docker run --rm busybox true` ≈ 0.5 s on an 8-core host, 3.2 s on a 1-core VM (moby/moby#38077); kubelet docker create_container p50 ≈ 364 ms (kubernetes#22585)',
    ],
    [
      `raw floor, burst: the same, ${c.burst} pairs at once`,
      `p50 **${fmtMs(floorBurst.p50)}**, p90 ${fmtMs(floorBurst.p90)}, p99 ${fmtMs(floorBurst.p99)} (all in ${fmtMs(r.floorBurstWallMs)})`,
      '500 containers in 60–75 s with 100 concurrent (docker/for-linux#121)',
    ],
    [
      `pod startup, ${c.sequential} pods one after another: create sent → watch sees Running and Ready`,
      `p50 **${fmtMs(r.sequential.p50)}** (${x(r.sequential.p50, floor.p50)}), p90 ${fmtMs(r.sequential.p90)}, p99 **${fmtMs(r.sequential.p99)}** (${x(r.sequential.p99, floor.p50)})`,
      `${target}: ${verdict(meetsTarget(r.sequential))}. SLO p99 ≤ 5 s (\`sig-scalability/slos/pod_startup_latency.md\`); node e2e density, sequential: p50/p90/p99 ≤ 5/9/10 s (\`test/e2e_node/density_test.go\`)`,
    ],
    [
      `pod startup, ${c.burst} pods created at once`,
      `p50 **${fmtMs(r.burst.p50)}** (${x(r.burst.p50, floor.p50)} the floor, ${x(r.burst.p50, floorBurst.p50)} the burst floor), p90 ${fmtMs(r.burst.p90)}, p99 **${fmtMs(r.burst.p99)}** (${x(r.burst.p99, floor.p50)} the floor, ${x(r.burst.p99, floorBurst.p99)} the burst floor); all in ${fmtMs(r.burstWallMs)}`,
      `${target}: ${verdict(meetsTarget(r.burst))}. Node e2e density, batch of 10: p50/p90/p99 ≤ 16/18/20 s, whole batch ≤ 25 s; 2015, 100 nodes: p50/p99 0.9/1.6 s (10% full) to 1.9/4.3 s (full)`,
    ],
    [
      `pod startup, ${c.memoryPods} pods created at once (for the memory figure)`,
      `p50 ${fmtMs(r.memoryBurst.p50)}, p99 ${fmtMs(r.memoryBurst.p99)}`,
      '—',
    ],
    [
      'kubelet resident memory, Node Ready and idle (VmRSS)',
      `**${fmtMiB(r.memoryIdle.rssKiB)}**`,
      `target ≤ ${TARGET_RSS_MB} MB: ${verdict(withinRssTarget(r.memoryIdle.rssKiB))}`,
    ],
    [
      `kubelet resident memory, ${c.memoryPods} pods Running (VmRSS; peak VmHWM over the whole run)`,
      `**${fmtMiB(r.memoryLoaded.rssKiB)}** (peak ${fmtMiB(r.memoryLoaded.hwmKiB)})`,
      `target ≤ ${TARGET_RSS_MB} MB: ${verdict(withinRssTarget(r.memoryLoaded.rssKiB))}. Node e2e density limit: kubelet RSS ≤ 100 MiB (newer: 50 MiB)`,
    ],
  ];
  const probe =
    c.probe === 'exec'
      ? 'with an exec readiness probe (`true`, no initial delay), so Ready waits for its first run'
      : 'without a readiness probe, so Ready follows the container running, as for upstream’s pause pods';
  return [
    '## Kubelet',
    '',
    `Command: \`${r.command}\``,
    '',
    `Sizes: ${Object.entries(ENV_DEFAULTS)
      .map(([name, { key }]) => `${name}=${c[key]}`)
      .join(', ')}, BENCH_PROBE=${c.probe}. Pods run \`${BUSYBOX_IMAGE}\` \`sleep 3600\` ${probe}.`,
    '',
    `Machine: ${r.machine}; Docker ${r.dockerVersion}; etcd ${r.etcdVersion}; date ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; whole run ${r.wallSeconds.toFixed(0)} s. 1-minute load average: ${r.loadAverage.toFixed(2)} before the run, ${r.loadBeforeBursts.toFixed(2)} before the bursts, ${r.loadAverageEnd.toFixed(2)} at the end. Warm-up (not counted): raw pair ${fmtMs(r.warmupFloorMs)}, pod ${fmtMs(r.warmupMs)}.`,
    '',
    ...markdownTable(['measurement', 'Kubicle', 'anchor / target'], rows),
    '',
  ].join('\n');
}

runBench(log, async (teardown) => {
  const { config, overrides } = readConfig(process.env);
  const command = [...overrides, 'node dist/bench/kubelet-bench.js'].join(' ');
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  const docker = new Docker();
  const cluster = new BenchCluster('kubicle-kubelet-bench-', log);
  // What cleanup must undo, as far as the run got.
  const running: { client?: ApiClient; watch?: ReadyWatch; kubelet?: KubeletProcess } = {};
  teardown.cleanup = async () => {
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        log(`cleanup, ${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const { client, watch, kubelet } = running;
    await step('timing watch', async () => watch?.stop());
    if (client && kubelet && kubelet.child.exitCode === null) {
      await step('deleting pods', () => deleteAllPods(client, docker));
    }
    if (kubelet) await step('stopping the kubelet', () => stopKubelet(kubelet));
    await step('leftover containers', async () => {
      const left =
        (await removeLabelled(docker, `${LABEL_NODE}=${NODE_NAME}`)) +
        (await removeLabelled(docker, `${RUN_LABEL}=${RUN_ID}`));
      if (left) log(`removed ${left} leftover containers`);
    });
    const keepLog = process.env.BENCH_KUBELET_LOG;
    if (keepLog) {
      const kubeletLog = path.join(cluster.dataDir, 'kubelet.log');
      await step('keeping the kubelet log', async () => fs.copyFileSync(kubeletLog, keepLog));
    }
    await cluster.close();
  };

  const dockerVersion = (await docker.version()).Version;
  for (const image of await ensureLocalImages(docker)) {
    log(`image ${image.reference}: ${image.built ? 'built' : 'present'}`);
  }
  const dataDir = cluster.dataDir;
  const etcd = await cluster.startEtcd();
  const etcdVersion = etcd.version;
  const server = await cluster.startApiServer({
    compactionIntervalMs: DEFAULT_API_SERVER_CONFIG.compactionIntervalMs,
    log: (line) => !teardown.cleaning && log(line),
  });
  const kubeconfig = path.join(dataDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, server.url);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const client = clientFor(kubeConfig, { userAgent: 'kubelet-bench' });
  running.client = client;
  log(`etcd ${etcdVersion} at ${etcd.url}, API server at ${server.url}, data in ${dataDir}`);
  await client.create('v1', 'Namespace', undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NAMESPACE },
  });

  log(`starting the kubelet as node ${NODE_NAME}`);
  const kubelet = startKubeletProcess(
    kubeconfig,
    await freePort(),
    path.join(dataDir, 'kubelet'),
    path.join(dataDir, 'kubelet.log'),
    process.env.BENCH_KUBELET_NODE_OPTIONS,
  );
  running.kubelet = kubelet;
  const k = kubelet;
  const c = client;
  await Promise.race([
    waitUntil(() => nodeReady(c), 'the Node to be Ready', 60_000),
    k.exited.then((code) => {
      throw new Error(`the kubelet exited (code ${code}):\n${k.logTail()}`);
    }),
  ]);
  await sleep(config.settleMs);
  const memoryIdle = processMemory(k.child.pid!);
  log(`node Ready; kubelet idle VmRSS ${fmtMiB(memoryIdle.rssKiB)}`);

  const watch = new ReadyWatch(client);
  running.watch = watch;
  await watch.start();
  const w = watch;
  // Not counted: the first of each pays for cold caches (Docker's, the API server's, the kubelet's).
  const warmupFloorMs = await startFloorPod(docker, -1);
  const warmupMs = await startPod(client, watch, 'warmup', config.probe);
  log(`warm-up: raw pair ${fmtMs(warmupFloorMs)}, pod ${fmtMs(warmupMs)}`);

  // Interleaved, so that both see the same machine: on a shared machine the load changes by the minute.
  log(`${config.sequential} raw pairs and ${config.sequential} pods, one after another, alternating`);
  const floorSamples: number[] = [];
  const sequentialSamples: number[] = [];
  for (let i = 0; i < config.sequential; i++) {
    const podName = `seq-${String(i).padStart(3, '0')}`;
    if (i % 2 === 0) floorSamples.push(await startFloorPod(docker, i));
    sequentialSamples.push(await startPod(client, watch, podName, config.probe));
    if (i % 2 === 1) floorSamples.push(await startFloorPod(docker, i));
  }
  const floor = summarize(floorSamples);
  const sequential = summarize(sequentialSamples);
  log(`raw floor: p50 ${fmtMs(floor.p50)}, p99 ${fmtMs(floor.p99)}`);
  log(`sequential: p50 ${fmtMs(sequential.p50)}, p99 ${fmtMs(sequential.p99)}`);
  await removeLabelled(docker, `${RUN_LABEL}=${RUN_ID}`);

  log(`raw floor, burst: ${config.burst} pairs at once`);
  const loadBeforeBursts = os.loadavg()[0];
  const floorBurstStarted = performance.now();
  const floorBurst = summarize(await measureFloorBurst(docker, config.burst, config.sequential));
  const floorBurstWallMs = performance.now() - floorBurstStarted;
  log(`raw floor, burst: p50 ${fmtMs(floorBurst.p50)}, p99 ${fmtMs(floorBurst.p99)}; removing them`);
  await removeLabelled(docker, `${RUN_LABEL}=${RUN_ID}`);

  log(`${config.burst} pods at once`);
  const burstStarted = performance.now();
  const burstSamples = await startBurst(client, watch, 'burst', config.burst, config.probe);
  const burstWallMs = performance.now() - burstStarted;
  const burst = summarize(burstSamples);
  log(`burst: p50 ${fmtMs(burst.p50)}, p99 ${fmtMs(burst.p99)}, all in ${fmtMs(burstWallMs)}`);

  log('deleting those pods');
  const deleteMs = await deleteAllPods(client, docker);
  log(`deleted and cleaned up in ${fmtMs(deleteMs)}`);

  log(`${config.memoryPods} pods at once, for memory`);
  const memoryBurst = summarize(await startBurst(c, w, 'mem', config.memoryPods, config.probe));
  await sleep(Math.min(config.settleMs, 3_000));
  const memoryLoaded = processMemory(k.child.pid!);
  log(
    `${config.memoryPods} pods: p50 ${fmtMs(memoryBurst.p50)}, p99 ${fmtMs(memoryBurst.p99)}; kubelet VmRSS ${fmtMiB(memoryLoaded.rssKiB)}, VmHWM ${fmtMiB(memoryLoaded.hwmKiB)}`,
  );

  const report: Report = {
    command,
    machine: machineDescription(),
    dockerVersion,
    etcdVersion,
    config,
    floor,
    floorBurst,
    floorBurstWallMs,
    warmupFloorMs,
    warmupMs,
    sequential,
    burst,
    burstWallMs,
    memoryBurst,
    memoryIdle,
    memoryLoaded,
    loadAverage: loadAtStart,
    loadBeforeBursts,
    loadAverageEnd: os.loadavg()[0],
    wallSeconds: (Date.now() - started) / 1000,
  };
  process.stdout.write(`${markdown(report)}\n`);
});
