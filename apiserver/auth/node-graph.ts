/**
 * NodeGraph: which pods are bound to each node and which Secrets and ConfigMaps those pods use, held in
 * memory from the pods watch cache, as upstream's node authorizer graph is fed by its pod informer.
 * The Node authorizer (node-authorizer.ts) reads it through `NodeRelations`.
 *
 * Contract:
 * - A pod counts for a node while it is stored with `spec.nodeName` set to that node; an unbound pod
 *   counts for no node. A pod that is changed (new references) or deleted updates the graph in place.
 * - A Secret or ConfigMap is related to a node while at least one pod bound to that node references
 *   it (reference-counted per node, so two pods sharing an object keep it until both are gone).
 * - References are upstream's (podutil.VisitPodSecretNames / VisitPodConfigmapNames): volume
 *   sources (secret, configMap, projected, and the secretRefs of volume plugins), env
 *   `valueFrom` refs and `envFrom` of init, app and ephemeral containers, and imagePullSecrets.
 * - Eventually consistent, as RbacIndex: a freshly bound pod is related a moment after its write
 *   returned. The graph is listed after the cache started and follows it from the list's revision;
 *   when the cache resets, it is listed again.
 */
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import type { EtcdStorage } from '../storage/etcd-storage.js';
import type { WatchCache } from '../storage/watch-cache.js';

export type ReferencedKind = 'secrets' | 'configmaps';

/** What a pod reads from its namespace, by name, without duplicates. */
export interface PodReferences {
  secrets: string[];
  configMaps: string[];
}

/** What the Node authorizer asks of the graph. */
export interface NodeRelations {
  /** The node the pod `namespace/name` is bound to, if the graph knows it bound. */
  podNode(namespace: string, name: string): string | undefined;
  /** Whether a pod bound to `node` references the object. */
  nodeReferences(node: string, kind: ReferencedKind, namespace: string, name: string): boolean;
}

function objectAt(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

function arrayAt(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(objectAt) : [];
}

function nameAt(value: unknown, field = 'name'): string | undefined {
  const name = objectAt(value)[field];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** Volume plugins that carry a Secret reference (`<plugin>.secretRef.name`). */
const SECRET_REF_VOLUMES = ['cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos'];

/** The Secrets and ConfigMaps a pod references, each name once, in first-seen order. Pure. */
export function podReferences(pod: KubeObject): PodReferences {
  const spec = objectAt(pod.spec);
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const addSecret = (name: string | undefined) => void (name && secrets.add(name));
  const addConfigMap = (name: string | undefined) => void (name && configMaps.add(name));

  for (const ref of arrayAt(spec.imagePullSecrets)) addSecret(nameAt(ref));
  for (const volume of arrayAt(spec.volumes)) {
    addSecret(nameAt(volume.secret, 'secretName'));
    addConfigMap(nameAt(volume.configMap));
    for (const source of arrayAt(objectAt(volume.projected).sources)) {
      addSecret(nameAt(source.secret));
      addConfigMap(nameAt(source.configMap));
    }
    for (const plugin of SECRET_REF_VOLUMES) addSecret(nameAt(objectAt(volume[plugin]).secretRef));
    addSecret(nameAt(volume.azureFile, 'secretName'));
    addSecret(nameAt(objectAt(volume.csi).nodePublishSecretRef));
  }
  const containers = [
    ...arrayAt(spec.initContainers),
    ...arrayAt(spec.containers),
    ...arrayAt(spec.ephemeralContainers),
  ];
  for (const container of containers) {
    for (const from of arrayAt(container.envFrom)) {
      addSecret(nameAt(from.secretRef));
      addConfigMap(nameAt(from.configMapRef));
    }
    for (const env of arrayAt(container.env)) {
      const valueFrom = objectAt(env.valueFrom);
      addSecret(nameAt(valueFrom.secretKeyRef));
      addConfigMap(nameAt(valueFrom.configMapKeyRef));
    }
  }
  return { secrets: [...secrets], configMaps: [...configMaps] };
}

/** What one stored pod contributes: its node and the keys (`kind/namespace/name`) it holds there. */
interface PodEntry {
  node: string;
  refs: string[];
}

function refKey(kind: ReferencedKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Unbound pods are kept too (node ''), so that no node takes a pending pod for one it cannot see. */
function entryOf(pod: KubeObject): PodEntry {
  const node = objectAt(pod.spec).nodeName;
  if (typeof node !== 'string' || node === '') return { node: '', refs: [] };
  const namespace = pod.metadata.namespace ?? '';
  const { secrets, configMaps } = podReferences(pod);
  return {
    node,
    refs: [
      ...secrets.map((name) => refKey('secrets', namespace, name)),
      ...configMaps.map((name) => refKey('configmaps', namespace, name)),
    ],
  };
}

export interface NodeGraphFeed {
  storage: EtcdStorage;
  cacheFor: (plural: string) => WatchCache;
  log: (line: string) => void;
}

export class NodeGraph implements NodeRelations {
  private readonly pods = new Map<string, PodEntry>();
  /** node → reference key → how many of its pods hold it. */
  private readonly counts = new Map<string, Map<string, number>>();
  private close: (() => void) | undefined;
  private stopped = false;

  /** Without a feed the graph changes only through `putPod`/`removePod`. */
  constructor(private readonly feed?: NodeGraphFeed) {}

  async start(): Promise<void> {
    if (this.feed) await this.follow(this.feed);
  }

  stop(): void {
    this.stopped = true;
    this.close?.();
    this.close = undefined;
  }

  podNode(namespace: string, name: string): string | undefined {
    return this.pods.get(podKey(namespace, name))?.node;
  }

  nodeReferences(node: string, kind: ReferencedKind, namespace: string, name: string): boolean {
    return (this.counts.get(node)?.get(refKey(kind, namespace, name)) ?? 0) > 0;
  }

  /** How many (node, object) relations are held; for tests and diagnostics. */
  relationCount(): number {
    let total = 0;
    for (const refs of this.counts.values()) total += refs.size;
    return total;
  }

  /** The pod was created or changed (it may have been bound, or its references changed). */
  putPod(pod: KubeObject): void {
    const key = podKey(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    this.release(key);
    const entry = entryOf(pod);
    this.pods.set(key, entry);
    if (entry.refs.length === 0) return;
    let refs = this.counts.get(entry.node);
    if (!refs) {
      refs = new Map();
      this.counts.set(entry.node, refs);
    }
    for (const ref of entry.refs) refs.set(ref, (refs.get(ref) ?? 0) + 1);
  }

  removePod(pod: KubeObject): void {
    this.release(podKey(pod.metadata.namespace ?? '', pod.metadata.name ?? ''));
  }

  clear(): void {
    this.pods.clear();
    this.counts.clear();
  }

  private release(key: string): void {
    const entry = this.pods.get(key);
    if (!entry) return;
    this.pods.delete(key);
    const refs = this.counts.get(entry.node);
    if (!refs) return;
    for (const ref of entry.refs) {
      const left = (refs.get(ref) ?? 0) - 1;
      if (left > 0) refs.set(ref, left);
      else refs.delete(ref);
    }
    if (refs.size === 0) this.counts.delete(entry.node);
  }

  private async follow(feed: NodeGraphFeed): Promise<void> {
    const cache = feed.cacheFor('pods');
    await cache.ensureStarted();
    const list = await feed.storage.list(`${feed.storage.prefix}/pods/`);
    this.close?.();
    this.clear();
    for (const pod of list.items) this.putPod(pod);
    const subscription = cache.subscribe(list.revision, {
      onEvent: (event) => {
        if (event.type === 'DELETED') this.removePod(event.object);
        else this.putPod(event.object);
      },
      onEnd: () => {
        if (this.stopped) return;
        this.follow(feed).catch((err: unknown) => feed.log(`node graph resync failed: ${String(err)}`));
      },
    });
    if (!subscription) throw new Error('the pods watch cache does not cover its own list');
    this.close = () => subscription.close();
  }
}
