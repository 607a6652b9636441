/**
 * Measuring kit shared by the benchmarks: a closed-loop load pool, percentiles, and the pod that
 * every write benchmark stores, so the raw etcd floor and the API server see the same payload.
 */
import { performance } from 'node:perf_hooks';

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
