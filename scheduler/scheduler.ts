/**
 * The running scheduler: informers feed the cache (assigned pods, nodes) and the scheduling queue
 * (pending pods of this scheduler); a loop pops one pod at a time, runs the pure cycle against a
 * snapshot, assumes the result in the cache and binds through `pods/<name>/binding` in the background.
 *
 * Contract:
 * - Scheduling decisions are sequential (one cycle at a time, each seeing every earlier assumption);
 *   bindings are concurrent, at most `parallelBinds` in flight, so the API server's latency does not
 *   pace the loop. The loop yields to the event loop after every pod so informer events and binding
 *   answers keep flowing.
 * - A pod stays "in flight" in the queue until its binding is answered: success → `queue.done`, a
 *   `Scheduled` event; failure → the assumption is forgotten and the pod retries after backoff.
 * - No node fits → the pod waits as unschedulable (until a node is added or changes, an assigned pod
 *   is deleted, or its affinity partner appears), gets a `FailedScheduling` Warning event carrying the
 *   FitError summary, and `PodScheduled=False` (reason Unschedulable) unless it already says exactly
 *   that. Failures are not reported for pods that are gone or were bound meanwhile, nor for a binding
 *   refused with 409 (someone else bound the pod; the informer is about to show it).
 * - Events are rate limited as a whole (default 50/s, burst 100, as upstream's client limit that
 *   events share); the excess is dropped and counted, so a burst of bindings is not paced by as many
 *   Event writes.
 * - With leader election only the holder of the Lease (default `kube-system/kube-scheduler`) pops and
 *   binds; informers run on every candidate so a new leader starts warm. Leadership ends only after
 *   every binding it started has been answered, so two schedulers never bind at the same time.
 * - When `signal` aborts, no further pod is popped; `done` resolves once the bindings in flight were
 *   answered and the informers stopped. Pods not yet bound simply stay pending for the next scheduler.
 */

import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/api-object.js';
import { clientFor, type ApiClient } from '../machinery/api-client.js';
import { isConflict } from '../machinery/api-status-error.js';
import { realClock, type Clock, type TimerHandle } from '../machinery/clock.js';
import { EventRecorder } from '../machinery/event-recorder.js';
import { Informer } from '../machinery/informer.js';
import { LeaderElector } from '../machinery/leader-election.js';
import { BucketRateLimiter } from '../machinery/rate-limiter.js';
import { DEFAULT_SCHEDULER_NAME, type Node, type Pod } from './api-types.js';
import {
  assignedPodLabelsChanged,
  isAssigned,
  isPendingFor,
  NON_TERMINAL_PODS_SELECTOR,
  nodeSchedulingPropertiesChanged,
} from './event-filters.js';
import {
  podScheduledFalsePatch,
  REASON_SCHEDULER_ERROR,
  REASON_UNSCHEDULABLE,
} from './pod-scheduled-condition.js';
import { defaultProfile, type Profile, type Strategy } from './profile.js';
import { SchedulerCache } from './scheduler-cache.js';
import { schedulePod, type ScheduleResult } from './schedule-one.js';
import { SchedulingQueue, type QueuedPodInfo } from './scheduling-queue.js';
import { NodeInfoSnapshot } from './snapshot.js';

export const DEFAULT_PARALLEL_BINDS = 64;
/** Upstream's scheduler client allows 50 requests/s (burst 100), events included. */
export const DEFAULT_EVENT_QPS = 50;
export const DEFAULT_EVENT_BURST = 100;
export const SCHEDULER_LEASE_NAMESPACE = 'kube-system';
export const SCHEDULER_LEASE_NAME = 'kube-scheduler';
/** How often assumed pods are checked for expiry, as upstream's cleanup period. */
const MAINTENANCE_INTERVAL_MS = 1_000;

export interface LeaderElectionSettings {
  namespace?: string;
  name?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface SchedulerConfig {
  /** A loaded KubeConfig, or the path of a kubeconfig file. */
  kubeConfig: KubeConfig | string;
  signal: AbortSignal;
  strategy?: Strategy;
  /** Pods whose spec.schedulerName is this are ours; default `default-scheduler`. */
  schedulerName?: string;
  leaderElect?: boolean;
  leaderElection?: LeaderElectionSettings;
  /** Lease holder and events' reportingInstance; default `<hostname>_<uuid>`. */
  identity?: string;
  clock?: Clock;
  log?: (line: string) => void;
  /** 0 (default) picks upstream's adaptive percentage. */
  percentageOfNodesToScore?: number;
  /** Bindings in flight at most; default 64. */
  parallelBinds?: number;
  /**
   * Events written at most per second (and in a burst): beyond that they are dropped, so that a burst
   * of thousands of bindings is not slowed by as many Event writes. Defaults 50 and 100.
   */
  eventQps?: number;
  eventBurst?: number;
  /** A ready client instead of one built from kubeConfig (to observe or wrap requests). */
  client?: ApiClient;
}

export interface SchedulerStats {
  /** Scheduling cycles run. */
  attempts: number;
  /** Binding requests sent. */
  bindRequests: number;
  /** Bindings the API server accepted. */
  bound: number;
  bindFailures: number;
  /** Cycles that found no node. */
  unschedulable: number;
  /** Cycles that failed with an error. */
  errors: number;
  /** Events not written because of the event rate limit. */
  eventsDropped: number;
}

export interface RunningScheduler {
  readonly identity: string;
  readonly schedulerName: string;
  /** Live counters. */
  readonly stats: Readonly<SchedulerStats>;
  isLeader(): boolean;
  /** Resolves true once nodes and pods have been listed, false if the signal aborted first. */
  waitForSync(): Promise<boolean>;
  /** Resolves after the signal aborted and everything stopped. */
  readonly done: Promise<void>;
}

type FailureReason = typeof REASON_UNSCHEDULABLE | typeof REASON_SCHEDULER_ERROR;

export function loadKubeConfig(kubeConfig: KubeConfig | string): KubeConfig {
  if (typeof kubeConfig !== 'string') return kubeConfig;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeConfig);
  return kc;
}

/** Starts the scheduler in the background; it runs until `config.signal` aborts. */
export async function startScheduler(config: SchedulerConfig): Promise<RunningScheduler> {
  return new Scheduler(config).start();
}

class Scheduler {
  readonly identity: string;
  readonly schedulerName: string;
  readonly stats: SchedulerStats = {
    attempts: 0,
    bindRequests: 0,
    bound: 0,
    bindFailures: 0,
    unschedulable: 0,
    errors: 0,
    eventsDropped: 0,
  };
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly signal: AbortSignal;
  private readonly profile: Profile;
  private readonly parallelBinds: number;
  private readonly cache: SchedulerCache;
  private readonly queue: SchedulingQueue;
  private readonly snapshot = new NodeInfoSnapshot();
  private readonly recorder: EventRecorder;
  private readonly eventLimiter: BucketRateLimiter<string>;
  private readonly nodes: Informer<Node & KubeObject>;
  private readonly pods: Informer<Pod & KubeObject>;
  private readonly namespaces: Informer;
  private leading = false;
  private startIndex = 0;
  private readonly bindings = new Set<Promise<void>>();
  private wake: (() => void) | undefined;

  constructor(private readonly config: SchedulerConfig) {
    this.identity = config.identity ?? `${os.hostname()}_${randomUUID()}`;
    this.schedulerName = config.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.client =
      config.client ?? clientFor(loadKubeConfig(config.kubeConfig), { userAgent: 'kubicle-scheduler' });
    this.clock = config.clock ?? realClock;
    this.log = config.log ?? ((line) => console.error(line));
    this.signal = config.signal;
    this.parallelBinds = Math.max(1, config.parallelBinds ?? DEFAULT_PARALLEL_BINDS);
    this.cache = new SchedulerCache({ clock: this.clock });
    this.queue = new SchedulingQueue({ clock: this.clock });
    const informerLog = (line: string) => this.log(`scheduler: ${line}`);
    const informer = { client: this.client, apiVersion: 'v1', clock: this.clock, log: informerLog };
    this.nodes = new Informer({ ...informer, kind: 'Node' });
    this.pods = new Informer({ ...informer, kind: 'Pod', fieldSelector: NON_TERMINAL_PODS_SELECTOR });
    this.namespaces = new Informer({ ...informer, kind: 'Namespace' });
    this.profile = defaultProfile({
      strategy: config.strategy,
      schedulerName: this.schedulerName,
      percentageOfNodesToScore: config.percentageOfNodesToScore,
      namespaceLabels: (namespace) => this.namespaces.store.get(namespace)?.metadata.labels ?? undefined,
    });
    this.recorder = new EventRecorder({
      client: this.client,
      component: this.schedulerName,
      host: this.identity,
      clock: this.clock,
      log: throttledEventLog(this.log, this.clock),
    });
    this.eventLimiter = new BucketRateLimiter(
      config.eventQps ?? DEFAULT_EVENT_QPS,
      config.eventBurst ?? DEFAULT_EVENT_BURST,
      this.clock,
    );
  }

  start(): RunningScheduler {
    this.registerHandlers();
    const informers = [this.nodes, this.pods, this.namespaces].map((i) => i.run(this.signal));
    const work = this.config.leaderElect ? this.runElected() : this.schedulingLoop(this.signal);
    const done = Promise.all([...informers, work]).then(() => undefined);
    return {
      identity: this.identity,
      schedulerName: this.schedulerName,
      stats: this.stats,
      isLeader: () => this.leading,
      waitForSync: () => this.waitForSync(this.signal),
      done,
    };
  }

  private async waitForSync(signal: AbortSignal): Promise<boolean> {
    const synced = await Promise.all(
      [this.nodes, this.pods, this.namespaces].map((i) => i.waitForSync(signal)),
    );
    return synced.every(Boolean);
  }

  private runElected(): Promise<void> {
    const settings = this.config.leaderElection ?? {};
    const elector = new LeaderElector({
      client: this.client,
      namespace: settings.namespace ?? SCHEDULER_LEASE_NAMESPACE,
      name: settings.name ?? SCHEDULER_LEASE_NAME,
      identity: this.identity,
      leaseDurationMs: settings.leaseDurationMs,
      renewDeadlineMs: settings.renewDeadlineMs,
      retryPeriodMs: settings.retryPeriodMs,
      clock: this.clock,
      log: (line) => this.log(`scheduler: ${line}`),
      onStartedLeading: (leading) => this.schedulingLoop(leading),
    });
    return elector.run(this.signal);
  }

  // ---------------------------------------------------------------------------------------------------
  // Informer events

  private registerHandlers(): void {
    this.nodes.addEventHandler({
      onAdd: (node) => {
        this.guard(() => this.cache.addNode(node));
        this.queue.moveAllToActiveOrBackoffQueue('NodeAdd');
        this.kick();
      },
      onUpdate: (oldNode, node) => {
        this.guard(() => this.cache.updateNode(node));
        if (nodeSchedulingPropertiesChanged(oldNode, node)) {
          this.queue.moveAllToActiveOrBackoffQueue('NodeUpdate');
          this.kick();
        }
      },
      onDelete: (node) => this.guard(() => this.cache.removeNode(node)),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (oldPod, pod) => this.podUpdated(oldPod, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
  }

  private podAdded(pod: Pod): void {
    if (isAssigned(pod)) {
      this.guard(() => this.cache.addPod(pod));
      this.queue.assignedPodAdded(pod);
      this.kick();
    } else if (isPendingFor(pod, this.schedulerName)) {
      this.queue.add(pod);
      this.kick();
    }
  }

  private podUpdated(oldPod: Pod, pod: Pod): void {
    if (isAssigned(pod)) {
      if (!isAssigned(oldPod)) {
        // Bound (by us or anyone): it leaves the queue and counts on its node from now on.
        this.queue.delete(oldPod);
        this.podAdded(pod);
        return;
      }
      this.guard(() => this.cache.updatePod(oldPod, pod));
      if (assignedPodLabelsChanged(oldPod, pod)) {
        this.queue.assignedPodUpdated(pod);
        this.kick();
      }
    } else if (isPendingFor(pod, this.schedulerName)) {
      this.queue.update(oldPod, pod);
      this.kick();
    } else {
      this.queue.delete(oldPod);
    }
  }

  private podDeleted(pod: Pod): void {
    if (isAssigned(pod)) {
      this.guard(() => this.cache.removePod(pod));
      this.queue.moveAllToActiveOrBackoffQueue('AssignedPodDelete');
      this.kick();
    } else {
      this.queue.delete(pod);
    }
  }

  /** Cache transitions the informer's view makes invalid are logged, never fatal. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`scheduler: ${describe(err)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // The scheduling loop

  private async schedulingLoop(signal: AbortSignal): Promise<void> {
    if (!(await this.waitForSync(signal))) return;
    this.leading = true;
    let nextMaintenance = 0;
    try {
      while (!signal.aborted) {
        const now = this.clock.now();
        if (now >= nextMaintenance) {
          for (const pod of this.cache.cleanupExpiredAssumedPods()) {
            this.log(`scheduler: assumed pod ${pod.metadata?.namespace}/${pod.metadata?.name} expired`);
          }
          nextMaintenance = now + MAINTENANCE_INTERVAL_MS;
        }
        this.queue.flush();
        const queued = this.bindings.size < this.parallelBinds ? this.queue.pop() : undefined;
        if (!queued) {
          const wakeAt = Math.min(this.queue.nextWakeAt() ?? Infinity, nextMaintenance);
          await this.waitForWork(wakeAt - now, signal);
          continue;
        }
        this.scheduleOne(queued);
        // Let binding answers and informer events in before the next cycle.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      await Promise.all([...this.bindings]);
      this.leading = false;
    }
  }

  /** Sleeps until `kick()`, `ms` passed, or `signal` aborts. */
  private waitForWork(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const finish = () => {
        this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        if (this.wake === finish) this.wake = undefined;
        resolve();
      };
      const timer: TimerHandle = this.clock.setTimeout(finish, Math.max(0, ms));
      signal.addEventListener('abort', finish, { once: true });
      this.wake = finish;
    });
  }

  private kick(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private scheduleOne(queued: QueuedPodInfo): void {
    const pod = queued.podInfo.pod;
    const cycle = this.queue.schedulingCycle;
    if (pod.metadata?.deletionTimestamp || this.cache.isAssumedPod(pod)) {
      this.queue.done(pod);
      return;
    }
    this.stats.attempts++;
    let result: ScheduleResult;
    try {
      this.cache.updateSnapshot(this.snapshot);
      result = schedulePod(this.profile, queued.podInfo, this.snapshot, { startIndex: this.startIndex });
    } catch (err) {
      this.stats.errors++;
      this.failed(pod, cycle, REASON_SCHEDULER_ERROR, describe(err), []);
      return;
    }
    this.startIndex = result.nextStartIndex;
    if (result.kind === 'Unschedulable') {
      this.stats.unschedulable++;
      this.failed(pod, cycle, REASON_UNSCHEDULABLE, result.message, [
        ...result.diagnosis.unschedulablePlugins,
      ]);
      return;
    }
    let assumed: Pod;
    try {
      assumed = this.cache.assumePod(pod, result.nodeName);
    } catch (err) {
      this.stats.errors++;
      this.failed(pod, cycle, REASON_SCHEDULER_ERROR, describe(err), []);
      return;
    }
    const binding = this.bind(pod, assumed, result.nodeName, cycle);
    this.bindings.add(binding);
    void binding.finally(() => {
      this.bindings.delete(binding);
      this.kick();
    });
  }

  private async bind(pod: Pod, assumed: Pod, nodeName: string, cycle: number): Promise<void> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    this.stats.bindRequests++;
    try {
      await this.client.create(
        'v1',
        'Pod',
        namespace,
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace, uid: pod.metadata?.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
        { subresource: 'binding', name },
      );
    } catch (err) {
      this.stats.bindFailures++;
      try {
        this.cache.forgetPod(assumed);
      } catch {
        // The informer already showed the pod bound, which replaced the assumption.
      }
      if (isConflict(err)) {
        // Bound by someone else, or being deleted: the informer will show which; nothing to report.
        this.queue.addUnschedulableIfNotPresent(pod, cycle);
        return;
      }
      this.failed(pod, cycle, REASON_SCHEDULER_ERROR, `Binding rejected: ${describe(err)}`, []);
      return;
    }
    this.stats.bound++;
    this.cache.finishBinding(assumed);
    this.queue.done(pod);
    // Most Scheduled events are over the rate limit: look up the pod and build the text only for the rest.
    if (!this.acceptEvent()) return;
    this.recorder.event(
      (this.currentPod(pod) ?? pod) as KubeObject,
      'Normal',
      'Scheduled',
      `Successfully assigned ${namespace}/${name} to ${nodeName}`,
    );
  }

  private acceptEvent(): boolean {
    if (this.eventLimiter.tryAccept()) return true;
    this.stats.eventsDropped++;
    return false;
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.acceptEvent()) this.recorder.event(pod as KubeObject, type, reason, message);
  }

  /**
   * Upstream's handleSchedulingFailure: back into the queue (unschedulable when plugins rejected it,
   * else backoff), then the event and the condition, unless the pod is gone or bound meanwhile.
   */
  private failed(
    pod: Pod,
    cycle: number,
    reason: FailureReason,
    message: string,
    unschedulablePlugins: string[],
  ): void {
    const current = this.currentPod(pod);
    if (!current || isAssigned(current)) {
      this.queue.delete(pod);
      return;
    }
    this.queue.addUnschedulableIfNotPresent(pod, cycle, { unschedulablePlugins, pod: current });
    this.event(current, 'Warning', 'FailedScheduling', message);
    const patch = podScheduledFalsePatch(current, reason, message, this.clock.now());
    if (!patch) return;
    const namespace = current.metadata?.namespace ?? '';
    const name = current.metadata?.name ?? '';
    this.client
      .patch('v1', 'Pod', namespace, name, patch, { type: 'strategic', subresource: 'status' })
      .catch((err: unknown) => {
        this.log(`scheduler: could not update the condition of pod ${namespace}/${name}: ${describe(err)}`);
      });
  }

  /** The informer's latest copy of the same pod (same UID), if it still exists. */
  private currentPod(pod: Pod): Pod | undefined {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const current = this.pods.store.get(key);
    return current && current.metadata.uid === pod.metadata?.uid ? current : undefined;
  }
}

/**
 * The event recorder logs every event it drops when its backlog is full, which a burst of thousands
 * of bindings does on purpose; one summary line per interval says the same.
 */
function throttledEventLog(log: (line: string) => void, clock: Clock): (line: string) => void {
  const intervalMs = 10_000;
  let dropped = 0;
  let lastReport = -Infinity;
  return (line) => {
    if (!line.startsWith('events: dropping')) return log(`scheduler: ${line}`);
    dropped++;
    const now = clock.now();
    if (now - lastReport < intervalMs) return;
    lastReport = now;
    log(`scheduler: ${line} (${dropped} events dropped so far: the event backlog is full)`);
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
