/**
 * LeaderElector: client-go's leaderelection over a `coordination.k8s.io/v1` Lease, so several copies
 * of a component can run and only one acts.
 *
 * Contract:
 * - A candidate takes the lease when it does not exist, when its `holderIdentity` is empty (released),
 *   or when it has expired: its record has not changed for `leaseDurationSeconds`, measured on this
 *   candidate's own clock from the moment it first saw the current record. (Comparing `renewTime` with
 *   our clock would trust the holder's clock; a skewed clock could then steal a live lease.)
 * - Every write is an update carrying the resourceVersion just read, so of two candidates racing for
 *   the same lease one gets 409 Conflict and stays a follower.
 * - The leader renews every `retryPeriodMs`; when it could not renew for `renewDeadlineMs` (server
 *   unreachable, lease taken) it stops leading. `renewDeadlineMs` < `leaseDurationMs` is what keeps two
 *   leaders from acting at once: the old one gives up before anyone else may take over.
 * - `onStartedLeading(signal)` is called when the lease is won; `signal` aborts when leadership ends.
 *   Its promise (if any) is awaited before `onStoppedLeading`, before the lease is released and before
 *   competing again, so one elector never runs two leading sessions at once.
 * - After losing the lease `run` competes again; it returns only when its own `signal` aborts. On that
 *   abort a leader releases the lease (clears `holderIdentity`) so a successor need not wait for it to
 *   expire, unless `releaseOnCancel` is false.
 * Defaults are upstream's: lease 15 s, renew deadline 10 s, retry every 2 s.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { ApiClient } from './api-client.js';
import { isNotFound } from './api-status-error.js';
import { realClock } from './clock.js';
import type { Clock } from './clock.js';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: Pick<ApiClient, 'get' | 'create' | 'update'>;
  /** Where the Lease lives, e.g. `kube-system`. */
  namespace: string;
  /** The Lease's name, e.g. `kube-controller-manager`. */
  name: string;
  /** Unique per candidate, e.g. `<hostname>_<random>`. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  releaseOnCancel?: boolean;
  clock?: Clock;
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called after a leading session ended (never if this candidate did not lead). */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes, including to this candidate. */
  onNewLeader?: (identity: string) => void;
  log?: (line: string) => void;
}

const LEASE_API = 'coordination.k8s.io/v1';
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  /** The lease as last read or written, and when its record last changed on our clock. */
  private observed: Lease | undefined;
  private observedAt = 0;
  private leading = false;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
    if (this.leaseDurationMs <= this.renewDeadlineMs) {
      throw new Error('leaseDurationMs must be greater than renewDeadlineMs');
    }
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) {
      throw new Error(`renewDeadlineMs must be greater than retryPeriodMs*${JITTER_FACTOR}`);
    }
    if (this.leaseDurationMs < 1000) throw new Error('leaseDurationMs must be at least one second');
  }

  /** Whether this candidate is leading right now. */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the lease ('' when none). */
  getLeader(): string {
    return this.observed?.spec?.holderIdentity ?? '';
  }

  /** Competes for the lease and leads when it holds it, until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) return;
      const session = new AbortController();
      this.leading = true;
      this.log(`${this.describeLease()}: ${this.options.identity} became leader`);
      const work = Promise.resolve()
        .then(() => this.options.onStartedLeading(session.signal))
        .catch((err: unknown) =>
          this.log(`${this.describeLease()}: the leading work failed: ${String(err)}`),
        );
      await this.renewUntilLost(signal);
      this.leading = false;
      session.abort();
      await work;
      if (signal.aborted && this.options.releaseOnCancel !== false) await this.release();
      this.log(`${this.describeLease()}: ${this.options.identity} stopped leading`);
      try {
        this.options.onStoppedLeading?.();
      } catch (err) {
        this.log(`${this.describeLease()}: onStoppedLeading failed: ${String(err)}`);
      }
    }
  }

  /** Tries until the lease is ours (true) or `signal` aborts (false). */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal, this.renewDeadlineMs)) return true;
      const jittered = this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR);
      await this.clock.sleep(jittered, signal);
    }
    return false;
  }

  /** Renews every retry period; returns when a renewal could not succeed within the deadline. */
  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    for (;;) {
      await this.clock.sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return;
      const deadline = this.clock.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted) {
        const left = deadline - this.clock.now();
        if (left <= 0) break;
        if (await this.tryAcquireOrRenew(signal, left)) {
          renewed = true;
          break;
        }
        // Someone else holds it now: there is nothing left to wait for.
        if (this.getLeader() !== '' && this.getLeader() !== this.options.identity) break;
        await this.clock.sleep(Math.min(this.retryPeriodMs, deadline - this.clock.now()), signal);
      }
      if (signal.aborted) return;
      if (!renewed) {
        this.log(`${this.describeLease()}: could not renew within ${this.renewDeadlineMs} ms, giving it up`);
        return;
      }
    }
  }

  /** One round: read the lease, and write ourselves in if it is ours, free or expired. */
  private async tryAcquireOrRenew(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    const { client, namespace, name, identity } = this.options;
    const attempt = this.attemptSignal(signal, timeoutMs);
    try {
      const now = this.clock.now();
      let current: Lease;
      try {
        current = await client.get<Lease>(LEASE_API, 'Lease', namespace, name, { signal: attempt.signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await client.create<Lease>(
          LEASE_API,
          'Lease',
          namespace,
          { apiVersion: LEASE_API, kind: 'Lease', metadata: { name, namespace }, spec: this.record(now) },
          { signal: attempt.signal },
        );
        this.observe(created, now);
        return true;
      }
      this.observe(current, now);
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const ours = holder === identity;
      const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
      if (holder !== '' && !ours && this.observedAt + durationMs > now) return false;
      const updated = await client.update<Lease>(
        LEASE_API,
        'Lease',
        namespace,
        { ...current, spec: { ...spec, ...this.record(now, ours ? spec : undefined, spec) } },
        { signal: attempt.signal },
      );
      this.observe(updated, now);
      return true;
    } catch (err) {
      if (!signal.aborted) this.log(`${this.describeLease()}: ${describe(err)}`);
      return false;
    } finally {
      attempt.dispose();
    }
  }

  /** Our record: keeps acquireTime while we hold the lease, counts a transition when we take it. */
  private record(now: number, held?: LeaseSpec, previous?: LeaseSpec): LeaseSpec {
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: held?.acquireTime ?? microTime(now),
      renewTime: microTime(now),
      leaseTransitions: held ? transitions : previous ? transitions + 1 : 0,
    };
  }

  private observe(lease: Lease, now: number): void {
    const before = this.observed?.spec;
    const after = lease.spec ?? {};
    const changed =
      !before ||
      before.holderIdentity !== after.holderIdentity ||
      before.renewTime !== after.renewTime ||
      before.leaseDurationSeconds !== after.leaseDurationSeconds ||
      before.acquireTime !== after.acquireTime;
    if (changed) this.observedAt = now;
    const newHolder = (after.holderIdentity ?? '') !== (before?.holderIdentity ?? '') || !before;
    this.observed = lease;
    if (newHolder && after.holderIdentity) {
      try {
        this.options.onNewLeader?.(after.holderIdentity);
      } catch (err) {
        this.log(`${this.describeLease()}: onNewLeader failed: ${String(err)}`);
      }
    }
  }

  /** Clears holderIdentity so the next candidate need not wait for the lease to expire. */
  private async release(): Promise<void> {
    const lease = this.observed;
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    const now = this.clock.now();
    const attempt = this.attemptSignal(undefined, this.renewDeadlineMs);
    try {
      const released = await this.options.client.update<Lease>(
        LEASE_API,
        'Lease',
        this.options.namespace,
        {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: microTime(now),
            renewTime: microTime(now),
          },
        },
        { signal: attempt.signal },
      );
      this.observe(released, now);
    } catch (err) {
      // Someone else already holds it, or the server is away: it will expire on its own.
      this.log(`${this.describeLease()}: release failed: ${describe(err)}`);
    } finally {
      attempt.dispose();
    }
  }

  /** A signal for one attempt's requests: aborts with `parent` or after `timeoutMs`. */
  private attemptSignal(
    parent: AbortSignal | undefined,
    timeoutMs: number,
  ): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    const abort = () => controller.abort();
    parent?.addEventListener('abort', abort, { once: true });
    const timer = this.clock.setTimeout(abort, timeoutMs);
    return {
      signal: controller.signal,
      dispose: () => {
        parent?.removeEventListener('abort', abort);
        this.clock.clearTimeout(timer);
      },
    };
  }

  private describeLease(): string {
    return `lease ${this.options.namespace}/${this.options.name}`;
  }
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
