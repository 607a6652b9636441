/**
 * core/v1 Event rows as `kubectl get events` shows them: LAST SEEN TYPE REASON OBJECT MESSAGE, with
 * subobject, source, first-seen, count and the event's own name as wide columns. Events written through
 * the newer API carry `eventTime` and `series` instead of first/last timestamps and `count`.
 */

import type { KubeObject } from '../api-object.js';
import { DOCS } from './column-docs.js';
import { humanDuration } from './human-duration.js';
import { NAME_COLUMN, nameOf, numberOf, parseTimestamp, recordOf, stringOf } from './print-helpers.js';
import type { ResourcePrinter } from './table-types.js';
import { column } from './table-types.js';

function since(ms: number | undefined, now: Date): string {
  return ms === undefined ? '<unknown>' : humanDuration(now.getTime() - ms);
}

function seen(event: KubeObject, now: Date): { first: string; last: string; count: number } {
  const firstMs = parseTimestamp(event.firstTimestamp);
  const first = firstMs === undefined ? since(parseTimestamp(event.eventTime), now) : since(firstMs, now);
  const lastMs = parseTimestamp(event.lastTimestamp);
  const series = event.series === undefined || event.series === null ? undefined : recordOf(event.series);
  if (series) {
    return {
      first,
      last: since(parseTimestamp(series.lastObservedTime), now),
      count: numberOf(series.count),
    };
  }
  // Singleton events from the newer API leave count unset.
  const count = numberOf(event.count) || 1;
  return { first, last: lastMs === undefined ? first : since(lastMs, now), count };
}

function target(involved: Record<string, unknown>): string {
  const kind = stringOf(involved.kind).toLowerCase();
  const name = stringOf(involved.name);
  return name ? `${kind}/${name}` : kind;
}

/** `component, host`, falling back to the reporting controller/instance the newer API fills in. */
function source(event: KubeObject): string {
  const src = recordOf(event.source);
  const component = stringOf(src.component) || stringOf(event.reportingComponent);
  const instance = stringOf(src.host) || stringOf(event.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: ResourcePrinter = {
  columns: [
    column('Last Seen', 'string', DOCS.eventLastTimestamp),
    column('Type', 'string', DOCS.eventType),
    column('Reason', 'string', DOCS.eventReason),
    column('Object', 'string', DOCS.eventInvolvedObject),
    column('Subobject', 'string', DOCS.eventFieldPath, { priority: 1 }),
    column('Source', 'string', DOCS.eventSource, { priority: 1 }),
    column('Message', 'string', DOCS.eventMessage),
    column('First Seen', 'string', DOCS.eventFirstTimestamp, { priority: 1 }),
    column('Count', 'string', DOCS.eventCount, { priority: 1 }),
    { ...NAME_COLUMN, priority: 1 },
  ],
  cells(event, now) {
    const involved = recordOf(event.involvedObject);
    const { first, last, count } = seen(event, now);
    return [
      last,
      stringOf(event.type),
      stringOf(event.reason),
      target(involved),
      stringOf(involved.fieldPath),
      source(event),
      stringOf(event.message).trim(),
      first,
      count,
      nameOf(event),
    ];
  },
};
