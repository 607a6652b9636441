/**
 * The controller manager: runs a set of controllers over one API client and one shared informer per
 * kind, as kube-controller-manager does with its SharedInformerFactory.
 *
 * Contract:
 * - A controller is a `ControllerDescriptor`: a name and a `start(ctx, signal)` that registers its
 *   informer handlers, waits for its caches (`ctx.waitForSync`) and runs its workers until `signal`
 *   aborts, then resolves. It must not resolve earlier, and should only reject on a programming error:
 *   API failures are retried by its work queue.
 * - `ctx.informer(apiVersion, kind)` returns the same Informer for every caller asking for that kind
 *   during one leading session; it covers all namespaces, is started on first request and stops with
 *   the session. Its objects are deep-frozen: never mutate them.
 * - With `leaderElect`, nothing runs until the Lease `kube-system/kube-controller-manager` is won, and
 *   everything (controllers, informers, work queues, expectations) stops when it is lost; a new session
 *   starts from scratch if it is won again. Two managers therefore never act at once.
 * - `startControllerManager` resolves once `signal` aborts and every controller has returned. If a
 *   controller rejects, the others are stopped and the promise rejects: fail loudly, never half-run.
 */
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient } from '../machinery/api-client.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import { EventRecorder } from '../machinery/event-recorder.js';
import { Informer } from '../machinery/informer.js';
import { LeaderElector } from '../machinery/leader-election.js';
import { deploymentController } from './deployment-controller.js';
import { endpointsController } from './endpoints-controller.js';
import { garbageCollectorController } from './garbage-collector.js';
import { namespaceController } from './namespace-controller.js';
import { nodeLifecycleController } from './node-lifecycle-controller.js';
import { replicaSetController } from './replicaset-controller.js';

/** What a controller gets from the manager. */
export interface ControllerContext {
  readonly client: ApiClient;
  /** The one shared informer for this kind (all namespaces), started on first request. */
  informer<T extends KubeObject = KubeObject>(apiVersion: string, kind: string): Informer<T>;
  /** Resolves true once all the given informers have synced, false if `signal` aborts first. */
  waitForSync(signal: AbortSignal, ...informers: Array<Pick<Informer, 'waitForSync'>>): Promise<boolean>;
  /** An event recorder writing with `source.component` = `component`, e.g. `replicaset-controller`. */
  eventRecorder(component: string): EventRecorder;
  readonly clock: Clock;
  /** Log lines prefixed with the controller's name. */
  log(line: string): void;
  /** How many workers each controller should run (upstream's --concurrent-*-syncs, default 5). */
  readonly workers: number;
  /** Settings for this controller from `ControllerManagerConfig.settings[name]`, e.g. test timings. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface ControllerDescriptor {
  /** As upstream names controllers for `--controllers`: `replicaset`, `deployment`, `endpoints`, ... */
  readonly name: string;
  start(ctx: ControllerContext, signal: AbortSignal): Promise<void>;
}

export interface ControllerManagerConfig {
  /** A KubeConfig, or the path of a kubeconfig file. Ignored when `client` is given. */
  kubeConfig?: KubeConfig | string;
  client?: ApiClient;
  signal: AbortSignal;
  /**
   * Which controllers to run, as upstream's `--controllers`: names, `*` for all (the default),
   * `-name` to leave one out of `*`.
   */
  controllers?: string[];
  /** The controllers to choose from; defaults to every built-in controller. */
  registry?: readonly ControllerDescriptor[];
  leaderElect?: boolean;
  /** The Lease holder identity; defaults to `<hostname>_<random uuid>`. */
  identity?: string;
  leaderElection?: {
    namespace?: string;
    name?: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  workers?: number;
  /** Per-controller settings, handed to each as `ctx.settings`. */
  settings?: Record<string, Record<string, unknown>>;
  clock?: Clock;
  log?: (line: string) => void;
  /** Called with the identity each time this manager starts leading (or starts, without election). */
  onStartedLeading?: () => void;
}

/** Every controller `kubicle controller-manager` runs by default. */
export const BUILTIN_CONTROLLERS: readonly ControllerDescriptor[] = [
  replicaSetController,
  deploymentController,
  endpointsController,
  garbageCollectorController,
  namespaceController,
  nodeLifecycleController,
];

export function selectControllers(
  registry: readonly ControllerDescriptor[],
  names: readonly string[] = ['*'],
): ControllerDescriptor[] {
  const known = new Set(registry.map((c) => c.name));
  for (const name of names) {
    const bare = name.startsWith('-') ? name.slice(1) : name;
    if (bare !== '*' && !known.has(bare)) throw new Error(`unknown controller "${bare}"`);
  }
  const all = names.includes('*');
  return registry.filter((c) => !names.includes(`-${c.name}`) && (names.includes(c.name) || all));
}

export async function startControllerManager(config: ControllerManagerConfig): Promise<void> {
  const log = config.log ?? ((line: string) => console.error(line));
  const client =
    config.client ?? clientFor(loadKubeConfig(config.kubeConfig), { userAgent: 'kube-controller-manager' });
  const controllers = selectControllers(config.registry ?? BUILTIN_CONTROLLERS, config.controllers);
  const identity = config.identity ?? `${os.hostname()}_${randomUUID()}`;
  const runSession = (signal: AbortSignal) => runControllers(client, controllers, config, log, signal);

  if (!config.leaderElect) {
    config.onStartedLeading?.();
    return runSession(config.signal);
  }
  const election = config.leaderElection ?? {};
  let failure: unknown;
  const stopAll = new AbortController();
  const abortAll = () => stopAll.abort();
  config.signal.addEventListener('abort', abortAll, { once: true });
  if (config.signal.aborted) abortAll();
  await new LeaderElector({
    client,
    namespace: election.namespace ?? 'kube-system',
    name: election.name ?? 'kube-controller-manager',
    identity,
    leaseDurationMs: election.leaseDurationMs,
    renewDeadlineMs: election.renewDeadlineMs,
    retryPeriodMs: election.retryPeriodMs,
    clock: config.clock,
    log,
    onStartedLeading: async (signal) => {
      log(`controller-manager: ${identity} became leader`);
      config.onStartedLeading?.();
      try {
        await runSession(signal);
      } catch (err) {
        failure = err;
        stopAll.abort();
      }
    },
    onStoppedLeading: () => log(`controller-manager: ${identity} stopped leading`),
  }).run(stopAll.signal);
  config.signal.removeEventListener('abort', abortAll);
  if (failure !== undefined) throw failure;
}

/** One leading session: fresh informers and controllers, all stopped when `signal` aborts. */
async function runControllers(
  client: ApiClient,
  controllers: readonly ControllerDescriptor[],
  config: ControllerManagerConfig,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const session = new AbortController();
  // Every informer, work queue and worker of the session listens for its end.
  setMaxListeners(0, session.signal);
  const stop = () => session.abort();
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();

  const clock = config.clock ?? realClock;
  const informers = new Map<string, Informer<KubeObject>>();
  const informerRuns: Promise<void>[] = [];
  const recorders: EventRecorder[] = [];
  const informer = <T extends KubeObject>(apiVersion: string, kind: string): Informer<T> => {
    const key = `${apiVersion}/${kind}`;
    let shared = informers.get(key);
    if (!shared) {
      shared = new Informer<KubeObject>({ client, apiVersion, kind, clock, log });
      informers.set(key, shared);
      informerRuns.push(shared.run(session.signal));
    }
    return shared as unknown as Informer<T>;
  };
  const contextFor = (name: string): ControllerContext => ({
    client,
    informer,
    waitForSync: async (waitSignal, ...wanted) =>
      (await Promise.all(wanted.map((i) => i.waitForSync(waitSignal)))).every(Boolean),
    eventRecorder: (component) => {
      const recorder = new EventRecorder({ client, component, clock, log });
      recorders.push(recorder);
      return recorder;
    },
    clock,
    log: (line) => log(`${name}: ${line}`),
    workers: config.workers ?? 5,
    settings: config.settings?.[name] ?? {},
  });

  let failure: unknown;
  await Promise.all(
    controllers.map(async (controller) => {
      try {
        await controller.start(contextFor(controller.name), session.signal);
        if (!session.signal.aborted) throw new Error(`controller ${controller.name} stopped unexpectedly`);
      } catch (err) {
        log(`controller-manager: controller ${controller.name} failed: ${String(err)}`);
        failure ??= err;
        session.abort();
      }
    }),
  );
  session.abort();
  signal.removeEventListener('abort', stop);
  await Promise.all(informerRuns);
  await Promise.all(recorders.map((r) => r.flush()));
  if (failure !== undefined) throw failure;
}

function loadKubeConfig(source: KubeConfig | string | undefined): KubeConfig {
  if (source instanceof KubeConfig) return source;
  const kc = new KubeConfig();
  if (source) kc.loadFromFile(source);
  else kc.loadFromDefault();
  return kc;
}
