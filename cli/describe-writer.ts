/**
 * The building blocks of `describe` output, as kubectl's describe package writes them: lines at
 * two-space indent levels aligned by a tab writer (minimum width 0, padding 2), labels and
 * annotations one per line, RFC 1123 timestamps in local time, the Events table, and resource
 * quantities summed the way node descriptions need. Pure.
 */
import type { KubeObject } from '../apiserver/api-object.js';
import { isPlainObject } from '../apiserver/api-object.js';
import { humanDuration } from '../apiserver/table/human-duration.js';
import { parseTimestamp } from '../apiserver/table/print-helpers.js';
import { LAST_APPLIED_ANNOTATION } from './three-way-patch.js';
import { DESCRIBE_TABWRITER, tabulate } from './tab-writer.js';

const MAX_ANNOTATION_LENGTH = 140;

/** kubectl's PrefixWriter: text at an indent level; a level adds two spaces. */
export class DescribeWriter {
  private text = '';

  write(level: number, text: string): void {
    this.text += '  '.repeat(level) + text;
  }

  toString(): string {
    return this.text ? tabulate(this.text, DESCRIBE_TABWRITER) : '';
  }

  /** The text with its tabs left in, as kubectl prints pod templates in `rollout history`. */
  untabulated(): string {
    return this.text;
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's `time.RFC1123Z` in the local zone: `Mon, 02 Jan 2006 15:04:05 -0700`. */
export function rfc1123z(value: unknown): string {
  const ms = parseTimestamp(value);
  if (ms === undefined) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `${DAYS[d.getDay()]}, ${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`;
}

export function since(value: unknown, now: Date): string {
  const ms = parseTimestamp(value);
  return ms === undefined ? '<unknown>' : humanDuration(now.getTime() - ms);
}

function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

/** `Labels:  a=b` then one `\tkey=value` line per further label, `<none>` when empty. */
export function writeLabels(w: DescribeWriter, title: string, labels: unknown): void {
  const map = record(labels);
  const keys = Object.keys(map).sort();
  if (keys.length === 0) return w.write(0, `${title}:\t<none>\n`);
  keys.forEach((key, i) => w.write(0, `${i === 0 ? `${title}:` : ''}\t${key}=${String(map[key])}\n`));
}

/** Annotations as kubectl shows them: the last-applied configuration left out, long values wrapped. */
export function writeAnnotations(w: DescribeWriter, title: string, annotations: unknown): void {
  const map = record(annotations);
  const keys = Object.keys(map)
    .filter((k) => k !== LAST_APPLIED_ANNOTATION)
    .sort();
  if (keys.length === 0) return w.write(0, `${title}:\t<none>\n`);
  keys.forEach((key, i) => {
    const prefix = i === 0 ? `${title}:\t` : '\t';
    const value = String(map[key]).replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LENGTH || value.includes('\n')) {
      w.write(0, `${prefix}${key}:\n`);
      for (const line of value.split('\n')) {
        const shortened =
          line.length > MAX_ANNOTATION_LENGTH - 2 ? `${line.slice(0, MAX_ANNOTATION_LENGTH - 2)}...` : line;
        w.write(0, `\t  ${shortened}\n`);
      }
    } else {
      w.write(0, `${prefix}${key}: ${value}\n`);
    }
  });
}

function eventTimestamp(event: KubeObject): number {
  const series = record(event.series);
  return (
    parseTimestamp(series.lastObservedTime) ??
    parseTimestamp(event.lastTimestamp) ??
    parseTimestamp(event.eventTime) ??
    0
  );
}

/** Oldest first, by last occurrence, as kubectl sorts events. */
export function sortEvents(events: readonly KubeObject[]): KubeObject[] {
  return [...events].sort((a, b) => eventTimestamp(a) - eventTimestamp(b));
}

/** `5m (x3 over 10m)` for repeated events, else the age of the first occurrence. */
export function eventInterval(event: KubeObject, now: Date): string {
  const first =
    parseTimestamp(event.eventTime) !== undefined
      ? since(event.eventTime, now)
      : since(event.firstTimestamp, now);
  const series = isPlainObject(event.series) ? event.series : undefined;
  if (series) return `${since(series.lastObservedTime, now)} (x${Number(series.count ?? 0)} over ${first})`;
  const count = typeof event.count === 'number' ? event.count : 0;
  if (count > 1) return `${since(event.lastTimestamp, now)} (x${count} over ${first})`;
  return first;
}

export function writeEvents(w: DescribeWriter, events: readonly KubeObject[] | undefined, now: Date): void {
  if (events === undefined) return;
  if (events.length === 0) return w.write(0, 'Events:\t<none>\n');
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of sortEvents(events)) {
    const source = String(record(e.source).component || e.reportingController || '');
    w.write(
      1,
      `${String(e.type ?? '')}\t${String(e.reason ?? '')}\t${eventInterval(e, now)}\t${source}\t${String(e.message ?? '').trim()}\n`,
    );
  }
}

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A resource quantity (`100m`, `64Mi`, `1.5`, `1e3`) as a number of base units; NaN if unreadable. */
export function parseQuantity(text: unknown): number {
  if (typeof text === 'number') return text;
  if (typeof text !== 'string') return NaN;
  const m = /^([+-]?\d*\.?\d+(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(text.trim());
  if (!m) return NaN;
  const suffix = m[2] ?? '';
  return Number(m[1]) * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** A CPU amount as Go's Quantity prints a sum: whole cores plainly, else millicores. */
export function formatCpu(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes in the largest binary unit that divides them, else the largest decimal one, else plain. */
export function formatBytes(bytes: number): string {
  const value = Math.round(bytes);
  if (value === 0) return '0';
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'])
    if (value % BINARY[unit] === 0) return `${value / BINARY[unit]}${unit}`;
  for (const unit of ['E', 'P', 'T', 'G', 'M', 'k'])
    if (value % DECIMAL[unit] === 0) return `${value / DECIMAL[unit]}${unit}`;
  return String(value);
}
