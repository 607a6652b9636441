/**
 * How kubectl prints what it got: server-side Tables as aligned columns (`get`), `-o name`, `-o json`
 * and `-o yaml`, and `kind: List` around several objects. Pure: every function returns text.
 *
 * Tables follow kubectl's table printer: upper-cased headers, `priority > 0` columns only with
 * `-o wide`, a NAMESPACE column first with `-A` (from each row's object metadata), `kind.group/name`
 * in the name column when several kinds are printed, strings cut at their first line break with `...`.
 */
import { Document, isScalar, parseDocument, visit } from 'yaml';
import type { KubeObject } from '../apiserver/api-object.js';
import type { Table, TableCell, TableColumnDefinition, TableRow } from '../apiserver/table/table-types.js';
import { eventInterval } from './describe-writer.js';
import { goJsonIndent } from './go-json.js';
import { GET_TABWRITER, TabWriter } from './tab-writer.js';
import type { TabWriterOptions } from './tab-writer.js';

export type OutputFormat = 'table' | 'wide' | 'name' | 'json' | 'yaml';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (value === 'wide' || value === 'name' || value === 'json' || value === 'yaml') return value;
  throw new Error(
    `unable to match a printer suitable for the output format "${value}", allowed formats are: json,name,wide,yaml`,
  );
}

/** `deployment.apps`, `pod`: a GroupKind as kubectl prints it in front of a name. */
export function kindGroup(kind: string, group: string): string {
  return group ? `${kind.toLowerCase()}.${group}` : kind.toLowerCase();
}

export function groupOfApiVersion(apiVersion: string | undefined): string {
  const slash = (apiVersion ?? '').indexOf('/');
  return slash < 0 ? '' : (apiVersion ?? '').slice(0, slash);
}

/** `-o name`: `deployment.apps/web`. */
export function objectName(obj: KubeObject): string {
  return `${kindGroup(obj.kind ?? '', groupOfApiVersion(obj.apiVersion))}/${obj.metadata?.name ?? ''}`;
}

/** What kubectl prints for several objects with `-o json|yaml`. */
export function asList(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

export function toJson(value: unknown): string {
  return `${goJsonIndent(value)}\n`;
}

/**
 * YAML as kubectl writes it (go-yaml): sorted keys, sequences flush with their key, no folding, and
 * strings that would read back as another type (`"1"`, `"true"`, timestamps) double-quoted.
 */
export function toYaml(value: unknown): string {
  const doc = new Document(JSON.parse(JSON.stringify(value ?? null)) as unknown, {
    version: '1.1',
    sortMapEntries: true,
  });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || node.value.includes('\n')) return;
      if (node.value === '') {
        node.type = 'QUOTE_DOUBLE';
        return;
      }
      const parsed = parseDocument(node.value, { version: '1.1' }).contents;
      if (isScalar(parsed) && parsed.value !== null && typeof parsed.value !== 'string') {
        node.type = 'QUOTE_DOUBLE';
      } else if (isScalar(parsed) && parsed.value === null && node.value !== '') {
        node.type = 'QUOTE_DOUBLE';
      }
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}

export interface TablePrintOptions {
  wide?: boolean;
  /** Add a NAMESPACE column (`-A`). */
  withNamespace?: boolean;
  /** Prefix names with `kind.group/` (several kinds printed). */
  kindPrefix?: string;
  noHeaders?: boolean;
}

function cellText(cell: TableCell | undefined): string {
  if (cell === null || cell === undefined) return '';
  const text = typeof cell === 'string' ? cell : String(cell);
  const cut = text.search(/[\f\n\r]/);
  const printable = cut >= 0 ? `${text.slice(0, cut)}...` : text;
  return printable.replace(/\t/g, ' ');
}

function visibleColumns(columns: readonly TableColumnDefinition[], wide: boolean | undefined): number[] {
  const shown: number[] = [];
  columns.forEach((c, i) => {
    if (c.priority === 0 || wide) shown.push(i);
  });
  return shown;
}

function rowNamespace(row: TableRow): string {
  const meta = (row.object as { metadata?: { namespace?: string } } | undefined)?.metadata;
  return meta?.namespace ?? '';
}

/** The header line (tab-separated, not yet aligned). */
export function tableHeader(columns: readonly TableColumnDefinition[], options: TablePrintOptions): string {
  const names = visibleColumns(columns, options.wide).map((i) => columns[i].name.toUpperCase());
  if (options.withNamespace) names.unshift('NAMESPACE');
  return `${names.join('\t')}\n`;
}

/** One line per row (tab-separated, not yet aligned). */
export function tableRows(
  columns: readonly TableColumnDefinition[],
  rows: readonly TableRow[],
  options: TablePrintOptions,
): string {
  const shown = visibleColumns(columns, options.wide);
  const nameColumn = columns.findIndex((c) => c.format === 'name');
  return rows
    .map((row) => {
      const cells = shown.map((i) => {
        const text = cellText(row.cells[i]);
        return options.kindPrefix && i === nameColumn ? `${options.kindPrefix}/${text}` : text;
      });
      if (options.withNamespace) cells.unshift(rowNamespace(row));
      return `${cells.join('\t')}\n`;
    })
    .join('');
}

/** A whole Table, aligned as `kubectl get` prints it. */
export function formatTable(
  table: Pick<Table, 'columnDefinitions' | 'rows'>,
  options: TablePrintOptions = {},
  writerOptions: TabWriterOptions = GET_TABWRITER,
): string {
  const columns = table.columnDefinitions ?? [];
  const writer = new TabWriter(writerOptions);
  if (!options.noHeaders) writer.write(tableHeader(columns, options));
  writer.write(tableRows(columns, table.rows, options));
  return writer.flush();
}

/** kubectl's message (on stderr) when a list comes back empty. */
export function noResourcesMessage(namespace: string | undefined): string {
  return namespace ? `No resources found in ${namespace} namespace.` : 'No resources found';
}

/** `kubectl events` header: LAST SEEN TYPE REASON OBJECT MESSAGE, after NAMESPACE with `-A`. */
export function eventsHeader(withNamespace: boolean): string {
  return `${withNamespace ? 'NAMESPACE\t' : ''}LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n`;
}

/** One `kubectl events` row; OBJECT is `Kind/name`. */
export function eventRow(event: KubeObject, now: Date, withNamespace: boolean): string {
  const involved = (event.involvedObject ?? {}) as { kind?: string; name?: string };
  const cells = [
    eventInterval(event, now),
    String(event.type ?? ''),
    String(event.reason ?? ''),
    `${involved.kind ?? ''}/${involved.name ?? ''}`,
    String(event.message ?? '').trim(),
  ];
  if (withNamespace) cells.unshift(event.metadata.namespace ?? '');
  return `${cells.join('\t')}\n`;
}
