/**
 * `kubicle get`: kubectl's `get`. Human output comes from the server as Tables, as kubectl asks for
 * it; `-o name|json|yaml` print the objects themselves; `-w` keeps printing changes until Ctrl-C.
 */
import type { KubeList, KubeObject } from '../../apiserver/api-object.js';
import type { Table, TableColumnDefinition, TableRow } from '../../apiserver/table/table-types.js';
import { ApiStatusError, isResourceExpired } from '../../machinery/api-status-error.js';
import type { Command } from '../command-kit.js';
import { TABLE_ACCEPT, resourcePath } from '../kube-http.js';
import {
  asList,
  noResourcesMessage,
  objectName,
  parseOutputFormat,
  tableHeader,
  tableRows,
  toJson,
  toYaml,
} from '../output-printer.js';
import type { OutputFormat, TablePrintOptions } from '../output-printer.js';
import { apiVersionOfResource, groupKindOf } from '../resource-resolver.js';
import type { ApiResource, ResolvedRequest } from '../resource-resolver.js';
import { GET_TABWRITER, TabWriter } from '../tab-writer.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  errorLine,
  openSession,
  parseVerbArgs,
  runVerb,
} from '../verb-kit.js';
import type { VerbSession } from '../verb-kit.js';

const USAGE = `Usage: kubicle get TYPE[,TYPE...] [NAME...] | TYPE/NAME... [options]

Display one or many resources, as kubectl get does: TYPE is a plural, singular, kind or short name
(pods, po, deployment.apps, all, ...).

Options:
  -o, --output FORMAT     wide, name, json or yaml (default: a table)
  -l, --selector SEL      label selector, e.g. app=web,tier!=db
  --field-selector SEL    field selector, e.g. status.phase=Running
  -A, --all-namespaces    list across all namespaces
  -w, --watch             after listing, watch for changes (until Ctrl-C)
  --no-headers            omit the table header

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  output: { type: 'string', short: 'o' },
  selector: { type: 'string', short: 'l' },
  'field-selector': { type: 'string' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  watch: { type: 'boolean', short: 'w' },
  'no-headers': { type: 'boolean' },
} as const;

interface Fetched {
  request: ResolvedRequest;
  table?: Table;
  objects: KubeObject[];
  resourceVersion: string;
}

/** A Table from whatever the server sent: servers without Table support send the plain object or list. */
function asTable(body: unknown): Table {
  const value = body as Partial<Table> & Partial<KubeList> & KubeObject;
  if (value.kind === 'Table') return value as Table;
  const items = Array.isArray(value.items) ? value.items : [value];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: value.metadata?.resourceVersion ?? '' },
    columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', description: '', priority: 0 }],
    rows: items.map((o) => ({ cells: [o.metadata?.name ?? ''], object: o })),
  };
}

function typed(resource: ApiResource, obj: KubeObject): KubeObject {
  return { apiVersion: apiVersionOfResource(resource), kind: resource.kind, ...obj };
}

function namespaceFor(resource: ApiResource, session: VerbSession, all: boolean): string | undefined {
  if (!resource.namespaced || all) return undefined;
  return session.namespace;
}

async function fetchTables(
  session: VerbSession,
  request: ResolvedRequest,
  query: Record<string, string | undefined>,
  all: boolean,
  errors: unknown[],
): Promise<Fetched> {
  const ns = namespaceFor(request.resource, session, all);
  if (request.names.length === 0) {
    const table = asTable(
      await session.http.getJson(resourcePath(request.resource, ns), { query, accept: TABLE_ACCEPT }),
    );
    return { request, table, objects: [], resourceVersion: table.metadata.resourceVersion };
  }
  const rows: TableRow[] = [];
  let columns: TableColumnDefinition[] | null = null;
  for (const name of request.names) {
    try {
      const table = asTable(
        await session.http.getJson(resourcePath(request.resource, ns, name), { accept: TABLE_ACCEPT }),
      );
      columns ??= table.columnDefinitions;
      rows.push(...table.rows);
    } catch (err) {
      errors.push(err);
    }
  }
  const table: Table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '' },
    columnDefinitions: columns,
    rows,
  };
  return { request, table, objects: [], resourceVersion: '' };
}

async function fetchObjects(
  session: VerbSession,
  request: ResolvedRequest,
  query: { labelSelector?: string; fieldSelector?: string },
  all: boolean,
  errors: unknown[],
): Promise<Fetched> {
  const { resource } = request;
  const apiVersion = apiVersionOfResource(resource);
  const ns = namespaceFor(resource, session, all);
  if (request.names.length === 0) {
    const list = await session.client.list(apiVersion, resource.kind, { namespace: ns ?? '', ...query });
    return {
      request,
      objects: list.items.map((o) => typed(resource, o)),
      resourceVersion: list.metadata.resourceVersion,
    };
  }
  const objects: KubeObject[] = [];
  for (const name of request.names) {
    try {
      objects.push(typed(resource, await session.client.get(apiVersion, resource.kind, ns, name)));
    } catch (err) {
      errors.push(err);
    }
  }
  return { request, objects, resourceVersion: '' };
}

function printObjects(objects: KubeObject[], format: OutputFormat, single: boolean): string {
  if (format === 'name') return objects.map((o) => `${objectName(o)}\n`).join('');
  const value = single && objects.length === 1 ? objects[0] : asList(objects);
  return format === 'json' ? toJson(value) : toYaml(value);
}

async function watchChanges(
  session: VerbSession,
  fetched: Fetched,
  format: OutputFormat,
  query: { labelSelector?: string; fieldSelector?: string },
  all: boolean,
  writer: TabWriter,
  tableOptions: TablePrintOptions,
  headerPrinted: boolean,
): Promise<void> {
  const { resource, names } = fetched.request;
  const ns = namespaceFor(resource, session, all);
  const fieldSelector = names.length === 1 ? `metadata.name=${names[0]}` : query.fieldSelector;
  let resourceVersion = fetched.resourceVersion;
  let columns = fetched.table?.columnDefinitions ?? null;
  let printedHeader = headerPrinted;
  let firstObject = true;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  while (!stop.signal.aborted) {
    try {
      await session.http.watch(
        resourcePath(resource, ns),
        {
          query: {
            labelSelector: query.labelSelector,
            fieldSelector,
            resourceVersion,
            allowWatchBookmarks: true,
          },
          accept: format === 'table' || format === 'wide' ? TABLE_ACCEPT : 'application/json',
          signal: stop.signal,
        },
        (raw) => {
          const event = raw as { type: string; object: unknown };
          if (event.type === 'ERROR') throw ApiStatusError.fromStatus(event.object);
          const object = event.object as Table & KubeObject;
          if (object.metadata?.resourceVersion) resourceVersion = object.metadata.resourceVersion;
          if (event.type === 'BOOKMARK') return;
          if (format === 'table' || format === 'wide') {
            const table = asTable(object);
            columns = table.columnDefinitions ?? columns;
            if (!printedHeader && columns) {
              writer.write(tableHeader(columns, tableOptions));
              printedHeader = true;
            }
            writer.write(tableRows(columns ?? [], table.rows, tableOptions));
            process.stdout.write(writer.flush());
          } else if (format === 'yaml') {
            process.stdout.write(`${firstObject ? '' : '---\n'}${toYaml(typed(resource, object))}`);
          } else if (format === 'json') {
            process.stdout.write(toJson(typed(resource, object)));
          } else {
            process.stdout.write(`${objectName(typed(resource, object))}\n`);
          }
          firstObject = false;
        },
      );
    } catch (err) {
      if (!isResourceExpired(err)) throw err;
      resourceVersion = '';
    }
  }
}

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    const format = parseOutputFormat(values.output);
    const all = Boolean(values['all-namespaces']);
    if (positionals.length === 0)
      throw new UsageError(
        'You must specify the type of resource to get. Use "kubicle get all" or a type such as pods, deployments, services, nodes.',
      );
    const session = openSession(values);
    const requests = await session.resolve(positionals);
    const named = requests.some((r) => r.names.length > 0);
    if (named && values.selector)
      throw new UsageError('name cannot be provided when a selector is specified');
    if (named && all) throw new UsageError('a resource cannot be retrieved by name across all namespaces');
    if (values.watch && requests.length > 1)
      throw new UsageError(
        `watch is only supported on individual resources and resource collections, but ${requests.length} resources were found`,
      );
    const query = { labelSelector: values.selector, fieldSelector: values['field-selector'] };
    const errors: unknown[] = [];
    const fetched: Fetched[] = [];
    for (const request of requests) {
      fetched.push(
        format === 'table' || format === 'wide'
          ? await fetchTables(session, request, query, all, errors)
          : await fetchObjects(session, request, query, all, errors),
      );
    }

    // Each kind's table is aligned on its own; the last one's widths carry on into --watch output.
    let writer = new TabWriter({ ...GET_TABWRITER, rememberWidths: true });
    const showKind = requests.length > 1 || positionals[0].split(',').some((t) => t.toLowerCase() === 'all');
    let tableOptions: TablePrintOptions = {
      wide: format === 'wide',
      withNamespace: all,
      noHeaders: values['no-headers'],
    };
    let printedAny = false;
    if (format === 'table' || format === 'wide') {
      for (const f of fetched) {
        if (!f.table || f.table.rows.length === 0) continue;
        const options = {
          ...tableOptions,
          kindPrefix: showKind ? groupKindOf(f.request.resource) : undefined,
        };
        if (printedAny) process.stdout.write('\n');
        writer = new TabWriter({ ...GET_TABWRITER, rememberWidths: true });
        if (!values['no-headers']) writer.write(tableHeader(f.table.columnDefinitions ?? [], options));
        writer.write(tableRows(f.table.columnDefinitions ?? [], f.table.rows, options));
        process.stdout.write(writer.flush());
        tableOptions = options;
        printedAny = true;
      }
    } else {
      const objects = fetched.flatMap((f) => f.objects);
      const single = requests.length === 1 && requests[0].names.length === 1;
      // An empty list still prints as an empty List in json and yaml; failed names print nothing.
      if (objects.length > 0 || (!named && format !== 'name'))
        process.stdout.write(printObjects(objects, format, single));
      printedAny = objects.length > 0;
    }
    if (!printedAny && errors.length === 0 && format !== 'json' && format !== 'yaml') {
      const namespaced = requests.some((r) => r.resource.namespaced);
      process.stderr.write(`${noResourcesMessage(namespaced && !all ? session.namespace : undefined)}\n`);
    }
    if (errors.length > 0) {
      // kubectl prints every failed name; the last one ends the command with code 1.
      for (const err of errors.slice(0, -1)) process.stderr.write(`${errorLine(err)}\n`);
      throw errors[errors.length - 1];
    }
    if (values.watch) {
      await watchChanges(
        session,
        fetched[0],
        format,
        query,
        all,
        writer,
        tableOptions,
        printedAny && !values['no-headers'],
      );
    }
  });
}

export const getCommand: Command = {
  summary: 'Display one or many resources (kubectl get)',
  run,
};
