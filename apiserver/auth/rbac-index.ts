/**
 * RbacIndex: the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings held in memory from the
 * watch caches, so authorizing a request reads no etcd. As upstream's informer-fed RBAC authorizer
 * it is eventually consistent: a binding takes effect a moment after its write returns.
 *
 * Each kind is listed after its watch cache started and then follows the cache from the list's
 * revision, so no event between list and subscription is lost; when a cache resets, that kind is
 * listed again.
 */
import type { KubeObject } from '../api-object.js';
import type { EtcdStorage } from '../storage/etcd-storage.js';
import type { WatchCache } from '../storage/watch-cache.js';
import type { BindingObject, RbacPolicy, RoleObject } from './rbac-authorizer.js';

const KINDS = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'] as const;
type Plural = (typeof KINDS)[number];

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export class RbacIndex implements RbacPolicy {
  private readonly objects = new Map<Plural, Map<string, KubeObject>>(KINDS.map((k) => [k, new Map()]));
  /** RoleBindings by namespace, since a decision only ever reads one namespace's. */
  private readonly bindingsByNamespace = new Map<string, Map<string, BindingObject>>();
  private readonly closers = new Map<Plural, () => void>();
  private stopped = false;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly cacheFor: (plural: string) => WatchCache,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    await Promise.all(KINDS.map((plural) => this.follow(plural)));
  }

  stop(): void {
    this.stopped = true;
    for (const close of this.closers.values()) close();
    this.closers.clear();
  }

  clusterRoleBindings(): Iterable<BindingObject> {
    return this.objects.get('clusterrolebindings')!.values() as Iterable<BindingObject>;
  }

  roleBindings(namespace: string): Iterable<BindingObject> {
    return this.bindingsByNamespace.get(namespace)?.values() ?? [];
  }

  clusterRole(name: string): RoleObject | undefined {
    return this.objects.get('clusterroles')!.get(`/${name}`) as RoleObject | undefined;
  }

  role(namespace: string, name: string): RoleObject | undefined {
    return this.objects.get('roles')!.get(`${namespace}/${name}`) as RoleObject | undefined;
  }

  private async follow(plural: Plural): Promise<void> {
    const cache = this.cacheFor(plural);
    await cache.ensureStarted();
    const list = await this.storage.list(`${this.storage.prefix}/${plural}/`);
    this.closers.get(plural)?.();
    this.clear(plural);
    for (const obj of list.items) this.put(plural, obj);
    const subscription = cache.subscribe(list.revision, {
      onEvent: (event) => {
        if (event.type === 'DELETED') this.remove(plural, event.object);
        else this.put(plural, event.object);
      },
      onEnd: () => {
        if (this.stopped) return;
        this.follow(plural).catch((err: unknown) => this.log(`RBAC ${plural} resync failed: ${String(err)}`));
      },
    });
    if (!subscription) throw new Error(`the ${plural} watch cache does not cover its own list`);
    this.closers.set(plural, () => subscription.close());
  }

  private clear(plural: Plural): void {
    this.objects.get(plural)!.clear();
    if (plural === 'rolebindings') this.bindingsByNamespace.clear();
  }

  private put(plural: Plural, obj: KubeObject): void {
    this.objects.get(plural)!.set(keyOf(obj), obj);
    if (plural !== 'rolebindings') return;
    const namespace = obj.metadata.namespace ?? '';
    let bindings = this.bindingsByNamespace.get(namespace);
    if (!bindings) {
      bindings = new Map();
      this.bindingsByNamespace.set(namespace, bindings);
    }
    bindings.set(obj.metadata.name ?? '', obj as BindingObject);
  }

  private remove(plural: Plural, obj: KubeObject): void {
    this.objects.get(plural)!.delete(keyOf(obj));
    if (plural !== 'rolebindings') return;
    const namespace = obj.metadata.namespace ?? '';
    const bindings = this.bindingsByNamespace.get(namespace);
    bindings?.delete(obj.metadata.name ?? '');
    if (bindings?.size === 0) this.bindingsByNamespace.delete(namespace);
  }
}
