/**
 * Namespace controller: empties a namespace being deleted, then releases it, as upstream's
 * pkg/controller/namespace with its NamespacedResourcesDeleter.
 *
 * Contract:
 * - Acts only on namespaces with a deletionTimestamp whose `spec.finalizers` still holds `kubernetes`
 *   (the API server puts it there at creation); other finalizers belong to someone else.
 * - Every pass deletes (Background propagation, default grace) every object of every served namespaced
 *   kind in the namespace that is not already being deleted, workload controllers and Services before
 *   what they produce (pods, Endpoints) so nothing is recreated behind our back, then lists again.
 * - While anything remains (pods terminating gracefully, objects held by finalizers), the namespace is
 *   checked again later (upstream's estimate: half the longest pod grace period plus a second), and its
 *   status conditions say what remains, as upstream's NamespaceContentRemaining and
 *   NamespaceFinalizersRemaining do.
 * - Once nothing remains, `PUT namespaces/<ns>/finalize` drops `kubernetes` from `spec.finalizers`;
 *   the API server then removes the namespace.
 * Not done: discovery of kinds the registry does not list (aggregated APIs, CRDs).
 */
import type { KubeObject } from '../apiserver/api-object.js';
import { RESOURCES, apiVersionOf } from '../apiserver/resource-registry.js';
import type { ResourceInfo } from '../apiserver/resource-registry.js';
import type { ApiClient } from '../machinery/api-client.js';
import { isNotFound } from '../machinery/api-status-error.js';
import { realClock } from '../machinery/clock.js';
import type { Clock } from '../machinery/clock.js';
import type { Informer } from '../machinery/informer.js';
import { runWorkers } from '../machinery/run-workers.js';
import { WorkQueue } from '../machinery/workqueue.js';
import type { ControllerDescriptor } from './controller-manager.js';

/** The finalizer the API server puts on every namespace and this controller removes. */
export const KUBERNETES_FINALIZER = 'kubernetes';

/** Condition types and reasons, as upstream writes them on terminating namespaces. */
export const CONTENT_REMAINING = 'NamespaceContentRemaining';
export const FINALIZERS_REMAINING = 'NamespaceFinalizersRemaining';
export const DELETION_CONTENT_FAILURE = 'NamespaceDeletionContentFailure';
export const REASON_SOME_RESOURCES_REMAIN = 'SomeResourcesRemain';
export const REASON_CONTENT_REMOVED = 'ContentRemoved';
export const REASON_SOME_FINALIZERS_REMAIN = 'SomeFinalizersRemain';
export const REASON_CONTENT_HAS_NO_FINALIZERS = 'ContentHasNoFinalizers';
export const REASON_CONTENT_DELETION_FAILED = 'ContentDeletionFailed';
export const REASON_CONTENT_DELETED = 'ContentDeleted';

/** Deletes in flight at once within one kind. */
const DELETE_CONCURRENCY = 16;

export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: NamespaceCondition[] };
}

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ContentKind {
  apiVersion: string;
  kind: string;
  /** As upstream prints resources in condition messages: `pods`, `deployments.apps`. */
  resource: string;
}

// ---------------------------------------------------------------------------------------------------
// Pure decisions

/** Creators before what they create; events last, since deleting everything else makes more. */
function deletionRank(r: ResourceInfo): number {
  if (r.group === 'apps') return 0;
  if (r.plural === 'services') return 1;
  if (r.plural === 'pods') return 2;
  if (r.plural === 'endpoints') return 4;
  if (r.plural === 'events') return 5;
  return 3;
}

/** The namespaced kinds a namespace deletion must empty, in the order they are deleted. */
export function namespacedContentKinds(resources: readonly ResourceInfo[] = RESOURCES): ContentKind[] {
  return resources
    .filter((r) => r.namespaced && r.verbs.includes('delete') && r.verbs.includes('list'))
    .map((r, index) => ({ r, index }))
    .sort((a, b) => deletionRank(a.r) - deletionRank(b.r) || a.index - b.index)
    .map(({ r }) => ({
      apiVersion: apiVersionOf(r),
      kind: r.kind,
      resource: r.group ? `${r.plural}.${r.group}` : r.plural,
    }));
}

/** Whether the controller has work on this namespace. */
export function needsContentDeletion(ns: Namespace): boolean {
  return Boolean(ns.metadata.deletionTimestamp) && (ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER);
}

export interface RemainingContent {
  /** resource → objects still there */
  resources: Map<string, number>;
  /** finalizer → objects it still holds */
  finalizers: Map<string, number>;
  /** Seconds until the slowest remaining pod should be gone (upstream's estimate). */
  estimateSeconds: number;
}

/** Summarises what a namespace still holds after a deletion pass. */
export function summarizeRemaining(
  byKind: readonly { kind: ContentKind; items: readonly KubeObject[] }[],
): RemainingContent {
  const summary: RemainingContent = { resources: new Map(), finalizers: new Map(), estimateSeconds: 0 };
  for (const { kind, items } of byKind) {
    if (items.length) summary.resources.set(kind.resource, items.length);
    for (const item of items) {
      for (const f of item.metadata.finalizers ?? [])
        summary.finalizers.set(f, (summary.finalizers.get(f) ?? 0) + 1);
      if (kind.kind === 'Pod')
        summary.estimateSeconds = Math.max(summary.estimateSeconds, podGraceEstimate(item));
    }
  }
  return summary;
}

function podGraceEstimate(pod: KubeObject): number {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const grace = (pod.spec as { terminationGracePeriodSeconds?: number } | undefined)
    ?.terminationGracePeriodSeconds;
  return typeof grace === 'number' ? grace : 30;
}

export function isEmpty(remaining: RemainingContent): boolean {
  return remaining.resources.size === 0;
}

/** How long to wait before looking at a namespace with content left: upstream's estimate/2 + 1 s. */
export function recheckDelayMs(remaining: RemainingContent, maxMs: number): number {
  return Math.min(maxMs, (Math.floor(remaining.estimateSeconds / 2) + 1) * 1000);
}

/**
 * The namespace's conditions after a pass: ours replaced (keeping lastTransitionTime when the status
 * did not flip), anyone else's kept.
 */
export function deletionConditions(
  existing: readonly NamespaceCondition[],
  remaining: RemainingContent,
  failures: readonly string[],
  now: string,
): NamespaceCondition[] {
  const list = (m: Map<string, number>, text: (key: string, n: number) => string) =>
    [...m]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, n]) => text(k, n))
      .join(', ');
  const ours: NamespaceCondition[] = [
    failures.length
      ? {
          type: DELETION_CONTENT_FAILURE,
          status: 'True',
          reason: REASON_CONTENT_DELETION_FAILED,
          message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}`,
        }
      : {
          type: DELETION_CONTENT_FAILURE,
          status: 'False',
          reason: REASON_CONTENT_DELETED,
          message: 'All content successfully deleted, may be waiting on finalization',
        },
    remaining.resources.size
      ? {
          type: CONTENT_REMAINING,
          status: 'True',
          reason: REASON_SOME_RESOURCES_REMAIN,
          message: `Some resources are remaining: ${list(remaining.resources, (r, n) => `${r} has ${n} resource instances`)}`,
        }
      : {
          type: CONTENT_REMAINING,
          status: 'False',
          reason: REASON_CONTENT_REMOVED,
          message: 'All content successfully removed',
        },
    remaining.finalizers.size
      ? {
          type: FINALIZERS_REMAINING,
          status: 'True',
          reason: REASON_SOME_FINALIZERS_REMAIN,
          message: `Some content in the namespace has finalizers remaining: ${list(remaining.finalizers, (f, n) => `${f} in ${n} resource instances`)}`,
        }
      : {
          type: FINALIZERS_REMAINING,
          status: 'False',
          reason: REASON_CONTENT_HAS_NO_FINALIZERS,
          message: 'All content-preserving finalizers finished',
        },
  ];
  const ourTypes = new Set(ours.map((c) => c.type));
  const result = existing.filter((c) => !ourTypes.has(c.type));
  for (const condition of ours) {
    const before = existing.find((c) => c.type === condition.type);
    const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : now;
    result.push({ ...condition, lastTransitionTime: lastTransitionTime ?? now });
  }
  return result;
}

function conditionsDiffer(a: readonly NamespaceCondition[], b: readonly NamespaceCondition[]): boolean {
  const strip = (cs: readonly NamespaceCondition[]) =>
    JSON.stringify(
      cs
        .map(({ type, status, reason, message }) => ({ type, status, reason, message }))
        .sort((x, y) => (x.type < y.type ? -1 : 1)),
    );
  return strip(a) !== strip(b);
}

// ---------------------------------------------------------------------------------------------------
// The controller

export interface NamespaceControllerOptions {
  client: Pick<ApiClient, 'list' | 'delete' | 'update' | 'updateStatus'>;
  namespaces: Pick<Informer<Namespace>, 'store' | 'addEventHandler' | 'waitForSync'>;
  /** What to delete; defaults to every namespaced kind the API server's registry serves. */
  kinds?: readonly ContentKind[];
  /** Upper bound on the wait before looking again at a namespace with content left; default 16 s. */
  maxRecheckMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

export class NamespaceController {
  /** Namespace names. */
  readonly queue: WorkQueue<string>;
  private readonly kinds: readonly ContentKind[];
  private readonly clock: Clock;
  private readonly log: (line: string) => void;

  constructor(private readonly options: NamespaceControllerOptions) {
    this.clock = options.clock ?? realClock;
    this.queue = new WorkQueue<string>({ clock: this.clock });
    this.kinds = options.kinds ?? namespacedContentKinds();
    this.log = options.log ?? ((line) => console.error(line));
  }

  register(): () => void {
    const enqueue = (ns: Namespace) => {
      if (needsContentDeletion(ns)) this.queue.add(ns.metadata.name!);
    };
    return this.options.namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_old, cur) => enqueue(cur) });
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const unregister = this.register();
    try {
      if (!(await this.options.namespaces.waitForSync(signal))) return;
      await runWorkers(this.queue, workers, (key) => this.sync(key), {
        signal,
        name: 'namespace',
        log: this.log,
      });
    } finally {
      unregister();
      this.queue.shutDown();
    }
  }

  /** One deletion pass over the namespace `name`. Throwing requeues it with backoff. */
  async sync(name: string): Promise<void> {
    const { client } = this.options;

    // 1. Only a terminating namespace still holding our finalizer is ours to work on.
    const ns = this.options.namespaces.store.get(name);
    if (!ns || !needsContentDeletion(ns)) return;

    // 2. Delete everything that is not already going.
    const failures: string[] = [];
    for (const kind of this.kinds) {
      try {
        await this.deleteAll(kind, name);
      } catch (err) {
        failures.push(`${kind.resource}: ${errorText(err)}`);
      }
    }

    // 3. See what is left.
    const remaining = summarizeRemaining(
      await Promise.all(
        this.kinds.map(async (kind) => ({
          kind,
          items: (await client.list(kind.apiVersion, kind.kind, { namespace: name })).items,
        })),
      ),
    );

    // 4. Tell the namespace's readers, when that changed.
    await this.writeConditions(ns, remaining, failures);
    if (failures.length) throw new Error(`deleting the content of namespace ${name}: ${failures.join('; ')}`);

    // 5. Content left (graceful pods, finalizers): look again later.
    if (!isEmpty(remaining)) {
      this.queue.addAfter(name, recheckDelayMs(remaining, this.options.maxRecheckMs ?? 16_000));
      return;
    }

    // 6. Empty: release the namespace; the API server deletes it.
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
    try {
      await client.update(
        'v1',
        'Namespace',
        undefined,
        { ...structuredClone(ns), spec: { ...ns.spec, finalizers } },
        {
          subresource: 'finalize',
        },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async deleteAll(kind: ContentKind, namespace: string): Promise<void> {
    const { client } = this.options;
    const items = (await client.list(kind.apiVersion, kind.kind, { namespace })).items;
    const pending = items.filter((item) => !item.metadata.deletionTimestamp);
    for (let i = 0; i < pending.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        pending.slice(i, i + DELETE_CONCURRENCY).map(async (item) => {
          try {
            await client.delete(kind.apiVersion, kind.kind, namespace, item.metadata.name!, {
              propagationPolicy: 'Background',
            });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }),
      );
    }
  }

  private async writeConditions(
    ns: Namespace,
    remaining: RemainingContent,
    failures: string[],
  ): Promise<void> {
    const existing = ns.status?.conditions ?? [];
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = deletionConditions(existing, remaining, failures, now);
    if (!conditionsDiffer(existing, conditions)) return;
    const next = structuredClone(ns) as Namespace;
    next.status = { ...next.status, conditions };
    try {
      await this.options.client.updateStatus('v1', 'Namespace', undefined, next);
    } catch (err) {
      // A stale cache or a namespace already gone: the conditions are advisory, the next pass rewrites them.
      this.log(`namespace ${ns.metadata.name}: could not update conditions: ${errorText(err)}`);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const namespaceController: ControllerDescriptor = {
  name: 'namespace',
  async start(ctx, signal) {
    const maxRecheckMs = ctx.settings.maxRecheckMs;
    const controller = new NamespaceController({
      client: ctx.client,
      namespaces: ctx.informer<Namespace>('v1', 'Namespace'),
      maxRecheckMs: typeof maxRecheckMs === 'number' ? maxRecheckMs : undefined,
      clock: ctx.clock,
      log: (line) => ctx.log(line),
    });
    await controller.run(ctx.workers, signal);
  },
};
