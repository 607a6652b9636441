/**
 * `kubicle delete`: kubectl's `delete` — by `TYPE NAME...`, `TYPE/NAME`, `-f`, `-l` or `--all`, with
 * the cascade policy kubectl offers (background by default), printing `<kind.group> "<name>" deleted`
 * and, as kubectl does by default, waiting until the objects are gone.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import { isNotFound } from '../../machinery/api-status-error.js';
import type { DeleteOptions } from '../../machinery/api-client.js';
import type { Command } from '../command-kit.js';
import { readManifests } from '../manifest-reader.js';
import { apiVersionOfResource, groupKindOf, resourceForKind } from '../resource-resolver.js';
import type { ApiResource } from '../resource-resolver.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  errorLine,
  normalizeBooleanFlags,
  openSession,
  parseDuration,
  parseVerbArgs,
  runVerb,
  sleep,
} from '../verb-kit.js';
import type { VerbSession } from '../verb-kit.js';

const USAGE = `Usage: kubicle delete (TYPE NAME... | TYPE/NAME... | -f FILE | TYPE -l SEL | TYPE --all) [options]

Delete resources, as kubectl delete does, and wait until they are gone.

Options:
  -f, --filename PATH     delete the objects of a manifest file, directory or - (repeatable)
  -R, --recursive         read directories recursively
  -l, --selector SEL      delete the objects matching a label selector
  --all                   delete every object of the type in the namespace
  -A, --all-namespaces    with -l or --all, across all namespaces
  --cascade=MODE          background (default), foreground or orphan
  --wait=false            do not wait until the objects are gone
  --timeout DURATION      give up waiting after this long (e.g. 60s; default: no limit)
  --grace-period N        seconds the pods get to stop (default: their own)
  --now                   --grace-period=1
  --force                 with --grace-period=0: remove at once without waiting for the kubelet
  --ignore-not-found      treat missing objects as deleted

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  filename: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
  selector: { type: 'string', short: 'l' },
  all: { type: 'boolean' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  cascade: { type: 'string' },
  wait: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  'grace-period': { type: 'string' },
  now: { type: 'boolean' },
  force: { type: 'boolean' },
  'ignore-not-found': { type: 'boolean' },
  'no-ignore-not-found': { type: 'boolean' },
} as const;

interface Target {
  resource: ApiResource;
  namespace: string | undefined;
  name: string;
}

export function cascadePolicy(value: string | undefined): DeleteOptions['propagationPolicy'] {
  switch (value ?? 'background') {
    case 'background':
    case 'true':
      return 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
    case 'false':
      return 'Orphan';
    default:
      throw new UsageError(
        `invalid cascade value (${value}). Must be "background", "foreground", or "orphan".`,
      );
  }
}

async function targetsOf(session: VerbSession, values: Record<string, unknown>, positionals: string[]) {
  const targets: Target[] = [];
  const filenames = (values.filename as string[] | undefined) ?? [];
  const selector = values.selector as string | undefined;
  const all = Boolean(values.all);
  const allNamespaces = Boolean(values['all-namespaces']);
  if (filenames.length > 0) {
    if (positionals.length > 0) throw new UsageError('resource names cannot be given with -f');
    for (const { object, source } of readManifests(filenames, { recursive: Boolean(values.recursive) })) {
      const resource = resourceForKind(
        await session.resources(),
        String(object.apiVersion),
        String(object.kind),
      );
      if (!resource)
        throw new UsageError(
          `resource mapping not found for name: "${object.metadata.name ?? ''}" from "${source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"`,
        );
      const namespace = resource.namespaced ? object.metadata.namespace || session.namespace : undefined;
      targets.push({ resource, namespace, name: object.metadata.name ?? '' });
    }
    return { targets, listed: false };
  }
  if (positionals.length === 0)
    throw new UsageError('You must provide one or more resources by argument or filename.');
  const requests = await session.resolve(positionals);
  let listed = false;
  for (const { resource, names } of requests) {
    const namespace = resource.namespaced ? session.namespace : undefined;
    if (names.length > 0) {
      if (selector || all)
        throw new UsageError('name cannot be provided when a selector or --all is specified');
      for (const name of names) targets.push({ resource, namespace, name });
      continue;
    }
    if (!selector && !all)
      throw new UsageError(
        `resource(s) were provided, but no name was specified (use --all to delete every ${resource.name} or -l to select some)`,
      );
    listed = true;
    const list = await session.client.list(apiVersionOfResource(resource), resource.kind, {
      namespace: allNamespaces ? '' : (namespace ?? ''),
      labelSelector: selector,
    });
    for (const item of list.items) {
      targets.push({
        resource,
        namespace: resource.namespaced ? item.metadata.namespace : undefined,
        name: item.metadata.name ?? '',
      });
    }
  }
  return { targets, listed };
}

async function waitUntilGone(
  session: VerbSession,
  deleted: { target: Target; uid: string | undefined }[],
  timeoutMs: number | undefined,
): Promise<void> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  let pending = deleted;
  let delay = 100;
  while (pending.length > 0) {
    const still: typeof pending = [];
    for (const entry of pending) {
      const { resource, namespace, name } = entry.target;
      try {
        const live = await session.client.get(apiVersionOfResource(resource), resource.kind, namespace, name);
        // Same name, another object: the one deleted is gone.
        if (!entry.uid || live.metadata.uid === entry.uid) still.push(entry);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    pending = still;
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const first = pending[0].target;
      throw new UsageError(`timed out waiting for the condition on ${first.resource.name}/${first.name}`);
    }
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 1000);
  }
}

async function run(argv: string[]): Promise<void> {
  const args = normalizeBooleanFlags(argv, ['wait', 'ignore-not-found']).map((a) =>
    a === '--cascade' ? '--cascade=background' : a,
  );
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(args, OPTIONS, USAGE);
    const propagationPolicy = cascadePolicy(values.cascade);
    const wait = !values['no-wait'];
    const timeoutMs = parseDuration(values.timeout, '--timeout') || undefined;
    let gracePeriodSeconds: number | undefined;
    if (values['grace-period'] !== undefined) {
      gracePeriodSeconds = Number(values['grace-period']);
      if (!Number.isInteger(gracePeriodSeconds))
        throw new UsageError(`invalid argument "${values['grace-period']}" for "--grace-period" flag`);
    }
    if (values.now) gracePeriodSeconds = 1;
    if (gracePeriodSeconds === 0 && !values.force)
      throw new UsageError('--grace-period=0 must have --force specified');
    if (values.force) {
      gracePeriodSeconds ??= 0;
      if (gracePeriodSeconds === 0)
        process.stderr.write(
          'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
        );
    }
    const session = openSession(values);
    const { targets, listed } = await targetsOf(session, values, positionals);
    if (targets.length === 0) {
      if (listed) process.stderr.write('No resources found\n');
      return;
    }
    const errors: unknown[] = [];
    const deleted: { target: Target; uid: string | undefined }[] = [];
    for (const target of targets) {
      const { resource, namespace, name } = target;
      try {
        const result = (await session.client.delete(
          apiVersionOfResource(resource),
          resource.kind,
          namespace,
          name,
          {
            propagationPolicy,
            gracePeriodSeconds,
          },
        )) as KubeObject & { details?: { uid?: string } };
        const uid = result.kind === 'Status' ? result.details?.uid : result.metadata?.uid;
        const forced = gracePeriodSeconds === 0 ? 'force deleted' : 'deleted';
        process.stdout.write(`${groupKindOf(resource)} "${name}" ${forced}\n`);
        deleted.push({ target, uid });
      } catch (err) {
        if (isNotFound(err) && values['ignore-not-found']) continue;
        errors.push(err);
      }
    }
    if (wait && deleted.length > 0) await waitUntilGone(session, deleted, timeoutMs);
    for (const err of errors.slice(0, -1)) process.stderr.write(`${errorLine(err)}\n`);
    if (errors.length > 0) throw errors[errors.length - 1];
  });
}

export const deleteCommand: Command = {
  summary: 'Delete resources by name, manifest, label selector or --all (kubectl delete)',
  run,
};
