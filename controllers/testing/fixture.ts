/**
 * The controller test fixture, after sample-controller's: a fake ApiClient that records every call
 * as an action, fake informers whose stores a test fills directly (and that always report synced),
 * a fake event recorder and a fake clock. A test preloads objects, calls the controller's `sync(key)`
 * directly, with no workers, and compares the recorded actions with the ones it expected.
 */
import type { KubeList, KubeObject } from '../../apiserver/api-object.js';
import type { ApiClient } from '../../machinery/api-client.js';
import { ApiStatusError } from '../../machinery/api-status-error.js';
import { FakeClock } from '../../machinery/clock.js';
import type { EventType } from '../../machinery/event-recorder.js';
import { IndexedStore } from '../../machinery/indexed-store.js';
import type { IndexFunc } from '../../machinery/indexed-store.js';
import type { InformerEventHandler } from '../../machinery/informer.js';
import type { SharedInformer } from '../shared-informer.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete';

export interface Action {
  verb: Verb;
  kind: string;
  namespace: string | undefined;
  name?: string;
  /** What was sent: the object for create/update/updateStatus, the patch for patch. */
  object?: unknown;
}

/** Decides the outcome of a call before the fake does its default: return an object or throw. */
export type Reactor = (action: Action) => KubeObject | undefined;

export const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

/** An informer that never talks to a server: tests put objects into `indexer` themselves. */
export class FakeInformer<T extends KubeObject> implements SharedInformer<T> {
  readonly indexer = new IndexedStore<T>();
  private readonly handlers = new Set<InformerEventHandler<T>>();

  get store() {
    return this.indexer;
  }

  addEventHandler(handler: InformerEventHandler<T>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.indexer.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return true;
  }

  /** Stores the object and notifies handlers, as a watch event would. */
  emitAdd(obj: T): void {
    this.indexer.upsert(structuredClone(obj));
    for (const h of this.handlers) h.onAdd?.(this.indexer.get(key(obj))!);
  }

  emitUpdate(obj: T): void {
    const old = this.indexer.upsert(structuredClone(obj));
    for (const h of this.handlers) h.onUpdate?.(old ?? obj, this.indexer.get(key(obj))!);
  }

  emitDelete(obj: T): void {
    const old = this.indexer.delete(key(obj)) ?? obj;
    for (const h of this.handlers) h.onDelete?.(old);
  }
}

function key(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

/** A fake ApiClient over an in-memory object map; every call is recorded in `actions`. */
export class FakeApiClient implements ApiClient {
  readonly actions: Action[] = [];
  /** Objects `get` returns and writes change, by `kind/namespace/name`. */
  readonly objects = new Map<string, KubeObject>();
  private readonly reactors: Reactor[] = [];
  private generated = 0;

  /** Runs before the default behaviour of every call; the first to return or throw wins. */
  prependReactor(reactor: Reactor): void {
    this.reactors.unshift(reactor);
  }

  seed(kind: string, obj: KubeObject): void {
    this.objects.set(this.key(kind, obj.metadata.namespace, obj.metadata.name!), structuredClone(obj));
  }

  private key(kind: string, namespace: string | undefined, name: string): string {
    return `${kind}/${namespace ?? ''}/${name}`;
  }

  private record(action: Action): KubeObject | undefined {
    this.actions.push(action);
    for (const reactor of this.reactors) {
      const result = reactor(action);
      if (result) return result;
    }
    return undefined;
  }

  private stored<T extends KubeObject>(kind: string, namespace: string | undefined, name: string): T {
    const obj = this.objects.get(this.key(kind, namespace, name));
    if (!obj) throw new ApiStatusError(404, 'NotFound', `${kind} "${name}" not found`);
    return structuredClone(obj) as T;
  }

  async list<T extends KubeObject>(_apiVersion: string, kind: string): Promise<KubeList<T>> {
    this.record({ verb: 'list', kind, namespace: undefined });
    const items = [...this.objects.entries()].filter(([k]) => k.startsWith(`${kind}/`)).map(([, o]) => o);
    return { apiVersion: 'v1', kind: `${kind}List`, metadata: { resourceVersion: '1' }, items: items as T[] };
  }

  async watch(_apiVersion: string, kind: string): Promise<void> {
    this.record({ verb: 'watch', kind, namespace: undefined });
  }

  async get<T extends KubeObject>(
    _apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ) {
    const reacted = this.record({ verb: 'get', kind, namespace, name });
    return (reacted as T) ?? this.stored<T>(kind, namespace, name);
  }

  async create<T extends KubeObject>(
    _apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: object,
  ) {
    const sent = structuredClone(obj) as KubeObject;
    const reacted = this.record({ verb: 'create', kind, namespace, name: sent.metadata.name, object: sent });
    if (reacted) return reacted as T;
    const created = structuredClone(sent);
    created.metadata.name ??= `${created.metadata.generateName ?? ''}${(++this.generated).toString(36).padStart(5, '0')}`;
    created.metadata.uid ??= `uid-${created.metadata.name}`;
    created.metadata.resourceVersion = '1';
    created.metadata.creationTimestamp ??= new Date(T0).toISOString();
    const k = this.key(kind, namespace, created.metadata.name);
    if (this.objects.has(k))
      throw new ApiStatusError(409, 'AlreadyExists', `${kind} "${created.metadata.name}" already exists`);
    this.objects.set(k, created);
    return structuredClone(created) as T;
  }

  private async write<T extends KubeObject>(
    verb: Verb,
    kind: string,
    namespace: string | undefined,
    obj: KubeObject,
  ) {
    const sent = structuredClone(obj);
    const reacted = this.record({ verb, kind, namespace, name: sent.metadata.name, object: sent });
    if (reacted) return reacted as T;
    this.stored(kind, namespace, sent.metadata.name!);
    this.objects.set(this.key(kind, namespace, sent.metadata.name!), sent);
    return structuredClone(sent) as T;
  }

  update<T extends KubeObject>(
    _apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: KubeObject,
  ) {
    return this.write<T>('update', kind, namespace, obj);
  }

  updateStatus<T extends KubeObject>(
    _apiVersion: string,
    kind: string,
    namespace: string | undefined,
    obj: KubeObject,
  ) {
    return this.write<T>('updateStatus', kind, namespace, obj);
  }

  /** Applies merge patches, and strategic ones to `metadata.ownerReferences` (merged by uid). */
  async patch<T extends KubeObject>(
    _apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ) {
    const reacted = this.record({ verb: 'patch', kind, namespace, name, object: structuredClone(patch) });
    if (reacted) return reacted as T;
    const current = this.stored<T>(kind, namespace, name);
    const patched = applyPatch(current, patch) as T;
    this.objects.set(this.key(kind, namespace, name), patched);
    return structuredClone(patched);
  }

  async delete(_apiVersion: string, kind: string, namespace: string | undefined, name: string) {
    const reacted = this.record({ verb: 'delete', kind, namespace, name });
    if (reacted) return reacted;
    this.stored(kind, namespace, name);
    this.objects.delete(this.key(kind, namespace, name));
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success' } as KubeObject;
  }
}

function applyPatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else if (field === 'ownerReferences' && Array.isArray(value))
      result[field] = mergeByUid(result[field], value);
    else result[field] = applyPatch(result[field], value);
  }
  return result;
}

function mergeByUid(current: unknown, items: { uid?: string; $patch?: string }[]): unknown[] {
  let refs = Array.isArray(current) ? [...(current as { uid?: string }[])] : [];
  for (const item of items) {
    refs = refs.filter((ref) => ref.uid !== item.uid);
    if (item.$patch !== 'delete') refs.push(item);
  }
  return refs;
}

export interface RecordedEvent {
  object: string;
  type: EventType;
  reason: string;
  message: string;
}

export class FakeRecorder {
  readonly events: RecordedEvent[] = [];

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push({ object: key(obj), type, reason, message });
  }
}

/** Actions an informer would make; tests compare only what the controller itself did. */
const INFORMER_VERBS = new Set<Verb>(['list', 'watch']);

export class ControllerFixture {
  readonly client = new FakeApiClient();
  readonly recorder = new FakeRecorder();
  readonly clock = new FakeClock(T0);
  private readonly informers = new Map<string, FakeInformer<KubeObject>>();
  private readonly expected: Partial<Action>[] = [];

  /** The fake informer for a kind (one per kind, as the controller manager shares them). */
  informer<T extends KubeObject>(kind: string): FakeInformer<T> {
    let informer = this.informers.get(kind);
    if (!informer) this.informers.set(kind, (informer = new FakeInformer<KubeObject>()));
    return informer as unknown as FakeInformer<T>;
  }

  /** Puts objects into the informer cache and into what the fake server holds, without events. */
  preload(kind: string, ...objects: KubeObject[]): void {
    for (const obj of objects) {
      this.informer(kind).indexer.upsert(structuredClone(obj));
      this.client.seed(kind, obj);
    }
  }

  /** The controller's actions so far, without list/watch noise. */
  actions(): Action[] {
    return this.client.actions.filter((a) => !INFORMER_VERBS.has(a.verb));
  }

  expectAction(action: Partial<Action>): this {
    this.expected.push(action);
    return this;
  }

  expectCreate(kind: string, namespace: string, object?: unknown): this {
    return this.expectAction({
      verb: 'create',
      kind,
      namespace,
      ...(object === undefined ? {} : { object }),
    });
  }

  expectUpdate(kind: string, namespace: string, object?: unknown): this {
    return this.expectAction({
      verb: 'update',
      kind,
      namespace,
      ...(object === undefined ? {} : { object }),
    });
  }

  expectUpdateStatus(kind: string, namespace: string, object?: unknown): this {
    return this.expectAction({
      verb: 'updateStatus',
      kind,
      namespace,
      ...(object === undefined ? {} : { object }),
    });
  }

  expectPatch(kind: string, namespace: string, name: string, patch?: unknown): this {
    return this.expectAction({
      verb: 'patch',
      kind,
      namespace,
      name,
      ...(patch === undefined ? {} : { object: patch }),
    });
  }

  expectDelete(kind: string, namespace: string, name: string): this {
    return this.expectAction({ verb: 'delete', kind, namespace, name });
  }

  /** Asserts the recorded actions are exactly the expected ones, in order; objects match partially. */
  verify(): void {
    const actual = this.actions();
    expect(actual.map((a) => `${a.verb} ${a.kind}`)).toEqual(this.expected.map((a) => `${a.verb} ${a.kind}`));
    actual.forEach((action, i) => expect(action).toMatchObject(this.expected[i]));
  }
}
