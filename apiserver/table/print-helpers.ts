/**
 * Small formatting pieces shared by the resource printers, each matching the upstream helper of the same
 * purpose (`translateTimestampSince`, `labels.FormatLabels`, `layoutContainerCells`).
 */

import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import { DOCS } from './column-docs.js';
import { humanDuration } from './human-duration.js';
import type { TableColumnDefinition } from './table-types.js';
import { column } from './table-types.js';

export const NAME_COLUMN: TableColumnDefinition = column('Name', 'string', DOCS.name, { format: 'name' });
export const AGE_COLUMN: TableColumnDefinition = column('Age', 'string', DOCS.creationTimestamp);
export const CONTAINERS_COLUMN = column('Containers', 'string', DOCS.containerNames, { priority: 1 });
export const IMAGES_COLUMN = column('Images', 'string', DOCS.containerImages, { priority: 1 });

/** Go's zero `time.Time`; a timestamp serialised from it means "not set". */
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/** Milliseconds since the epoch, or undefined for an absent, unparsable or zero timestamp. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms <= GO_ZERO_TIME_MS) return undefined;
  return ms;
}

export function timestampSince(value: unknown, now: Date): string {
  const ms = parseTimestamp(value);
  return ms === undefined ? '<unknown>' : humanDuration(now.getTime() - ms);
}

export function nameOf(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}

export function ageOf(obj: KubeObject, now: Date): string {
  return timestampSince(obj.metadata?.creationTimestamp, now);
}

/** `a=1,b=2` with keys sorted, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  if (!isPlainObject(labels)) return '<none>';
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${String(labels[key])}`);
  return pairs.length === 0 ? '<none>' : pairs.join(',');
}

export function arrayOf<T = Record<string, unknown>>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export function recordOf(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

export function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function numberOf(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

/** Container names and images, each comma-joined in spec order. */
export function layoutContainerCells(containers: unknown): [names: string, images: string] {
  const list = arrayOf(containers);
  return [list.map((c) => stringOf(c.name)).join(','), list.map((c) => stringOf(c.image)).join(',')];
}
