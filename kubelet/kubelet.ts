/**
 * The kubelet: registers this host as a Node and runs the pods bound to it on a container runtime
 * (Docker), reporting their true state back.
 *
 * Contract:
 * - `startKubelet` resolves once the Node is registered, the log server listens and the caches are
 *   synced; the kubelet then runs until `signal` aborts, and `done` resolves once it has stopped.
 *   Stopping leaves containers running: a kubelet started again adopts them.
 * - The Node carries capacity (CPU count, memory, pods), allocatable, InternalIP and Hostname,
 *   nodeInfo, the standard labels and the kubelet endpoint (the log server's port). Its status is
 *   posted when it changes (checked every 10 s and at once when the runtime comes or goes) and every
 *   5 min regardless; Ready is False with the reason while the runtime cannot be reached. The Lease
 *   in `kube-node-lease` is renewed every 10 s.
 * - ConfigMaps and Secrets are read only as the Node authorizer allows: those the node's pods
 *   reference, each through an informer on that one object (referenced-objects.ts).
 * - Pods come from one informer on `spec.nodeName=<node>`. Every change of a pod, every runtime
 *   change the relist (every second) notices, every probe result change and every change of a
 *   ConfigMap or Secret a pod uses wakes that pod's serial worker (pod-workers.ts), which runs
 *   PodSyncer: syncPod for live pods, terminatePod for pods being deleted, cleanupPod for pods the
 *   API no longer has. So containers killed or removed behind the kubelet's back are replaced.
 *   The one change that wakes nothing is the watch echoing the kubelet's own status write, when the
 *   sync that wrote it left nothing to do. (Upstream goes further: a change of status alone only
 *   "reconciles", and syncs just when the Ready condition disagrees with the containers.)
 * - On start, everything the runtime holds for this node is synced like that: containers of pods
 *   that still exist are adopted as they are (no restart, no duplicate), the rest are removed.
 * - Container logs are served on `port` (see log-server.ts), which the API server's pods/log reaches;
 *   with `tls`, over HTTPS to the API server's client certificate only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../apiserver/api-object.js';
import { clientFor } from '../machinery/api-client.js';
import type { ApiClient, ClusterAccess } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import { EventRecorder } from '../machinery/event-recorder.js';
import { Informer } from '../machinery/informer.js';
import type { Pod, Service } from './api-types.js';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, Backoff } from './backoff.js';
import { DEFAULT_CLUSTER_DNS, DEFAULT_CLUSTER_DOMAIN } from './container-config.js';
import { hostPressure, readHostInfo } from './host-info.js';
import type { HostInfo } from './host-info.js';
import { createLogServer, listen } from './log-server.js';
import type { LogServer } from './log-server.js';
import { leaseCopyIsStale, postNodeStatus, registerNode, renewNodeLease } from './node-registration.js';
import {
  DEFAULT_MAX_PODS,
  KUBELET_VERSION,
  NODE_LEASE_RENEW_INTERVAL_MS,
  NODE_STATUS_REPORT_INTERVAL_MS,
  allocatableOf,
  buildNode,
  buildNodeStatus,
  jsonEqual,
  machineCapacity,
  nodeStatusChanged,
} from './node-status.js';
import type { Lease, NodeDescription, NodeHealth, NodeStatus } from './node-status.js';
import { relistEvents, snapshotOf } from './pleg.js';
import type { PlegContainerState } from './pleg.js';
import { PodSyncer, EVENT_UNHEALTHY } from './pod-syncer.js';
import { PodWorkers } from './pod-workers.js';
import { ProbeManager, probeKindName } from './prober.js';
import { ReferencedObjects, podReferences } from './referenced-objects.js';
import { DockerRuntime } from './runtime/docker-runtime.js';
import type { ContainerRuntime } from './runtime/runtime.js';
import { ensureKubeletServingCertificate } from './serving-certificate.js';
import { VolumeManager } from './volume-manager.js';

export interface KubeletConfig {
  /** client-node's KubeConfig, or what `loadClusterAccess` reads without it. */
  kubeConfig: ClusterAccess;
  nodeName: string;
  /** Where pod volumes live. */
  dataDir: string;
  /** Defaults to Docker through its socket, owning containers labelled with this node's name. */
  runtime?: ContainerRuntime;
  /** The InternalIP; default: the address of the default route's interface. */
  nodeIP?: string;
  /** The log server's port; 0 picks a free one (advertised in the Node). Default 10250. */
  port?: number;
  /** Where the log server listens; default: the node IP. */
  address?: string;
  /**
   * Serve the log endpoint over HTTPS to clients with a certificate signed by `clientCA` whose CN is
   * in `allowedClientNames` (default: the API server's, `kube-apiserver-kubelet-client`). Without
   * `cert` and `key`, a self-signed certificate under `<dataDir>/pki`. Without `tls`: plain HTTP.
   */
  tls?: { clientCA: string; cert?: string; key?: string; allowedClientNames?: readonly string[] };
  clusterDNS?: string[];
  clusterDomain?: string;
  maxPods?: number;
  labels?: Record<string, string>;
  /** Crash-loop backoff; default 10 s doubling to 5 min, as upstream. */
  crashLoopBackOff?: { initialMs?: number; maxMs?: number };
  relistIntervalMs?: number;
  nodeStatusUpdateIntervalMs?: number;
  /** Every pod is synced at least this often; default 60 s. */
  resyncIntervalMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
  signal: AbortSignal;
}

export interface RunningKubelet {
  nodeName: string;
  nodeIP: string;
  port: number;
  /** Resolves once `signal` aborted and the kubelet has stopped. */
  done: Promise<void>;
}

/** pod uid → pod, so runtime state (labelled by uid) finds its pod. */
const UID_INDEX = 'uid';
const HOUSEKEEPING_INTERVAL_MS = 2_000;
const RUNTIME_PING_TIMEOUT_MS = 5_000;
/** How long stopping waits for the pod syncs in flight before leaving them to the next start. */
const SHUTDOWN_WAIT_MS = 2_000;
/**
 * How long a pod's sync waits for the first list of an object it has just started to reference
 * (upstream's watch-based manager waits 1 s); past it, the sync goes on and reports it missing.
 */
const SOURCES_SYNC_WAIT_MS = 5_000;

/** Whether the pod reads that ConfigMap or Secret, through a volume or its environment. */
export function podUsesObject(pod: Pod, kind: 'ConfigMap' | 'Secret', name: string): boolean {
  return podReferences(pod).some((ref) => ref.kind === kind && ref.name === name);
}

/** Whether two versions of an object differ in their status alone (and the bookkeeping a write changes). */
export function onlyStatusChanged(old: KubeObject, cur: KubeObject): boolean {
  const rest = ({ status: _status, metadata, ...obj }: KubeObject) => {
    const { resourceVersion: _rv, managedFields: _fields, ...meta } = metadata;
    return { ...obj, metadata: meta };
  };
  return jsonEqual(rest(old), rest(cur));
}

function describeNode(
  config: KubeletConfig,
  host: HostInfo,
  port: number,
  runtimeVersion: string,
): NodeDescription {
  const capacity = machineCapacity(host.cpus, host.memoryBytes, config.maxPods ?? DEFAULT_MAX_PODS);
  return {
    name: config.nodeName,
    labels: config.labels,
    capacity,
    allocatable: allocatableOf(capacity),
    addresses: [
      { type: 'InternalIP', address: host.nodeIP },
      { type: 'Hostname', address: host.hostname },
    ],
    nodeInfo: {
      machineID: host.machineID,
      systemUUID: host.systemUUID,
      bootID: host.bootID,
      kernelVersion: host.kernelVersion,
      osImage: host.osImage,
      containerRuntimeVersion: runtimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: host.operatingSystem,
      architecture: host.architecture,
    },
    kubeletPort: port,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A loop that runs `fn` every `ms` until the signal aborts; `wake()` runs it at once. */
class Ticker {
  private wakeUp: AbortController = new AbortController();
  constructor(
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
  ) {}

  wake(): void {
    this.wakeUp.abort();
  }

  async run(intervalMs: () => number, fn: () => Promise<void>): Promise<void> {
    while (!this.signal.aborted) {
      await fn();
      if (this.signal.aborted) break;
      this.wakeUp = new AbortController();
      await this.clock.sleep(intervalMs(), AbortSignal.any([this.signal, this.wakeUp.signal]));
    }
  }
}

export async function startKubelet(config: KubeletConfig): Promise<RunningKubelet> {
  const { signal, nodeName } = config;
  const clock = config.clock ?? realClock;
  const log = config.log ?? ((line: string) => console.error(line));
  const host = readHostInfo(config.nodeIP);
  const runtime = config.runtime ?? new DockerRuntime({ nodeName });
  fs.mkdirSync(config.dataDir, { recursive: true });
  const client: ApiClient = clientFor(config.kubeConfig, {
    userAgent: `kubelet/${KUBELET_VERSION} (${nodeName})`,
  });
  const recorder = new EventRecorder({ client, component: 'kubelet', host: nodeName, clock, log });

  // Caches: this node's pods, the services for their environment, and one informer per ConfigMap or
  // Secret they reference (the Node authorizer lets a kubelet read nothing else).
  const informerOptions = { client, clock, log };
  const pods = new Informer<KubeObject>({
    ...informerOptions,
    apiVersion: 'v1',
    kind: 'Pod',
    fieldSelector: `spec.nodeName=${nodeName}`,
    indexers: { [UID_INDEX]: (obj) => (obj.metadata.uid ? [obj.metadata.uid] : []) },
  });
  const services = new Informer<KubeObject>({ ...informerOptions, apiVersion: 'v1', kind: 'Service' });
  const referenced = new ReferencedObjects({
    ...informerOptions,
    signal,
    // A pod using a ConfigMap or Secret that changed (or appeared, or vanished) syncs again.
    onChange: (_ref, uids) => {
      for (const uid of uids) {
        const pod = podByUid(uid);
        if (pod) workers.update(uid, pod);
      }
    },
  });
  const podByUid = (uid: string): Pod | undefined => pods.store.byIndex(UID_INDEX, uid)[0] as Pod | undefined;

  // The log server first: its port goes into the Node.
  const address = config.address ?? host.nodeIP;
  const tls = config.tls && {
    ...config.tls,
    ...(config.tls.cert && config.tls.key
      ? { cert: config.tls.cert, key: config.tls.key }
      : ensureKubeletServingCertificate(path.join(config.dataDir, 'pki'), {
          nodeName,
          addresses: [host.nodeIP, address],
        })),
  };
  const logServer: LogServer = createLogServer({
    runtime,
    findPod: (namespace, name) => pods.store.get(`${namespace}/${name}`) as Pod | undefined,
    now: () => clock.now(),
    tls,
  });
  const port = await listen(logServer, address, config.port ?? 10250);

  let runtimeError: string | undefined;
  let runtimeVersion = '';
  const refreshRuntimeVersion = async () => {
    if (runtimeVersion) return;
    const v = await withTimeout(runtime.version(), RUNTIME_PING_TIMEOUT_MS, 'container runtime version');
    runtimeVersion = `${runtime.type}://${v.runtimeVersion}`;
  };
  await refreshRuntimeVersion().catch((err: unknown) => (runtimeError = errorText(err)));
  let description = describeNode(config, host, port, runtimeVersion || `${runtime.type}://unknown`);
  const health = (): NodeHealth => ({
    ready: runtimeError === undefined,
    notReadyMessage: runtimeError && `container runtime is down: ${runtimeError}`,
    ...hostPressure(config.dataDir),
  });

  const volumes = new VolumeManager(config.dataDir);
  // The relist's last view of the runtime, per pod; syncs update it with what they saw themselves.
  let relisted = new Map<string, ReadonlyMap<string, PlegContainerState>>();
  const probes = new ProbeManager({
    runtime,
    clock,
    onChange: (uid) => workers.update(uid, podByUid(uid)),
    onFailure: (pod, container, kind, output) =>
      recorder.event(
        pod as unknown as KubeObject,
        'Warning',
        EVENT_UNHEALTHY,
        `${probeKindName(kind)} probe failed: ${output}`.trim(),
      ),
  });
  const syncer = new PodSyncer({
    runtime,
    client,
    recordEvent: (obj, type, reason, message) => recorder.event(obj, type, reason, message),
    volumes,
    probes,
    backoff: new Backoff(
      clock,
      config.crashLoopBackOff?.initialMs ?? BACKOFF_INITIAL_MS,
      config.crashLoopBackOff?.maxMs ?? BACKOFF_MAX_MS,
    ),
    pullBackoff: new Backoff(clock),
    clock,
    dataDir: config.dataDir,
    dns: {
      clusterDNS: config.clusterDNS ?? [DEFAULT_CLUSTER_DNS],
      clusterDomain: config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
    },
    hostIPs: [host.nodeIP],
    machineMemoryBytes: host.memoryBytes,
    nodeAllocatable: description.allocatable,
    observed: (uid, status) => {
      if (!status) relisted.delete(uid);
      else relisted.set(uid, snapshotOf(status.sandboxes, status.containers).get(uid) ?? new Map());
    },
    sources: {
      configMaps: (ns) => referenced.configMaps(ns),
      secrets: (ns) => referenced.secrets(ns),
      services: () => services.store.list() as Service[],
    },
    log,
  });

  /** The newest state of each pod as last seen, for cleaning up after pods that are gone. */
  const lastKnown = new Map<string, Pod>();
  const workers: PodWorkers<Pod | undefined> = new PodWorkers({
    clock,
    log,
    sync: async (uid, last) => {
      const pod = podByUid(uid);
      if (!pod) {
        await syncer.cleanupPod(uid, last ?? lastKnown.get(uid));
        lastKnown.delete(uid);
        workers.forget(uid);
        return;
      }
      if (pod.metadata?.deletionTimestamp) {
        await syncer.terminatePod(pod);
        return;
      }
      // An object the pod has just started to reference may not be listed yet: without this wait
      // the sync would report it missing although it exists.
      await referenced.waitForPod(pod, SOURCES_SYNC_WAIT_MS);
      // Deleted meanwhile: the update queued by the deletion cleans up.
      if (!podByUid(uid)) return;
      const result = await syncer.syncPod(pod);
      if (result.resyncAfterMs !== undefined) workers.syncAfter(uid, result.resyncAfterMs);
    },
  });

  // Register the Node, retrying until the API server takes it.
  let nodeUid = '';
  let posted: NodeStatus | undefined;
  let postedAt = 0;
  for (let delay = 500; !signal.aborted; delay = Math.min(delay * 2, 10_000)) {
    try {
      const node = buildNode(description, health(), clock.now());
      nodeUid = await registerNode(client, node);
      posted = node.status;
      postedAt = clock.now();
      break;
    } catch (err) {
      log(`kubelet: registering node ${nodeName} failed, retrying in ${delay} ms: ${errorText(err)}`);
      await clock.sleep(delay, signal);
    }
  }

  const informerRuns = [pods, services].map((i) => i.run(signal));
  await Promise.all([pods, services].map((i) => i.waitForSync(signal)));

  const nodeStatusTicker = new Ticker(clock, signal);
  const updateNodeStatus = async () => {
    try {
      await withTimeout(runtime.ping(), RUNTIME_PING_TIMEOUT_MS, 'container runtime ping');
      await refreshRuntimeVersion();
      runtimeError = undefined;
    } catch (err) {
      runtimeError = errorText(err);
    }
    description = describeNode(config, host, port, runtimeVersion || `${runtime.type}://unknown`);
    const now = clock.now();
    const next = buildNodeStatus(description, health(), posted, now);
    if (!nodeStatusChanged(posted, next) && now - postedAt < NODE_STATUS_REPORT_INTERVAL_MS) return;
    try {
      if (nodeUid) await postNodeStatus(client, nodeName, next);
      else nodeUid = await registerNode(client, buildNode(description, health(), now));
      posted = next;
      postedAt = now;
    } catch (err) {
      // Deleted behind our back: register it again on the next round.
      if (isNotFound(err)) nodeUid = '';
      log(`kubelet: updating node status failed: ${errorText(err)}`);
    }
  };

  let lease: Lease | undefined;
  let leaseOk = true;
  const renewLease = async () => {
    try {
      lease = await renewNodeLease(client, nodeName, nodeUid || undefined, clock.now(), lease);
      leaseOk = true;
    } catch (err) {
      if (leaseCopyIsStale(err)) lease = undefined;
      leaseOk = false;
      log(`kubelet: renewing the node lease failed: ${errorText(err)}`);
    }
  };

  // The relist: runtime changes wake the pods they belong to. A container started and removed
  // between two relists would go unnoticed if the relist compared only with itself; comparing with
  // what syncs saw last catches it.
  const relist = async () => {
    try {
      const [sandboxes, containers] = await Promise.all([runtime.listSandboxes(), runtime.listContainers()]);
      const current = snapshotOf(sandboxes, containers);
      const changed = new Set(relistEvents(relisted, current).map((e) => e.podUid));
      relisted = new Map(current);
      if (runtimeError !== undefined) {
        runtimeError = undefined;
        nodeStatusTicker.wake();
      }
      for (const uid of changed) workers.update(uid, podByUid(uid) ?? lastKnown.get(uid));
    } catch (err) {
      if (runtimeError === undefined) {
        runtimeError = errorText(err);
        log(`kubelet: relisting the container runtime failed: ${runtimeError}`);
        nodeStatusTicker.wake();
      }
    }
  };

  // Housekeeping: pods the runtime still has but the API does not; volumes of pods that are gone.
  const housekeeping = async () => {
    for (const uid of relisted.keys()) {
      if (!podByUid(uid) && !workers.isBusy(uid)) workers.update(uid, lastKnown.get(uid));
    }
    const active = new Set(workers.known());
    for (const uid of await volumes.podUids()) {
      if (!podByUid(uid) && !relisted.has(uid) && !active.has(uid)) await volumes.tearDown(uid);
    }
  };

  const resyncAll = async () => {
    for (const obj of pods.store.list()) workers.update(obj.metadata.uid ?? '', obj as Pod);
  };

  // Pod events start only now, with every cache complete: a pod's sync can rely on them.
  const podChanged = (obj: KubeObject) => {
    const pod = obj as Pod;
    const uid = obj.metadata.uid ?? '';
    referenced.setPod(uid, pod);
    lastKnown.set(uid, pod);
    workers.update(uid, pod);
  };
  pods.addEventHandler({
    onAdd: podChanged,
    onUpdate: (old, obj) => {
      // The echo of this kubelet's own status write: the sync that wrote it has nothing left to do,
      // and another one would only hold up a probe result or a change queued behind it.
      if (onlyStatusChanged(old, obj) && syncer.holdsOwnSettledStatus(obj as Pod)) {
        // A terminal phase releases the pod's ConfigMaps and Secrets.
        referenced.setPod(obj.metadata.uid ?? '', obj as Pod);
        lastKnown.set(obj.metadata.uid ?? '', obj as Pod);
        return;
      }
      podChanged(obj);
    },
    onDelete: (obj) => {
      podChanged(obj);
      referenced.removePod(obj.metadata.uid ?? '');
    },
  });

  const guarded = (what: string, fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      log(`kubelet: ${what} failed: ${errorText(err)}`);
    }
  };
  const loops = [
    nodeStatusTicker.run(
      () => config.nodeStatusUpdateIntervalMs ?? 10_000,
      guarded('node status', updateNodeStatus),
    ),
    new Ticker(clock, signal).run(() => (leaseOk ? NODE_LEASE_RENEW_INTERVAL_MS : 1_000), renewLease),
    new Ticker(clock, signal).run(() => config.relistIntervalMs ?? 1_000, relist),
    new Ticker(clock, signal).run(() => HOUSEKEEPING_INTERVAL_MS, guarded('housekeeping', housekeeping)),
    new Ticker(clock, signal).run(() => config.resyncIntervalMs ?? 60_000, guarded('resync', resyncAll)),
  ];

  const done = (async () => {
    await Promise.all([...loops, ...informerRuns, referenced.stopped()]);
    workers.stop();
    probes.stop();
    // A sync in flight may be waiting out a preStop hook or a grace period of many seconds; stopping
    // must not wait for it, since every step is resumed from the runtime's state on the next start.
    const waited = new AbortController();
    await Promise.race([workers.idle(), clock.sleep(SHUTDOWN_WAIT_MS, waited.signal)]);
    waited.abort();
    const closed = new Promise<void>((resolve) => logServer.close(() => resolve()));
    // Followed log streams would otherwise hold the server open for as long as their containers run.
    logServer.closeAllConnections();
    await closed;
    await recorder.flush();
  })();
  return { nodeName, nodeIP: host.nodeIP, port, done };
}
