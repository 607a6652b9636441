/**
 * Pod rows as `kubectl get pods` shows them. The STATUS cell is upstream's summary of phase, init and
 * app container states and deletion; READY counts ready app containers plus started sidecars (restartable
 * init containers); RESTARTS carries "(5m ago)" after the last restart it counts.
 */

import type { KubeObject } from '../api-object.js';
import { DOCS } from './column-docs.js';
import { humanDuration } from './human-duration.js';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  ageOf,
  arrayOf,
  nameOf,
  parseTimestamp,
  recordOf,
  stringOf,
} from './print-helpers.js';
import type { ResourcePrinter, TableRowCondition } from './table-types.js';
import { column } from './table-types.js';

interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string };
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
}

/** Set by the node lifecycle controller on pods of a node that stopped reporting. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

function hasCondition(conditions: PodCondition[], type: string): boolean {
  return conditions.some((c) => c.type === type && c.status === 'True');
}

/** Go's `PodInitialized` check reads only the first condition of that type. */
function isInitializedConditionTrue(conditions: PodCondition[]): boolean {
  return conditions.find((c) => c.type === 'Initialized')?.status === 'True';
}

function terminatedReason(terminated: NonNullable<ContainerState['terminated']>, prefix: string): string {
  if (terminated.reason) return prefix + terminated.reason;
  if (terminated.signal) return `${prefix}Signal:${terminated.signal}`;
  return `${prefix}ExitCode:${terminated.exitCode ?? 0}`;
}

/** Tracks the latest `lastState.terminated.finishedAt` among the containers that count towards restarts. */
class RestartTally {
  count = 0;
  lastRestart: number | undefined;

  add(status: ContainerStatus): void {
    this.count += status.restartCount ?? 0;
    const finished = parseTimestamp(status.lastState?.terminated?.finishedAt);
    if (finished !== undefined && (this.lastRestart === undefined || finished > this.lastRestart)) {
      this.lastRestart = finished;
    }
  }

  format(now: Date): string {
    if (this.count === 0 || this.lastRestart === undefined) return String(this.count);
    return `${this.count} (${humanDuration(now.getTime() - this.lastRestart)} ago)`;
  }
}

interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function summarisePod(pod: KubeObject, now: Date): PodSummary {
  const spec = recordOf(pod.spec);
  const status = recordOf(pod.status);
  const conditions = arrayOf<PodCondition>(status.conditions);
  const initSpecs = arrayOf(spec.initContainers);
  const sidecars = new Set(
    initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => stringOf(c.name)),
  );
  const totalContainers = arrayOf(spec.containers).length + sidecars.size;
  const phase = stringOf(status.phase);
  let reason = stringOf(status.reason) || phase;
  let readyContainers = 0;

  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const allInit = new RestartTally();
  const sidecarOnly = new RestartTally();
  let initializing = false;
  const initStatuses = arrayOf<ContainerStatus>(status.initContainerStatuses);
  for (const [index, container] of initStatuses.entries()) {
    const isSidecar = sidecars.has(stringOf(container.name));
    allInit.add(container);
    if (isSidecar) sidecarOnly.add(container);
    const state = container.state ?? {};
    if (state.terminated && (state.terminated.exitCode ?? 0) === 0) continue;
    if (isSidecar && container.started) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (state.terminated) {
      reason = terminatedReason(state.terminated, 'Init:');
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${index}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  // While init containers still run, their restarts are the ones worth showing; after that only
  // sidecar restarts carry over, added to the app containers'.
  let restarts = allInit;
  if (!initializing || isInitializedConditionTrue(conditions)) {
    restarts = sidecarOnly;
    let hasRunning = false;
    const statuses = arrayOf<ContainerStatus>(status.containerStatuses);
    for (const container of [...statuses].reverse()) {
      restarts.add(container);
      const state = container.state ?? {};
      if (state.waiting?.reason) {
        reason = state.waiting.reason;
      } else if (state.terminated) {
        reason = terminatedReason(state.terminated, '');
      } else if (container.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // One finished container does not make a pod whose other containers still run "Completed".
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  if (deleting && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restarts.format(now) };
}

function readinessGates(spec: Record<string, unknown>, conditions: PodCondition[]): string {
  const gates = arrayOf(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  const passing = gates.filter(
    (gate) => conditions.find((c) => c.type === gate.conditionType)?.status === 'True',
  ).length;
  return `${passing}/${gates.length}`;
}

/** Older writers set only `podIP`; when both are set and differ, `podIP` wins, as in upstream's conversion. */
function podIP(status: Record<string, unknown>): string {
  const first = stringOf(recordOf(arrayOf(status.podIPs)[0]).ip);
  return stringOf(status.podIP) || first || '<none>';
}

function completedConditions(pod: KubeObject): TableRowCondition[] | undefined {
  const phase = recordOf(pod.status).phase;
  if (phase === 'Succeeded') {
    return [
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ];
  }
  if (phase === 'Failed') {
    return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  }
  return undefined;
}

export const podPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', DOCS.podReady),
    column('Status', 'string', DOCS.podStatus),
    column('Restarts', 'string', DOCS.podRestarts),
    AGE_COLUMN,
    column('IP', 'string', DOCS.podIP, { priority: 1 }),
    column('Node', 'string', DOCS.podNodeName, { priority: 1 }),
    column('Nominated Node', 'string', DOCS.podNominatedNodeName, { priority: 1 }),
    column('Readiness Gates', 'string', DOCS.podReadinessGates, { priority: 1 }),
  ],
  cells(pod, now) {
    const spec = recordOf(pod.spec);
    const status = recordOf(pod.status);
    const summary = summarisePod(pod, now);
    return [
      nameOf(pod),
      summary.ready,
      summary.status,
      summary.restarts,
      ageOf(pod, now),
      podIP(status),
      stringOf(spec.nodeName) || '<none>',
      stringOf(status.nominatedNodeName) || '<none>',
      readinessGates(spec, arrayOf<PodCondition>(status.conditions)),
    ];
  },
  conditions: completedConditions,
};
