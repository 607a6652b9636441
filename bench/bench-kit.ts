/**
 * Measuring kit shared by the benchmarks: sizes read from the environment, a closed-loop load pool,
 * percentiles, the pod that every write benchmark stores (so the raw etcd floor and the API server
 * see the same payload), the markdown they print, and the run of a benchmark as a whole process.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** A size a benchmark reads from one environment variable. */
export interface SizeSpec<K extends string> {
  key: K;
  value: number;
  /** The smallest value accepted; 1 unless said. */
  min?: number;
}

/**
 * The sizes named by `specs` (variable name → spec) from `env`, with the `NAME=value` overrides that
 * were set, for the command line a report repeats. Only whole numbers of at least `min` are taken.
 */
export function readSizes<K extends string>(
  env: NodeJS.ProcessEnv,
  specs: Record<string, SizeSpec<K>>,
): { sizes: Record<K, number>; overrides: string[] } {
  const sizes = {} as Record<K, number>;
  const overrides: string[] = [];
  for (const [name, { key, value, min = 1 }] of Object.entries(specs)) {
    const raw = env[name];
    let parsed = value;
    if (raw !== undefined && raw !== '') {
      if (!/^\d+$/.test(raw) || Number(raw) < min) {
        const wanted =
          min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
        throw new Error(`${name} must be ${wanted}, got ${JSON.stringify(raw)}`);
      }
      parsed = Number(raw);
      overrides.push(`${name}=${raw}`);
    }
    sizes[key] = parsed;
  }
  return { sizes, overrides };
}

/** One of `choices` from the variable `name`, else `fallback`; a value set is added to `overrides`. */
export function readChoice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  choices: readonly T[],
  fallback: T,
  overrides: string[],
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be ${choices.join(' or ')}, got ${JSON.stringify(raw)}`);
  }
  overrides.push(`${name}=${raw}`);
  return raw as T;
}

export interface PoolResult {
  elapsedMs: number;
  /** Per-operation latency in ms, indexed by operation number. */
  latenciesMs: Float64Array;
  errors: number;
  firstError?: string;
}

/**
 * Runs `total` operations with at most `concurrency` in flight: each lane starts the next operation
 * as soon as its previous one finished, which is how a client with a fixed connection pool behaves.
 */
export async function runAtConcurrency(
  total: number,
  concurrency: number,
  operation: (index: number) => Promise<void>,
): Promise<PoolResult> {
  const latenciesMs = new Float64Array(total);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < total) {
      const index = next++;
      const started = performance.now();
      try {
        await operation(index);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
      latenciesMs[index] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, lane));
  return { elapsedMs: performance.now() - started, latenciesMs, errors, firstError };
}

/** Nearest-rank percentile of an ascending array; NaN when it is empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * A pod as a Deployment would stamp it out: labels, probes, env from the downward API, resources,
 * a sidecar and a volume. About 1.5 KB of JSON, the size of a typical pod manifest.
 */
export function benchPod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: 'bench-web', tier: 'frontend', release: 'stable', 'pod-template-hash': '7d9f8b6c5d' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.local/bench/web:1.4.2',
          imagePullPolicy: 'IfNotPresent',
          command: ['/bin/web'],
          args: ['--listen=:8080', '--metrics=:9102', '--log-format=json'],
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9102, protocol: 'TCP' },
          ],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'CACHE_SIZE_MB', value: '64' },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          readinessProbe: {
            httpGet: { path: '/healthz', port: 8080 },
            initialDelaySeconds: 2,
            periodSeconds: 5,
          },
          livenessProbe: {
            httpGet: { path: '/livez', port: 8080 },
            initialDelaySeconds: 10,
            periodSeconds: 10,
          },
          volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }],
        },
        {
          name: 'log-shipper',
          image: 'registry.local/bench/log-shipper:2.0.1',
          args: ['--source=/var/log/web', '--sink=tcp://logs.bench.svc:5170'],
          resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
        },
      ],
      volumes: [{ name: 'config', configMap: { name: 'bench-web-config' } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
  };
}

/** The machine a report was measured on, in one line. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}, Node ${process.version}`;
}

/** A markdown table's lines: the header, its rule, and one line a row. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

/** What a benchmark's main hands `runBench` so that whatever it started is undone. */
export interface Teardown {
  /** Undoes what main started; runs once, after main, on its failure, or on SIGINT/SIGTERM. */
  cleanup: () => Promise<void>;
  /** True once cleanup began: requests cut off from then on are expected, their errors noise. */
  readonly cleaning: boolean;
}

/**
 * Runs a benchmark as the whole process: its cleanup runs exactly once whatever happens, Ctrl-C
 * included; the exit code is 0, 1 after a failure (logged with its stack) or 130 after a signal.
 */
export function runBench(log: (line: string) => void, main: (teardown: Teardown) => Promise<void>): void {
  let cleanup = async (): Promise<void> => undefined;
  let cleaning: Promise<void> | undefined;
  const teardown: Teardown = {
    get cleanup() {
      return cleanup;
    },
    set cleanup(fn) {
      cleanup = fn;
    },
    get cleaning() {
      return cleaning !== undefined;
    },
  };
  const cleanUp = () => (cleaning ??= cleanup());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  main(teardown)
    .finally(cleanUp)
    .then(
      () => process.exit(0),
      (err: unknown) => {
        log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        process.exit(1);
      },
    );
}
