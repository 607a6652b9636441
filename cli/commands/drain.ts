/**
 * `kubicle drain NODE`: kubectl's `drain` — cordon the node, then evict its pods through the
 * `pods/<name>/eviction` subresource (retrying while a disruption budget refuses with 429), and wait
 * until each is gone. Which pods may go is decided by `drain-plan.ts`, with kubectl's flags and
 * messages. The node stays cordoned if draining fails.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import { ApiStatusError, isNotFound } from '../../machinery/api-status-error.js';
import type { Command } from '../command-kit.js';
import { daemonSetsNamed, planDrain } from '../drain-plan.js';
import { setUnschedulable } from '../node-cordon.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  openSession,
  parseDuration,
  parseVerbArgs,
  runVerb,
  sleep,
} from '../verb-kit.js';
import type { VerbSession } from '../verb-kit.js';

const USAGE = `Usage: kubicle drain NODE [options]

Prepare a node for maintenance, as kubectl drain does: mark it unschedulable, then evict its pods
(their controllers recreate them elsewhere) and wait until they are gone.

Options:
  --ignore-daemonsets     leave DaemonSet-managed pods (they would come back at once)
  --delete-emptydir-data  also evict pods using emptyDir volumes (their data is lost)
  --force                 also evict pods that no controller manages (they are not recreated)
  --timeout DURATION      give up after this long (default: no limit)
  --grace-period N        seconds each pod gets to stop (default: its own)
  --pod-selector SEL      only evict the pods matching this label selector
  --disable-eviction      delete the pods instead of evicting them (bypasses disruption budgets)

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  'ignore-daemonsets': { type: 'boolean' },
  'delete-emptydir-data': { type: 'boolean' },
  'delete-local-data': { type: 'boolean' },
  force: { type: 'boolean' },
  timeout: { type: 'string' },
  'grace-period': { type: 'string' },
  'pod-selector': { type: 'string' },
  'disable-eviction': { type: 'boolean' },
} as const;

const EVICTION_RETRY_MS = 5_000;

class TimeoutError extends Error {}

async function evictAndWait(
  session: VerbSession,
  pod: KubeObject,
  options: { gracePeriodSeconds?: number; disableEviction: boolean; signal: AbortSignal },
): Promise<void> {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const deleteOptions =
    options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds };
  for (;;) {
    if (options.signal.aborted) throw new TimeoutError();
    try {
      if (options.disableEviction) {
        await session.client.delete('v1', 'Pod', namespace, name, deleteOptions);
      } else {
        await session.client.create(
          'v1',
          'Pod',
          namespace,
          { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions },
          { subresource: 'eviction', name },
        );
      }
      break;
    } catch (err) {
      if (isNotFound(err)) return;
      if (err instanceof ApiStatusError && err.code === 429) {
        process.stderr.write(
          `error when evicting pods/"${name}" -n "${namespace}" (will retry after 5s): ${err.message}\n`,
        );
        await sleep(EVICTION_RETRY_MS, options.signal);
        continue;
      }
      throw new Error(
        `error when evicting pods/"${name}" -n "${namespace}": ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  for (let delay = 250; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const live = await session.client.get('v1', 'Pod', namespace, name);
      if (live.metadata.uid !== pod.metadata.uid) break;
    } catch (err) {
      if (isNotFound(err)) break;
      throw err;
    }
    if (options.signal.aborted) throw new TimeoutError();
    await sleep(delay, options.signal);
  }
  process.stdout.write(`pod/${name} ${options.disableEviction ? 'deleted' : 'evicted'}\n`);
}

async function drainNode(
  session: VerbSession,
  nodeName: string,
  values: Record<string, unknown>,
): Promise<void> {
  process.stdout.write(`${await setUnschedulable(session, nodeName, true)}\n`);
  const pods = (
    await session.client.list('v1', 'Pod', {
      namespace: '',
      fieldSelector: `spec.nodeName=${nodeName}`,
      labelSelector: values['pod-selector'] as string | undefined,
    })
  ).items;
  const missing = new Set<string>();
  for (const id of daemonSetsNamed(pods)) {
    const [namespace, name] = id.split('/');
    try {
      await session.client.get('apps/v1', 'DaemonSet', namespace, name);
    } catch (err) {
      if (isNotFound(err)) missing.add(id);
      else throw err;
    }
  }
  const plan = planDrain(
    pods,
    {
      ignoreDaemonSets: Boolean(values['ignore-daemonsets']),
      deleteEmptyDirData: Boolean(values['delete-emptydir-data'] || values['delete-local-data']),
      force: Boolean(values.force),
    },
    missing,
  );
  const reasons = plan.errors.length === 1 ? plan.errors[0] : `[${plan.errors.join(', ')}]`;
  if (plan.errors.length > 0)
    throw new UsageError(`unable to drain node "${nodeName}" due to error: ${reasons}`);
  if (plan.warnings) process.stderr.write(`Warning: ${plan.warnings}\n`);

  let gracePeriodSeconds: number | undefined;
  if (values['grace-period'] !== undefined && Number(values['grace-period']) >= 0)
    gracePeriodSeconds = Number(values['grace-period']);
  const timeoutMs = parseDuration(values.timeout as string | undefined, '--timeout') || undefined;
  const deadline = new AbortController();
  const timer = timeoutMs ? setTimeout(() => deadline.abort(), timeoutMs) : undefined;
  try {
    for (const pod of plan.evict)
      process.stdout.write(`evicting pod ${pod.metadata.namespace}/${pod.metadata.name}\n`);
    const results = await Promise.allSettled(
      plan.evict.map((pod) =>
        evictAndWait(session, pod, {
          gracePeriodSeconds,
          disableEviction: Boolean(values['disable-eviction']),
          signal: deadline.signal,
        }),
      ),
    );
    const failures = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason);
    if (failures.some((f) => f instanceof TimeoutError))
      throw new UsageError(
        `unable to drain node "${nodeName}" due to error: global timeout reached: ${values.timeout}`,
      );
    if (failures.length > 0) {
      const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
      throw new UsageError(`unable to drain node "${nodeName}" due to error: ${messages.join(', ')}`);
    }
  } finally {
    clearTimeout(timer);
  }
  process.stdout.write(`node/${nodeName} drained\n`);
}

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    if (positionals.length === 0) throw new UsageError('USAGE: drain NODE [flags]');
    const session = openSession(values);
    for (const node of positionals) await drainNode(session, node, values);
  });
}

export const drainCommand: Command = {
  summary: 'Cordon a node and evict its pods (kubectl drain)',
  run,
};
