/**
 * `kubicle events`: kubectl's `events` — the events of a namespace (or all), oldest first by last
 * occurrence, in kubectl's columns; `-w` keeps printing new ones until Ctrl-C.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import { ApiStatusError, isResourceExpired } from '../../machinery/api-status-error.js';
import type { Command } from '../command-kit.js';
import { sortEvents } from '../describe-writer.js';
import { eventRow, eventsHeader } from '../output-printer.js';
import { resolveResourceType } from '../resource-resolver.js';
import { GET_TABWRITER, TabWriter } from '../tab-writer.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  openSession,
  parseVerbArgs,
  runVerb,
} from '../verb-kit.js';

const USAGE = `Usage: kubicle events [options]

List events, as kubectl events does: oldest first, by when they last happened.

Options:
  -A, --all-namespaces    events of every namespace
  -w, --watch             after listing, print new events as they come (until Ctrl-C)
  --for TYPE/NAME         only the events about this object, e.g. --for pod/web-abc12
  --types T[,T]           only events of these types: Normal, Warning
  --no-headers            omit the header

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  'all-namespaces': { type: 'boolean', short: 'A' },
  watch: { type: 'boolean', short: 'w' },
  for: { type: 'string' },
  types: { type: 'string' },
  'no-headers': { type: 'boolean' },
} as const;

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const session = openSession(values);
    const all = Boolean(values['all-namespaces']);
    const types = values.types
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    for (const t of types ?? [])
      if (t !== 'Normal' && t !== 'Warning')
        throw new UsageError(`valid --types are Normal or Warning, got "${t}"`);
    let fieldSelector: string | undefined;
    if (values.for) {
      const slash = values.for.indexOf('/');
      if (slash <= 0) throw new UsageError(`--for must be in resource/name form, got "${values.for}"`);
      const resource = resolveResourceType(await session.resources(), values.for.slice(0, slash));
      fieldSelector = `involvedObject.kind=${resource.kind},involvedObject.name=${values.for.slice(slash + 1)}`;
    }
    const wanted = (e: KubeObject) => !types || types.includes(String(e.type));
    const namespace = all ? '' : session.namespace;
    const list = await session.client.list('v1', 'Event', { namespace, fieldSelector });
    const events = sortEvents(list.items.filter(wanted));
    const writer = new TabWriter({ ...GET_TABWRITER, rememberWidths: true });
    let headerPrinted = false;
    const print = (items: KubeObject[]) => {
      if (!headerPrinted && !values['no-headers']) writer.write(eventsHeader(all));
      headerPrinted = true;
      const now = new Date();
      for (const e of items) writer.write(eventRow(e, now, all));
      process.stdout.write(writer.flush());
    };
    if (events.length > 0) print(events);
    else if (!values.watch)
      process.stderr.write(
        all ? 'No events found.\n' : `No events found in ${session.namespace} namespace.\n`,
      );
    if (!values.watch) return;

    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    let resourceVersion = list.metadata.resourceVersion;
    while (!stop.signal.aborted) {
      try {
        await session.client.watch(
          'v1',
          'Event',
          { namespace, fieldSelector, resourceVersion, allowWatchBookmarks: true, signal: stop.signal },
          (event) => {
            if (event.type === 'ERROR') throw ApiStatusError.fromStatus(event.object);
            resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
            if ((event.type === 'ADDED' || event.type === 'MODIFIED') && wanted(event.object))
              print([event.object]);
          },
        );
      } catch (err) {
        if (!isResourceExpired(err)) throw err;
        resourceVersion = '';
      }
    }
  });
}

export const eventsCommand: Command = {
  summary: 'List events, oldest first (kubectl events)',
  run,
};
