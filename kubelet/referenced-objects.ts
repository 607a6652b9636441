/**
 * ReferencedObjects: the ConfigMaps and Secrets the pods of this node use, each cached by an informer
 * of its own on exactly that object, as upstream's watch-based configMap/secret manager. The kubelet
 * never lists or watches these kinds cluster-wide: the Node authorizer only lets it read what its
 * pods reference, one object at a time (`fieldSelector=metadata.name=<name>` in the namespace).
 *
 * Contract:
 * - `setPod` (every pod event) and `removePod` (the pod is gone from the API) keep, per referenced
 *   (kind, namespace, name), the set of pods holding it: the object's informer starts when its first
 *   holder arrives and stops when its last holder leaves. Pods in a terminal phase hold nothing, as
 *   upstream: they never start a container again.
 * - References are upstream's: configMap, secret and projected volume sources, env valueFrom
 *   configMapKeyRef/secretKeyRef and envFrom, of init, app and ephemeral containers.
 * - `configMaps(ns)` / `secrets(ns)` serve what the informers hold (PodSyncer's sources). An object
 *   whose first list has not come back yet is simply absent; `waitForPod` lets a sync wait for the
 *   pod's objects first, so an object that exists is never reported missing just because its
 *   informer is new.
 * - `onChange` fires with the holders of an object when it is added, updated or deleted, and once
 *   when its first list comes back (so a pod that gave up waiting, or found it missing, is synced
 *   again).
 * - Everything stops when `signal` aborts; `stopped()` resolves once every informer has ended.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { ApiClient } from '../machinery/api-client.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import { Informer } from '../machinery/informer.js';
import type { InformerOptions } from '../machinery/informer.js';
import type { ConfigMap, Pod, Secret } from './api-types.js';

export type ReferencedKind = 'ConfigMap' | 'Secret';

export interface ObjectReference {
  kind: ReferencedKind;
  namespace: string;
  name: string;
}

export function referenceKey(ref: ObjectReference): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

function parseKey(key: string): ObjectReference {
  const [kind, namespace, name] = key.split('/');
  return { kind: kind as ReferencedKind, namespace, name };
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The ConfigMaps and Secrets a pod reads, without duplicates, ordered by key. */
export function podReferences(pod: Pod): ObjectReference[] {
  const spec = pod.spec;
  const namespace = pod.metadata?.namespace ?? '';
  const found = new Map<string, ObjectReference>();
  const add = (kind: ReferencedKind, name: string | undefined) => {
    // An empty name cannot name an object; the sync reports it as missing without any informer.
    if (!name) return;
    const ref = { kind, namespace, name };
    found.set(referenceKey(ref), ref);
  };
  for (const volume of spec?.volumes ?? []) {
    add('ConfigMap', volume.configMap?.name);
    add('Secret', volume.secret?.secretName);
    for (const source of volume.projected?.sources ?? []) {
      add('ConfigMap', source.configMap?.name);
      add('Secret', source.secret?.name);
    }
  }
  const containers = [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
  for (const container of containers) {
    for (const from of container.envFrom ?? []) {
      add('ConfigMap', from.configMapRef?.name);
      add('Secret', from.secretRef?.name);
    }
    for (const variable of container.env ?? []) {
      add('ConfigMap', variable.valueFrom?.configMapKeyRef?.name);
      add('Secret', variable.valueFrom?.secretKeyRef?.name);
    }
  }
  return [...found.keys()].sort().map((key) => found.get(key)!);
}

/**
 * What one pod moving from `oldKeys` to `newKeys` does to the informers. `holders` counts each key's
 * holders before the change, this pod included for its old keys: a key nobody held starts, a key
 * only this pod held stops.
 */
export function diffReferences(
  oldKeys: readonly string[],
  newKeys: readonly string[],
  holders: ReadonlyMap<string, number>,
): { start: string[]; stop: string[] } {
  const before = new Set(oldKeys);
  const after = new Set(newKeys);
  return {
    start: [...after].filter((key) => !before.has(key) && (holders.get(key) ?? 0) === 0),
    stop: [...before].filter((key) => !after.has(key) && (holders.get(key) ?? 0) <= 1),
  };
}

export interface ReferencedObjectsOptions {
  client: Pick<ApiClient, 'list' | 'watch'>;
  signal: AbortSignal;
  /** The object changed, appeared, vanished, or its first list came back; `podUids` hold it. */
  onChange(ref: ObjectReference, podUids: readonly string[]): void;
  clock?: Clock;
  log?: (line: string) => void;
  /** Passed to each informer (tests shorten them). */
  informer?: Pick<InformerOptions<KubeObject>, 'backoff' | 'minWatchTimeoutSeconds'>;
}

interface Entry {
  ref: ObjectReference;
  informer: Informer<KubeObject>;
  stop: AbortController;
  /** Aborts when the entry stops or the whole manager does. */
  signal: AbortSignal;
}

export class ReferencedObjects {
  /** pod uid → the keys it holds. */
  private readonly podKeys = new Map<string, string[]>();
  /** key → the uids of the pods holding it. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly entries = new Map<string, Entry>();
  /** `${kind}/${namespace}` → name → entry, for the per-namespace views. */
  private readonly scopes = new Map<string, Map<string, Entry>>();
  private readonly runs = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ReferencedObjectsOptions) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
  }

  /** Registers the pod's current references (on every event of the pod). */
  setPod(uid: string, pod: Pod): void {
    this.update(uid, isTerminal(pod) ? [] : podReferences(pod).map(referenceKey));
  }

  removePod(uid: string): void {
    this.update(uid, []);
  }

  configMaps(namespace: string): ReadonlyMap<string, ConfigMap> {
    return this.objects<ConfigMap>('ConfigMap', namespace);
  }

  secrets(namespace: string): ReadonlyMap<string, Secret> {
    return this.objects<Secret>('Secret', namespace);
  }

  /** Whether that object's informer has its first list; false when nothing references it. */
  hasSynced(ref: ObjectReference): boolean {
    return this.entries.get(referenceKey(ref))?.informer.hasSynced() ?? false;
  }

  /**
   * Waits (at most `timeoutMs`) until the informers of every object the pod references have their
   * first list; resolves whether they all have. References not registered are not waited for.
   */
  async waitForPod(pod: Pod, timeoutMs: number): Promise<boolean> {
    const pending = podReferences(pod)
      .map((ref) => this.entries.get(referenceKey(ref)))
      .filter((entry): entry is Entry => entry !== undefined && !entry.informer.hasSynced());
    if (pending.length === 0) return true;
    const timer = new AbortController();
    const synced = Promise.all(pending.map((e) => e.informer.waitForSync(e.signal))).then((all) =>
      all.every(Boolean),
    );
    const timedOut = this.clock.sleep(timeoutMs, timer.signal).then(() => false);
    try {
      return await Promise.race([synced, timedOut]);
    } finally {
      timer.abort();
    }
  }

  /** The objects being watched (whether or not they exist), by key; for tests and diagnostics. */
  watched(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Resolves once `signal` aborted and every informer has ended. */
  async stopped(): Promise<void> {
    const { signal } = this.options;
    if (!signal.aborted) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    }
    while (this.runs.size > 0) await Promise.all([...this.runs]);
  }

  private objects<T>(kind: ReferencedKind, namespace: string): ReadonlyMap<string, T> {
    const result = new Map<string, T>();
    for (const [name, entry] of this.scopes.get(`${kind}/${namespace}`) ?? []) {
      const obj = entry.informer.store.get(`${namespace}/${name}`);
      if (obj) result.set(name, obj as T);
    }
    return result;
  }

  private update(uid: string, keys: string[]): void {
    const old = this.podKeys.get(uid) ?? [];
    if (old.length === keys.length && old.every((key, i) => key === keys[i])) return;
    const counts = new Map([...old, ...keys].map((key) => [key, this.holders.get(key)?.size ?? 0]));
    const { start, stop } = diffReferences(old, keys, counts);
    for (const key of old) this.holders.get(key)?.delete(uid);
    for (const key of keys) {
      let set = this.holders.get(key);
      if (!set) this.holders.set(key, (set = new Set()));
      set.add(uid);
    }
    if (keys.length > 0) this.podKeys.set(uid, keys);
    else this.podKeys.delete(uid);
    for (const key of stop) this.stopInformer(key);
    for (const key of start) this.startInformer(key);
  }

  private startInformer(key: string): void {
    if (this.options.signal.aborted || this.entries.has(key)) return;
    const ref = parseKey(key);
    const stop = new AbortController();
    const informer = new Informer<KubeObject>({
      ...this.options.informer,
      client: this.options.client,
      clock: this.clock,
      log: this.log,
      apiVersion: 'v1',
      kind: ref.kind,
      namespace: ref.namespace,
      fieldSelector: `metadata.name=${ref.name}`,
    });
    const signal = AbortSignal.any([this.options.signal, stop.signal]);
    const entry: Entry = { ref, informer, stop, signal };
    const changed = () => {
      // The first list's objects are announced once it is complete, below.
      if (informer.hasSynced() && this.entries.get(key) === entry) this.notify(key);
    };
    informer.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    this.entries.set(key, entry);
    const scope = `${ref.kind}/${ref.namespace}`;
    let names = this.scopes.get(scope);
    if (!names) this.scopes.set(scope, (names = new Map()));
    names.set(ref.name, entry);

    const run = informer.run(signal).catch((err: unknown) => {
      this.log(`kubelet: ${key} informer failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
    void informer.waitForSync(signal).then((synced) => {
      if (synced && this.entries.get(key) === entry) this.notify(key);
    });
  }

  private stopInformer(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.stop.abort();
    this.entries.delete(key);
    const scope = `${entry.ref.kind}/${entry.ref.namespace}`;
    const names = this.scopes.get(scope);
    names?.delete(entry.ref.name);
    if (names?.size === 0) this.scopes.delete(scope);
    this.holders.delete(key);
  }

  private notify(key: string): void {
    const uids = [...(this.holders.get(key) ?? [])];
    if (uids.length === 0) return;
    try {
      this.options.onChange(parseKey(key), uids);
    } catch (err) {
      this.log(
        `kubelet: handling a change of ${key} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}
