/**
 * `kubicle rollout status|history|undo|restart|pause|resume`: kubectl's `rollout` for Deployments
 * (and DaemonSets where the API server serves what kubectl needs: status and restart). Revisions are
 * those of the Deployment's ReplicaSets (`deployment.kubernetes.io/revision`); undo puts a revision's
 * pod template back; restart stamps `kubectl.kubernetes.io/restartedAt` on the pod template.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import type { Command } from '../command-kit.js';
import { describePodTemplate } from '../describers.js';
import { apiVersionOfResource, groupKindOf } from '../resource-resolver.js';
import type { ApiResource } from '../resource-resolver.js';
import {
  daemonSetRolloutStatus,
  deploymentHistory,
  deploymentRolloutStatus,
  formatHistory,
  planRollback,
  restartPatch,
} from '../rollout-logic.js';
import type { RolloutStatus } from '../rollout-logic.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  normalizeBooleanFlags,
  openSession,
  parseDuration,
  parseVerbArgs,
  runVerb,
} from '../verb-kit.js';
import type { VerbSession } from '../verb-kit.js';

const USAGE = `Usage: kubicle rollout SUBCOMMAND TYPE/NAME | TYPE NAME [options]

Manage the rollout of Deployments, as kubectl rollout does.

Subcommands:
  status                  wait until the rollout finishes, printing its progress
  history                 list the revisions (--revision N shows one's pod template)
  undo                    go back to the previous revision (or --to-revision N)
  restart                 restart every pod, one rollout step at a time
  pause, resume           stop and restart acting on template changes

Options:
  --timeout DURATION      status: give up after this long (default: wait until done)
  --watch=false           status: print the current status once
  --revision N            history: show this revision's pod template
  --to-revision N         undo: the revision to go back to (default: the previous one)

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  timeout: { type: 'string' },
  watch: { type: 'boolean', short: 'w' },
  'no-watch': { type: 'boolean' },
  revision: { type: 'string' },
  'to-revision': { type: 'string' },
} as const;

type Target = { resource: ApiResource; name: string };

function isDeployment(r: ApiResource): boolean {
  return r.group === 'apps' && r.kind === 'Deployment';
}

function isDaemonSet(r: ApiResource): boolean {
  return r.group === 'apps' && r.kind === 'DaemonSet';
}

function revisionFlag(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid argument "${value}" for "${flag}" flag`);
  return Number(value);
}

async function get(session: VerbSession, { resource, name }: Target): Promise<KubeObject> {
  return session.client.get(apiVersionOfResource(resource), resource.kind, session.namespace, name);
}

async function replicaSetsOf(session: VerbSession): Promise<KubeObject[]> {
  return (await session.client.list('apps/v1', 'ReplicaSet', { namespace: session.namespace })).items;
}

async function status(
  session: VerbSession,
  target: Target,
  watch: boolean,
  timeoutMs?: number,
): Promise<void> {
  const { resource, name } = target;
  const viewer = isDeployment(resource)
    ? deploymentRolloutStatus
    : isDaemonSet(resource)
      ? daemonSetRolloutStatus
      : undefined;
  if (!viewer) throw new UsageError(`no status viewer has been implemented for ${resource.kind}`);
  const stop = new AbortController();
  let timedOut = false;
  const timer = timeoutMs ? setTimeout(() => ((timedOut = true), stop.abort()), timeoutMs) : undefined;
  let last = '';
  let result: RolloutStatus | undefined;
  const show = (obj: KubeObject): boolean => {
    result = viewer(obj);
    if (result.error) return true;
    if (result.message && result.message !== last) process.stdout.write(`${result.message}\n`);
    last = result.message;
    return result.done;
  };
  try {
    while (!stop.signal.aborted) {
      const obj = await get(session, target);
      if (show(obj) || !watch) break;
      await session.client.watch(
        apiVersionOfResource(resource),
        resource.kind,
        {
          namespace: session.namespace,
          fieldSelector: `metadata.name=${name}`,
          resourceVersion: obj.metadata.resourceVersion,
          timeoutSeconds: 300,
          signal: stop.signal,
        },
        (event) => {
          if (event.type === 'DELETED') throw new UsageError(`object has been deleted`);
          if ((event.type === 'ADDED' || event.type === 'MODIFIED') && show(event.object)) stop.abort();
        },
      );
      if (result?.done || result?.error) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (result?.error) throw new UsageError(result.error);
  if (timedOut && !result?.done) throw new UsageError('timed out waiting for the condition');
}

async function history(session: VerbSession, target: Target, revision: number): Promise<void> {
  if (!isDeployment(target.resource))
    throw new UsageError(`no history viewer has been implemented for ${target.resource.kind}`);
  const deployment = await get(session, target);
  const entries = deploymentHistory(deployment, await replicaSetsOf(session));
  const label = `${groupKindOf(target.resource)}/${target.name}`;
  if (revision > 0) {
    const entry = entries.find((e) => e.revision === revision);
    if (!entry) throw new UsageError(`unable to find the specified revision`);
    process.stdout.write(`${label} with revision #${revision}\n${describePodTemplate(entry.template)}\n`);
    return;
  }
  process.stdout.write(formatHistory(label, entries));
}

async function undo(session: VerbSession, target: Target, toRevision: number): Promise<void> {
  if (!isDeployment(target.resource))
    throw new UsageError(`no rollbacker has been implemented for ${target.resource.kind}`);
  const deployment = await get(session, target);
  const plan = planRollback(deployment, await replicaSetsOf(session), toRevision);
  const label = `${groupKindOf(target.resource)}/${target.name}`;
  if (plan.action === 'skip') {
    process.stdout.write(
      `${label} skipped rollback (current template already matches revision ${plan.revision})\n`,
    );
    return;
  }
  await session.client.patch('apps/v1', 'Deployment', session.namespace, target.name, plan.patch, {
    type: 'json',
  });
  process.stdout.write(`${label} rolled back\n`);
}

async function restart(session: VerbSession, target: Target): Promise<void> {
  const { resource, name } = target;
  if (!isDeployment(resource) && !isDaemonSet(resource))
    throw new UsageError(`restarting is not supported for ${resource.kind}`);
  const obj = await get(session, target);
  if ((obj.spec as { paused?: boolean } | undefined)?.paused)
    throw new UsageError("can't restart paused deployment (run rollout resume first)");
  await session.client.patch(
    apiVersionOfResource(resource),
    resource.kind,
    session.namespace,
    name,
    restartPatch(new Date()),
    {
      type: 'strategic',
    },
  );
  process.stdout.write(`${groupKindOf(resource)}/${name} restarted\n`);
}

async function pauseOrResume(session: VerbSession, target: Target, paused: boolean): Promise<void> {
  const { resource, name } = target;
  if (!isDeployment(resource))
    throw new UsageError(`${paused ? 'pausing' : 'resuming'} is not supported for ${resource.kind}`);
  const obj = await get(session, target);
  const label = `${groupKindOf(resource)}/${name}`;
  const verb = paused ? 'paused' : 'resumed';
  if (Boolean((obj.spec as { paused?: boolean } | undefined)?.paused) === paused) {
    throw new UsageError(paused ? `${label} is already paused` : `${label} is not paused`);
  }
  await session.client.patch(
    'apps/v1',
    'Deployment',
    session.namespace,
    name,
    { spec: { paused: paused ? true : null } },
    {
      type: 'strategic',
    },
  );
  process.stdout.write(`${label} ${verb}\n`);
}

const SUBCOMMANDS = ['status', 'history', 'undo', 'restart', 'pause', 'resume'];

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    if (!SUBCOMMANDS.includes(sub))
      throw new UsageError(`unknown rollout subcommand "${sub}": expected one of ${SUBCOMMANDS.join(', ')}`);
    const { values, positionals } = parseVerbArgs(normalizeBooleanFlags(rest, ['watch']), OPTIONS, USAGE);
    if (positionals.length === 0) throw new UsageError('required resource not specified');
    const timeoutMs = parseDuration(values.timeout, '--timeout') || undefined;
    const session = openSession(values);
    const targets: Target[] = [];
    for (const { resource, names } of await session.resolve(positionals)) {
      if (names.length === 0) throw new UsageError(`a name is required: e.g. ${resource.name}/NAME`);
      for (const name of names) targets.push({ resource, name });
    }
    for (const target of targets) {
      if (sub === 'status') await status(session, target, !values['no-watch'], timeoutMs);
      else if (sub === 'history') await history(session, target, revisionFlag(values.revision, '--revision'));
      else if (sub === 'undo')
        await undo(session, target, revisionFlag(values['to-revision'], '--to-revision'));
      else if (sub === 'restart') await restart(session, target);
      else await pauseOrResume(session, target, sub === 'pause');
    }
  });
}

export const rolloutCommand: Command = {
  summary: 'Manage rollouts: status, history, undo, restart, pause, resume (kubectl rollout)',
  run,
};
