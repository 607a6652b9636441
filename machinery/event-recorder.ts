/**
 * EventRecorder: writes core/v1 Events about objects, as client-go's record.EventRecorder with its
 * EventCorrelator does.
 *
 * Contract:
 * - `event(obj, type, reason, message)` returns at once and never throws: the write happens in the
 *   background, one at a time in call order, and failures are logged, not raised.
 * - Repeats are aggregated: an event identical to an earlier one (same involved object, type, reason,
 *   message and source) patches that Event's `count` and `lastTimestamp` instead of creating another.
 *   The Event is named `<object name>.<hex timestamp>` and lives in the object's namespace (`default`
 *   for cluster-scoped objects), as upstream names them. If the Event was deleted meanwhile (events
 *   expire), a new one is created carrying on the count.
 * - Spam is dropped: per involved object and reason, a burst of 25 events, then one per 5 minutes, as
 *   upstream's spam filter. A backlog of more than 1000 unwritten events drops the newest.
 * - `flush()` resolves once everything recorded so far has been written (or given up on); for tests
 *   and orderly shutdown.
 * Not done: upstream's aggregation of similar events with different messages into one "(combined
 * from similar events)" Event.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import type { ApiClient } from './api-client.js';
import { isAlreadyExists, isNotFound } from './api-status-error.js';
import { realClock } from './clock.js';
import type { Clock } from './clock.js';
import { BucketRateLimiter } from './rate-limiter.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: Pick<ApiClient, 'create' | 'patch'>;
  /** `source.component` and `reportingComponent`, e.g. `replicaset-controller`. */
  component: string;
  /** `source.host` and `reportingInstance`, e.g. the node name for a kubelet. */
  host?: string;
  clock?: Clock;
  /** Per object and reason: events allowed at once, and refill rate (events/s). Upstream: 25, 1/300. */
  spamBurst?: number;
  spamQps?: number;
  log?: (line: string) => void;
}

interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

interface PendingEvent {
  key: string;
  involvedObject: ObjectReference;
  namespace: string;
  type: EventType;
  reason: string;
  message: string;
  at: number;
}

/** Upstream's LRU size for the aggregation cache. */
const MAX_CACHED_EVENTS = 4096;
const MAX_BACKLOG = 1000;
/** The API server refuses longer messages on new-style Events; keep core ones within it too. */
const MAX_MESSAGE_LENGTH = 4096;

export class EventRecorder {
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  /** Aggregation cache in LRU order (a Map iterates in insertion order). */
  private readonly recorded = new Map<string, Recorded>();
  private readonly spam = new Map<string, BucketRateLimiter<string>>();
  private tail: Promise<void> = Promise.resolve();
  private backlog = 0;
  private sequence = 0;

  constructor(private readonly options: EventRecorderOptions) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.error(line));
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      const involvedObject = referenceTo(obj);
      const source = `${this.options.component}/${this.options.host ?? ''}`;
      const objectKey = JSON.stringify([
        source,
        involvedObject.kind,
        involvedObject.namespace,
        involvedObject.name,
        involvedObject.uid,
      ]);
      if (!this.allow(`${objectKey}/${reason}`)) return;
      if (this.backlog >= MAX_BACKLOG) {
        this.log(`events: dropping ${type} ${reason} on ${involvedObject.name}: too many unwritten events`);
        return;
      }
      const text = message.length > MAX_MESSAGE_LENGTH ? message.slice(0, MAX_MESSAGE_LENGTH) : message;
      const pending: PendingEvent = {
        key: JSON.stringify([objectKey, involvedObject.apiVersion, type, reason, text]),
        involvedObject,
        namespace: involvedObject.namespace || 'default',
        type,
        reason,
        message: text,
        at: this.clock.now(),
      };
      this.backlog++;
      this.tail = this.tail.then(() => this.write(pending)).finally(() => this.backlog--);
    } catch (err) {
      this.log(`events: could not record ${type} ${reason}: ${describe(err)}`);
    }
  }

  /** Resolves once every event recorded so far has been written or given up on. */
  async flush(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.tail;
      await seen;
    } while (seen !== this.tail);
  }

  private allow(spamKey: string): boolean {
    let bucket = this.spam.get(spamKey);
    if (!bucket) {
      bucket = new BucketRateLimiter(
        this.options.spamQps ?? 1 / 300,
        this.options.spamBurst ?? 25,
        this.clock,
      );
      this.spam.set(spamKey, bucket);
      if (this.spam.size > MAX_CACHED_EVENTS) this.spam.delete(this.spam.keys().next().value!);
    }
    return bucket.tryAccept();
  }

  private async write(event: PendingEvent): Promise<void> {
    const { client } = this.options;
    const timestamp = rfc3339(event.at);
    const previous = this.recorded.get(event.key);
    const count = (previous?.count ?? 0) + 1;
    try {
      if (previous) {
        try {
          await client.patch('v1', 'Event', previous.namespace, previous.name, {
            count,
            lastTimestamp: timestamp,
            message: event.message,
          });
          this.remember(event.key, { ...previous, count });
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const name = `${event.involvedObject.name}.${this.uniqueSuffix(event.at)}`;
      const firstTimestamp = previous?.firstTimestamp ?? timestamp;
      await client.create('v1', 'Event', event.namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: event.namespace },
        involvedObject: event.involvedObject,
        reason: event.reason,
        message: event.message,
        type: event.type,
        source: {
          component: this.options.component,
          ...(this.options.host ? { host: this.options.host } : {}),
        },
        firstTimestamp,
        lastTimestamp: timestamp,
        count,
        reportingComponent: this.options.component,
        reportingInstance: this.options.host ?? '',
      });
      this.remember(event.key, { name, namespace: event.namespace, count, firstTimestamp });
    } catch (err) {
      // A name clash means an identical event was just written; anything else is lost, as upstream
      // gives up on events after its retries: they are informational.
      if (!isAlreadyExists(err)) {
        this.log(
          `events: could not write ${event.type} ${event.reason} on ${event.involvedObject.name}: ${describe(err)}`,
        );
      }
    }
  }

  private remember(key: string, recorded: Recorded): void {
    this.recorded.delete(key);
    this.recorded.set(key, recorded);
    if (this.recorded.size > MAX_CACHED_EVENTS) this.recorded.delete(this.recorded.keys().next().value!);
  }

  /** Upstream uses the creation time in nanoseconds, in hex; a sequence keeps names unique within a ms. */
  private uniqueSuffix(at: number): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    return (BigInt(at) * 1_000_000n + BigInt(this.sequence)).toString(16);
  }
}

function referenceTo(obj: KubeObject): ObjectReference {
  const meta = obj.metadata;
  if (!meta?.name) throw new Error('the object has no metadata.name');
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
    name: meta.name,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
  };
}

/** metav1.Time: RFC 3339 to the second. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
