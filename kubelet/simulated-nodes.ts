/**
 * Simulated nodes: many Nodes served by one process without Docker, for scheduler and controller
 * tests and benchmarks at scale (upstream's kubemark/KWOK idea).
 *
 * Contract:
 * - `startSimulatedNodes` registers `count` Nodes named `<namePrefix><i>` (an existing Node of that
 *   name is taken over: labels updated, status posted), and resolves once every node is registered
 *   and the pod cache is synced. Each node has capacity/allocatable, the standard labels plus
 *   `node.kubernetes.io/instance-type: simulated`, a Ready condition, an InternalIP and a pod /24 of
 *   its own (see pod-ip-pool.ts). Node status is posted again every `nodeStatusReportIntervalMs`
 *   (re-registering the node if it was deleted) and each node's Lease in `kube-node-lease` is renewed
 *   every 10 s.
 * - One informer watches every bound pod (`spec.nodeName!=`: a field selector cannot OR node names)
 *   and pods on other nodes are ignored. A pod on a simulated node becomes Running and Ready
 *   `readyDelayMs` after the node first saw it, with the kubelet's own status calculation (see
 *   simulated-pod.ts); its status is written through the status subresource, only when it changed.
 * - A pod being deleted gracefully is finished `terminationDelayMs` after the node saw the deletion,
 *   with a DELETE of grace period 0 (uid precondition), as a kubelet does once its containers stopped.
 * - All writes go through work queues with `workers` workers each, so 1,000 nodes and 10,000 pods
 *   make a bounded number of concurrent requests; failed writes are retried with backoff.
 * - Aborting `signal` stops everything; `done` resolves once it has. Nodes are left registered, as a
 *   stopped kubelet leaves its node (the node controller marks it NotReady once the lease expires).
 */
import type { KubeObject } from '../apiserver/api-object.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient, ClusterAccess } from '../machinery/api-client.js';
import { isConflict, isNotFound } from '../machinery/api-status-error.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import { Informer } from '../machinery/informer.js';
import { metaNamespaceKey } from '../machinery/keys.js';
import { runWorkers } from '../machinery/run-workers.js';
import { WorkQueue } from '../machinery/workqueue.js';
import type { Pod } from './api-types.js';
import { mergePatchDiff } from './merge-patch-diff.js';
import { leaseCopyIsStale, postNodeStatus, registerNode, renewNodeLease } from './node-registration.js';
import {
  KUBELET_VERSION,
  NODE_LEASE_RENEW_INTERVAL_MS,
  NODE_STATUS_REPORT_INTERVAL_MS,
  buildNode,
  buildNodeStatus,
} from './node-status.js';
import type { Lease, NodeDescription, NodeStatus } from './node-status.js';
import { PodIpPool, simulatedNodeIP, simulatedPodCidr } from './pod-ip-pool.js';
import {
  SIMULATED_RUNTIME,
  reportedStartedAt,
  simulatedFinishAt,
  simulatedPodStatus,
} from './simulated-pod.js';

export interface SimulatedNodesConfig {
  /** client-node's KubeConfig, or what `loadClusterAccess` reads without it. */
  kubeConfig: ClusterAccess;
  count: number;
  /** Node names are `<namePrefix><index>`; default `sim-node-`. */
  namePrefix?: string;
  /** From when a node first sees a pod until it reports it Running and Ready; default 500 ms. */
  readyDelayMs?: number;
  /** From when a node sees a graceful deletion until it finishes it; default 100 ms. */
  terminationDelayMs?: number;
  /** Per node; default cpu 8, memory 32Gi, pods 110. Allocatable is the same. */
  capacity?: Record<string, string>;
  /** More labels for every node. */
  labels?: Record<string, string>;
  /** Spread nodes over these `topology.kubernetes.io/zone` values, round robin. */
  zones?: string[];
  /** Concurrent writers per queue (pods, nodes, leases); default 32. */
  workers?: number;
  nodeStatusReportIntervalMs?: number;
  leaseRenewIntervalMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
  signal: AbortSignal;
}

export interface SimulatedNodesStats {
  nodes: number;
  pods: number;
  statusWrites: number;
  deletions: number;
  leaseRenewals: number;
}

export interface RunningSimulatedNodes {
  nodeNames: string[];
  stats(): SimulatedNodesStats;
  /** Resolves once `signal` aborted and every loop has stopped. */
  done: Promise<void>;
}

export const SIMULATED_INSTANCE_TYPE = 'simulated';
const DEFAULT_CAPACITY = { cpu: '8', memory: '32Gi', pods: '110' };

interface SimNode {
  description: NodeDescription;
  uid?: string;
  posted?: NodeStatus;
  registered?: boolean;
  lease?: Lease;
  ips: PodIpPool;
  hostIP: string;
}

interface SimPod {
  node: SimNode;
  seenAt: number;
  startedAt: number;
  podIP?: string;
  deletionSeenAt?: number;
}

function describeNode(config: SimulatedNodesConfig, index: number): NodeDescription {
  const name = `${config.namePrefix ?? 'sim-node-'}${index}`;
  const capacity = { ...DEFAULT_CAPACITY, ...config.capacity };
  const labels: Record<string, string> = {
    'node.kubernetes.io/instance-type': SIMULATED_INSTANCE_TYPE,
    ...config.labels,
  };
  if (config.zones?.length) labels['topology.kubernetes.io/zone'] = config.zones[index % config.zones.length];
  return {
    name,
    labels,
    capacity,
    allocatable: { ...capacity },
    addresses: [
      { type: 'InternalIP', address: simulatedNodeIP(index) },
      { type: 'Hostname', address: name },
    ],
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: 'simulated',
      osImage: 'Kubicle simulated node',
      containerRuntimeVersion: `${SIMULATED_RUNTIME}://${KUBELET_VERSION.slice(1)}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
    kubeletPort: 0,
    podCIDR: simulatedPodCidr(index),
  };
}

function asPod(obj: KubeObject): Pod {
  return obj as unknown as Pod;
}

function jittered(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

export async function startSimulatedNodes(config: SimulatedNodesConfig): Promise<RunningSimulatedNodes> {
  const { signal } = config;
  const clock = config.clock ?? realClock;
  const log = config.log ?? ((line: string) => console.error(line));
  const workers = config.workers ?? 32;
  const readyDelayMs = config.readyDelayMs ?? 500;
  const terminationDelayMs = config.terminationDelayMs ?? 100;
  const reportIntervalMs = config.nodeStatusReportIntervalMs ?? NODE_STATUS_REPORT_INTERVAL_MS;
  const leaseIntervalMs = config.leaseRenewIntervalMs ?? NODE_LEASE_RENEW_INTERVAL_MS;
  const client: ApiClient = clientFor(config.kubeConfig, { userAgent: 'kubicle-simulated-nodes' });

  const nodes = new Map<string, SimNode>();
  for (let i = 0; i < config.count; i++) {
    const description = describeNode(config, i);
    nodes.set(description.name, {
      description,
      ips: new PodIpPool(description.podCIDR!),
      hostIP: description.addresses[0].address,
    });
  }
  const pods = new Map<string, SimPod>();
  const stats = { statusWrites: 0, deletions: 0, leaseRenewals: 0 };

  const nodeQueue = new WorkQueue<string>({ clock });
  const leaseQueue = new WorkQueue<string>({ clock });
  const podQueue = new WorkQueue<string>({ clock });
  let registered = 0;
  let allRegistered: () => void = () => undefined;
  const registration = new Promise<void>((resolve) => (allRegistered = resolve));
  if (config.count === 0) allRegistered();

  const podInformer = new Informer<KubeObject>({
    client,
    apiVersion: 'v1',
    kind: 'Pod',
    fieldSelector: 'spec.nodeName!=',
    clock,
    log,
  });
  const enqueue = (obj: KubeObject) => {
    if (nodes.has(asPod(obj).spec?.nodeName ?? '')) podQueue.add(metaNamespaceKey(obj));
  };
  podInformer.addEventHandler({
    onAdd: enqueue,
    onUpdate: (_old, obj) => enqueue(obj),
    onDelete: (obj) => {
      const uid = obj.metadata.uid ?? '';
      const state = pods.get(uid);
      state?.node.ips.release(state.podIP);
      pods.delete(uid);
    },
  });

  /** Registers the node, or posts its status; then schedules the next report. */
  async function syncNode(name: string): Promise<void> {
    const node = nodes.get(name)!;
    const now = clock.now();
    const health = { ready: true };
    if (node.uid === undefined) {
      const fresh = buildNode(node.description, health, now);
      node.uid = await registerNode(client, fresh);
      node.posted = fresh.status;
      if (!node.registered) {
        node.registered = true;
        leaseQueue.add(name);
        if (++registered === nodes.size) allRegistered();
      }
    } else {
      const status = buildNodeStatus(node.description, health, node.posted, now);
      try {
        await postNodeStatus(client, name, status);
      } catch (err) {
        // Deleted behind our back: register it again.
        if (isNotFound(err)) node.uid = undefined;
        throw err;
      }
      node.posted = status;
    }
    nodeQueue.addAfter(name, jittered(reportIntervalMs));
  }

  async function syncLease(name: string): Promise<void> {
    const node = nodes.get(name)!;
    try {
      node.lease = await renewNodeLease(client, name, node.uid, clock.now(), node.lease);
      stats.leaseRenewals++;
    } catch (err) {
      if (leaseCopyIsStale(err)) node.lease = undefined;
      throw err;
    }
    leaseQueue.addAfter(name, jittered(leaseIntervalMs));
  }

  /** Plays one pod: ready after the delay, finished after a graceful deletion. */
  async function syncPod(key: string): Promise<void> {
    const obj = podInformer.store.get(key);
    if (!obj) return;
    const pod = asPod(obj);
    const node = nodes.get(pod.spec?.nodeName ?? '');
    const uid = pod.metadata?.uid ?? '';
    if (!node) return;
    const now = clock.now();
    let state = pods.get(uid);
    if (!state) {
      const startedAt = reportedStartedAt(pod);
      state = { node, seenAt: now, startedAt: startedAt ?? now + readyDelayMs };
      if (!pod.spec?.hostNetwork) {
        const reported = pod.status?.podIP;
        state.podIP = reported && node.ips.reserve(reported) ? reported : node.ips.allocate();
      }
      pods.set(uid, state);
    }

    if (pod.metadata?.deletionTimestamp) {
      state.deletionSeenAt ??= now;
      const wait = state.deletionSeenAt + terminationDelayMs - now;
      if (wait > 0) return podQueue.addAfter(key, wait);
      try {
        await client.delete('v1', 'Pod', pod.metadata.namespace, pod.metadata.name!, {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
        stats.deletions++;
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (now < state.startedAt) return podQueue.addAfter(key, state.startedAt - now);
    if (!state.podIP && !pod.spec?.hostNetwork) {
      throw new Error(`node ${node.description.name} has no pod address left for ${key}`);
    }

    const status = simulatedPodStatus(pod, { podIP: state.podIP, hostIP: node.hostIP }, state, now);
    const patch = mergePatchDiff(pod.status ?? {}, status);
    if (patch !== undefined) {
      await client.patch(
        'v1',
        'Pod',
        pod.metadata?.namespace,
        pod.metadata!.name!,
        { status: patch },
        {
          subresource: 'status',
        },
      );
      stats.statusWrites++;
    }
    const finishAt = simulatedFinishAt(pod, state.startedAt);
    if (finishAt !== undefined && now < finishAt) podQueue.addAfter(key, finishAt - now);
  }

  const quiet = { signal, log };
  const loops = Promise.all([
    runWorkers(nodeQueue, workers, syncNode, { ...quiet, name: 'simulated nodes' }),
    runWorkers(leaseQueue, workers, syncLease, { ...quiet, name: 'simulated node leases' }),
    runWorkers(podQueue, workers, syncPod, { ...quiet, name: 'simulated pods' }),
    podInformer.run(signal),
  ]).then(() => undefined);
  for (const name of nodes.keys()) nodeQueue.add(name);

  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await Promise.race([Promise.all([registration, podInformer.waitForSync(signal)]), aborted]);

  return {
    nodeNames: [...nodes.keys()],
    stats: () => ({ nodes: registered, pods: pods.size, ...stats }),
    done: loops,
  };
}
