/**
 * Endpoints controller: keeps one core/v1 Endpoints object per Service with a selector, listing the IPs
 * of the pods that selector matches, as upstream's pkg/controller/endpoint.
 *
 * Contract:
 * - For a Service with a non-empty selector, the Endpoints of the same name holds every matching pod in
 *   the namespace that has an IP, is not terminal (Succeeded/Failed) and is not terminating: under
 *   `addresses` when its Ready condition is True (or the Service publishes not-ready addresses, which
 *   also keeps terminating pods), under `notReadyAddresses` otherwise. Each address carries the pod's
 *   `nodeName`, a `targetRef` to the pod, and `hostname` when the pod's `spec.subdomain` is the Service.
 * - Ports come from each Service port's `targetPort`: a number as is, a name looked up among the pod's
 *   container ports (same protocol). Pods that resolve a port differently end up in different subsets,
 *   and a pod lacking a named port is left out of that port only. Subsets are packed and sorted as
 *   upstream's RepackSubsets does, so the same pods always give the same object.
 * - The Endpoints carries the Service's labels (plus `service.kubernetes.io/headless` for headless
 *   Services) and is written only when its subsets or labels differ from what is stored.
 * - Services without a selector (such as `default/kubernetes`) are left alone: someone else owns
 *   their Endpoints. Endpoints whose Service is gone are deleted, except leader-election records.
 * Not done: EndpointSlices, the last-change-trigger-time annotation, truncation at 1000 addresses.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { ApiClient } from '../machinery/api-client.js';
import { ApiStatusError, isAlreadyExists, isNotFound } from '../machinery/api-status-error.js';
import type { EventRecorder } from '../machinery/event-recorder.js';
import { NAMESPACE_INDEX } from '../machinery/indexed-store.js';
import type { Informer } from '../machinery/informer.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../machinery/keys.js';
import { labelSelectorFromSet } from '../machinery/label-selector.js';
import { runWorkers } from '../machinery/run-workers.js';
import { WorkQueue } from '../machinery/workqueue.js';
import type { Clock } from '../machinery/clock.js';
import type { ControllerDescriptor } from './controller-manager.js';

/** Event reason when creating an Endpoints object fails. */
export const FAILED_TO_CREATE_ENDPOINT = 'FailedToCreateEndpoint';
/** Event reason when updating an Endpoints object fails. */
export const FAILED_TO_UPDATE_ENDPOINT = 'FailedToUpdateEndpoint';

/** Set on the Endpoints of headless Services (clusterIP None), as upstream does. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** Endpoints used as leader-election locks carry this annotation and have no Service. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  spec?: {
    selector?: Record<string, string> | null;
    ports?: ServicePort[] | null;
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
  };
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Pod extends KubeObject {
  spec?: {
    nodeName?: string;
    hostname?: string;
    subdomain?: string;
    containers?: { name: string; ports?: ContainerPort[] | null }[];
    initContainers?: { name: string; ports?: ContainerPort[] | null; restartPolicy?: string }[] | null;
  };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[] | null;
  };
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: 'Pod'; namespace?: string; name?: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[] | null;
}

// ---------------------------------------------------------------------------------------------------
// Pure decisions

/** Services without a selector have their Endpoints managed by someone else. */
export function hasSelector(service: Service): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0;
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** upstream's ShouldPodBeInEndpoints. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

/** The container port a Service port leads to on this pod, or undefined when the pod lacks it. */
export function resolveTargetPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol ?? 'TCP';
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const container of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol) return port.containerPort;
    }
  }
  return undefined;
}

function addressFor(service: Service, pod: Pod): EndpointAddress {
  const address: EndpointAddress = { ip: pod.status!.podIP! };
  const hostname = pod.spec?.hostname;
  if (hostname && pod.spec?.subdomain === service.metadata.name) address.hostname = hostname;
  if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
  address.targetRef = {
    kind: 'Pod',
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    uid: pod.metadata.uid,
  };
  return address;
}

/**
 * The subsets of a Service's Endpoints given the pods of its namespace (others are ignored), as
 * upstream's syncService followed by RepackSubsets.
 */
export function computeEndpointSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  if (!hasSelector(service)) return [];
  const selector = labelSelectorFromSet(service.spec!.selector);
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const ports = service.spec?.ports ?? [];
  const headless = service.spec?.clusterIP === 'None';
  const entries: PortedAddress[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== service.metadata.namespace) continue;
    if (!selector.matches(pod.metadata.labels)) continue;
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const address = addressFor(service, pod);
    const ready = publishNotReady || isPodReady(pod);
    // A headless Service without ports still publishes its pods' addresses (for DNS).
    if (ports.length === 0 && headless) entries.push({ address, ready, port: undefined });
    for (const servicePort of ports) {
      const port = resolveTargetPort(pod, servicePort);
      if (port === undefined) continue;
      const endpointPort: EndpointPort = { port, protocol: servicePort.protocol ?? 'TCP' };
      if (servicePort.name) endpointPort.name = servicePort.name;
      if (servicePort.appProtocol) endpointPort.appProtocol = servicePort.appProtocol;
      entries.push({ address, ready, port: endpointPort });
    }
  }
  return repackSubsets(entries);
}

interface PortedAddress {
  address: EndpointAddress;
  ready: boolean;
  /** undefined: an address offered without any port. */
  port: EndpointPort | undefined;
}

const NO_PORT = '-';

/**
 * Groups addresses so that each subset is the set of addresses offering exactly the same ports (with
 * the same readiness), as upstream's RepackSubsets. An address ready on one entry stays ready.
 */
export function repackSubsets(entries: readonly PortedAddress[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  const ports = new Map<string, EndpointPort | undefined>();
  // port key → address key → ready
  const byPort = new Map<string, Map<string, boolean>>();
  for (const { address, ready, port } of entries) {
    const addressKey = `${address.ip}|${address.targetRef?.uid ?? ''}`;
    if (!addresses.has(addressKey)) addresses.set(addressKey, address);
    const portKey = port
      ? JSON.stringify([port.name ?? '', port.port, port.protocol, port.appProtocol])
      : NO_PORT;
    ports.set(portKey, port);
    let set = byPort.get(portKey);
    if (!set) byPort.set(portKey, (set = new Map()));
    set.set(addressKey, set.get(addressKey) === true || ready);
  }
  // address-set signature → the ports offered by exactly that set
  const groups = new Map<string, { members: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [portKey, members] of byPort) {
    const signature = [...members]
      .map(([key, ready]) => `${key}|${ready}`)
      .sort()
      .join(',');
    let group = groups.get(signature);
    if (!group) groups.set(signature, (group = { members, ports: [] }));
    const port = ports.get(portKey);
    if (port) group.ports.push(port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { members, ports: groupPorts } of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [key, isReady] of members) (isReady ? ready : notReady).push(addresses.get(key)!);
    const subset: EndpointSubset = {};
    if (ready.length) subset.addresses = ready.sort(compareAddresses);
    if (notReady.length) subset.notReadyAddresses = notReady.sort(compareAddresses);
    if (groupPorts.length) subset.ports = groupPorts.sort(comparePorts);
    subsets.push(subset);
  }
  return subsets.sort((a, b) => compareText(subsetSortKey(a), subsetSortKey(b)));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return compareText(a.ip, b.ip) || compareText(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return compareText(a.name ?? '', b.name ?? '') || a.port - b.port || compareText(a.protocol, b.protocol);
}

function subsetSortKey(subset: EndpointSubset): string {
  const first = subset.addresses?.[0] ?? subset.notReadyAddresses?.[0];
  const ports = (subset.ports ?? []).map((p) => `${p.name ?? ''}:${p.port}/${p.protocol}`).join(',');
  return `${first?.ip ?? ''}|${first?.targetRef?.uid ?? ''}|${ports}`;
}

/** The labels the Endpoints should carry: the Service's, with the headless marker when it applies. */
export function endpointsLabels(service: Service): Record<string, string> {
  const labels = { ...(service.metadata.labels ?? {}) };
  if (service.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** Whether the stored Endpoints already says what `subsets` and `labels` say. */
export function endpointsUpToDate(
  current: Endpoints,
  subsets: readonly EndpointSubset[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return (
    canonicalJson(normalizeSubsets(current.subsets ?? [])) === canonicalJson(normalizeSubsets(subsets)) &&
    canonicalJson(current.metadata.labels ?? {}) === canonicalJson(labels)
  );
}

/** Drops empty lists, so `[]` and an absent field compare equal, as Go's omitempty makes them. */
function normalizeSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  return subsets.map((s) => {
    const out: EndpointSubset = {};
    if (s.addresses?.length) out.addresses = s.addresses;
    if (s.notReadyAddresses?.length) out.notReadyAddresses = s.notReadyAddresses;
    if (s.ports?.length) out.ports = s.ports;
    return out;
  });
}

/** JSON with object keys sorted, so key order does not count as a difference. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => compareText(a, b)))
      : v,
  );
}

/** The parts of a pod that can change any Endpoints; other pod updates are ignored. */
function endpointRelevantState(pod: Pod): string {
  return canonicalJson([
    pod.metadata.labels ?? {},
    pod.metadata.deletionTimestamp ?? null,
    pod.status?.podIP ?? null,
    pod.status?.phase ?? null,
    isPodReady(pod),
    pod.spec?.nodeName ?? null,
    pod.spec?.hostname ?? null,
    pod.spec?.subdomain ?? null,
    (pod.spec?.containers ?? []).map((c) => c.ports ?? []),
    (pod.spec?.initContainers ?? []).map((c) => [c.restartPolicy ?? null, c.ports ?? []]),
  ]);
}

// ---------------------------------------------------------------------------------------------------
// The controller

/** The part of an Informer a controller uses; tests hand in a preloaded fake. */
export type InformerLike<T extends KubeObject> = Pick<
  Informer<T>,
  'store' | 'addEventHandler' | 'waitForSync'
>;

export interface EndpointsControllerOptions {
  client: Pick<ApiClient, 'create' | 'update' | 'delete'>;
  services: InformerLike<Service>;
  pods: InformerLike<Pod>;
  endpoints: InformerLike<Endpoints>;
  recorder: Pick<EventRecorder, 'event'>;
  clock?: Clock;
  log?: (line: string) => void;
}

export class EndpointsController {
  /** Service keys (`ns/name`); the queue guarantees no two workers sync one Service at once. */
  readonly queue: WorkQueue<string>;
  private readonly log: (line: string) => void;

  constructor(private readonly options: EndpointsControllerOptions) {
    this.queue = new WorkQueue<string>({ clock: options.clock });
    this.log = options.log ?? ((line) => console.error(line));
  }

  /** Registers the handlers; returns a function that removes them. */
  register(): () => void {
    const { services, pods, endpoints } = this.options;
    const enqueue = (obj: KubeObject) => this.queue.add(metaNamespaceKey(obj));
    const stops = [
      services.addEventHandler({ onAdd: enqueue, onUpdate: (_old, cur) => enqueue(cur), onDelete: enqueue }),
      pods.addEventHandler({
        onAdd: (pod) => this.enqueueServicesOf(pod),
        onUpdate: (old, cur) => {
          if (endpointRelevantState(old) === endpointRelevantState(cur)) return;
          this.enqueueServicesOf(old);
          this.enqueueServicesOf(cur);
        },
        onDelete: (pod) => this.enqueueServicesOf(pod),
      }),
      // Someone deleting our Endpoints gets it recreated; leftovers whose Service is gone get deleted.
      endpoints.addEventHandler({
        onAdd: (ep) => {
          if (!this.options.services.store.get(metaNamespaceKey(ep)) && !isLeaderRecord(ep)) enqueue(ep);
        },
        onDelete: enqueue,
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const { services, pods, endpoints } = this.options;
    const unregister = this.register();
    try {
      const synced = await Promise.all([services, pods, endpoints].map((i) => i.waitForSync(signal)));
      if (!synced.every(Boolean)) return;
      await runWorkers(this.queue, workers, (key) => this.sync(key), {
        signal,
        name: 'endpoints',
        log: this.log,
      });
    } finally {
      unregister();
      this.queue.shutDown();
    }
  }

  private enqueueServicesOf(pod: Pod): void {
    const namespace = pod.metadata.namespace ?? '';
    for (const service of this.options.services.store.byIndex(NAMESPACE_INDEX, namespace)) {
      if (!hasSelector(service)) continue;
      if (labelSelectorFromSet(service.spec!.selector).matches(pod.metadata.labels)) {
        this.queue.add(metaNamespaceKey(service));
      }
    }
  }

  /** Brings the Endpoints of the Service `key` in line with its pods. Throwing requeues the key. */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const { client, services, pods, endpoints, recorder } = this.options;

    // 1. The Service is gone: its Endpoints goes too (NotFound means someone was quicker).
    const service = services.store.get(key);
    if (!service) {
      const leftover = endpoints.store.get(key);
      if (leftover && isLeaderRecord(leftover)) return;
      try {
        await client.delete('v1', 'Endpoints', namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }

    // 2. Without a selector the Endpoints belongs to whoever made the Service.
    if (!hasSelector(service)) return;

    // 3. What the Endpoints should say, from the cached pods of the namespace.
    const subsets = computeEndpointSubsets(service, pods.store.byIndex(NAMESPACE_INDEX, namespace));
    const labels = endpointsLabels(service);

    // 4. Nothing to write when the stored object already says it.
    const current = endpoints.store.get(key);
    if (current && endpointsUpToDate(current, subsets, labels)) return;

    // 5. Create or update. A stale cache gives AlreadyExists or Conflict: throwing retries later,
    //    when the informer has caught up.
    try {
      if (!current) {
        await client.create('v1', 'Endpoints', namespace, {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name, namespace, labels },
          subsets,
        });
      } else {
        const next: Endpoints = structuredClone(current) as Endpoints;
        next.metadata.labels = labels;
        next.subsets = subsets;
        await client.update('v1', 'Endpoints', namespace, next);
      }
    } catch (err) {
      // A namespace being deleted refuses new objects; its Services are about to go as well.
      if (isNamespaceTerminating(err)) return;
      if (!isAlreadyExists(err)) {
        const reason = current ? FAILED_TO_UPDATE_ENDPOINT : FAILED_TO_CREATE_ENDPOINT;
        const verb = current ? 'update' : 'create';
        recorder.event(service, 'Warning', reason, `Failed to ${verb} endpoint ${key}: ${errorText(err)}`);
      }
      throw err;
    }
  }
}

function isLeaderRecord(ep: KubeObject): boolean {
  return ep.metadata.annotations?.[LEADER_ANNOTATION] !== undefined;
}

function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiStatusError && err.code === 403 && /being terminated/.test(err.message);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const endpointsController: ControllerDescriptor = {
  name: 'endpoint',
  async start(ctx, signal) {
    const controller = new EndpointsController({
      client: ctx.client,
      services: ctx.informer<Service>('v1', 'Service'),
      pods: ctx.informer<Pod>('v1', 'Pod'),
      endpoints: ctx.informer<Endpoints>('v1', 'Endpoints'),
      recorder: ctx.eventRecorder('endpoint-controller'),
      clock: ctx.clock,
      log: (line) => ctx.log(line),
    });
    await controller.run(ctx.workers, signal);
  },
};
