/**
 * NamespaceLifecycle: which namespaces are terminating, kept in memory from a watch, so that creates
 * into them are refused (403) without an extra etcd read per create. As upstream's admission plugin
 * of the same name, it is eventually consistent: a create racing with the namespace's deletion may
 * still land, and the namespace controller then deletes it with the rest.
 */
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import type { EtcdStorage } from '../storage/etcd-storage.js';
import type { WatchCache } from '../storage/watch-cache.js';

function isTerminating(ns: KubeObject): boolean {
  const status = isPlainObject(ns.status) ? ns.status : {};
  return Boolean(ns.metadata.deletionTimestamp) || status.phase === 'Terminating';
}

export class NamespaceLifecycle {
  private readonly terminating = new Set<string>();
  private stopped = false;
  private close: (() => void) | undefined;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly cache: WatchCache,
    private readonly log: (line: string) => void,
  ) {}

  isTerminating(namespace: string): boolean {
    return this.terminating.has(namespace);
  }

  async start(): Promise<void> {
    // Watching first, then listing, guarantees the cache holds every event after the list.
    await this.cache.ensureStarted();
    const list = await this.storage.list(`${this.storage.prefix}/namespaces/`);
    this.terminating.clear();
    for (const ns of list.items)
      if (isTerminating(ns) && ns.metadata.name) this.terminating.add(ns.metadata.name);
    const subscription = this.cache.subscribe(list.revision, {
      onEvent: (event) => {
        const name = event.object.metadata.name;
        if (!name) return;
        if (event.type !== 'DELETED' && isTerminating(event.object)) this.terminating.add(name);
        else this.terminating.delete(name);
      },
      onEnd: () => {
        if (this.stopped) return;
        // The cache was rebuilt: start over from a fresh list.
        this.start().catch((err: unknown) => this.log(`namespace lifecycle resync failed: ${String(err)}`));
      },
    });
    if (!subscription) throw new Error('the namespace watch cache does not cover its own list');
    this.close = () => subscription.close();
  }

  stop(): void {
    this.stopped = true;
    this.close?.();
  }
}
