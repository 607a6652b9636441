/**
 * `kubicle logs`: kubectl's `logs`, read through the `pods/log` subresource (the API server fetches
 * them from the pod's kubelet). A workload (`deploy/web`) stands for its first pod; without `-c` a
 * pod's default container is used, as kubectl picks it.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import { labelSelectorString } from '../../apiserver/table/label-selector-format.js';
import type { Command } from '../command-kit.js';
import { resourcePath } from '../kube-http.js';
import { apiVersionOfResource, resolveResourceType } from '../resource-resolver.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  openSession,
  parseDuration,
  parseVerbArgs,
  runVerb,
} from '../verb-kit.js';
import type { VerbSession } from '../verb-kit.js';

const USAGE = `Usage: kubicle logs POD|TYPE/NAME [options]

Print the logs of a container in a pod, as kubectl logs does. TYPE/NAME (e.g. deploy/web) uses the
first pod of that workload.

Options:
  -c, --container NAME    the container (default: the pod's default container)
  -f, --follow            keep streaming new lines
  --tail N                only the last N lines
  -p, --previous          the previous, terminated instance of the container
  --timestamps            prefix each line with its timestamp
  --since DURATION        only lines newer than this (e.g. 5m)

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  container: { type: 'string', short: 'c' },
  follow: { type: 'boolean', short: 'f' },
  tail: { type: 'string' },
  previous: { type: 'boolean', short: 'p' },
  timestamps: { type: 'boolean' },
  since: { type: 'string' },
} as const;

const PODS = { group: '', version: 'v1', name: 'pods', namespaced: true };
const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** The container logs are read from: the asked one, else the only one, else the annotated default, else the first. */
export function chooseContainer(
  pod: KubeObject,
  asked: string | undefined,
): { name: string; notice?: string } {
  if (asked) return { name: asked };
  const spec = (pod.spec ?? {}) as { containers?: { name: string }[] };
  const names = (spec.containers ?? []).map((c) => c.name);
  if (names.length === 0) throw new UsageError(`pod ${pod.metadata.name ?? ''} has no containers`);
  if (names.length === 1) return { name: names[0] };
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const name = annotated && names.includes(annotated) ? annotated : names[0];
  return { name, notice: `Defaulted container "${name}" out of: ${names.join(', ')}` };
}

async function podOf(session: VerbSession, target: string): Promise<KubeObject> {
  const slash = target.indexOf('/');
  if (slash < 0) return session.client.get('v1', 'Pod', session.namespace, target);
  const resource = resolveResourceType(await session.resources(), target.slice(0, slash));
  const name = target.slice(slash + 1);
  if (resource.group === '' && resource.kind === 'Pod')
    return session.client.get('v1', 'Pod', session.namespace, name);
  const owner = await session.client.get(
    apiVersionOfResource(resource),
    resource.kind,
    session.namespace,
    name,
  );
  const selector = labelSelectorString((owner.spec as { selector?: unknown } | undefined)?.selector);
  if (!selector) throw new UsageError(`cannot select the pods of ${target}: it has no selector`);
  const pods = (
    await session.client.list('v1', 'Pod', { namespace: session.namespace, labelSelector: selector })
  ).items;
  pods.sort((a, b) =>
    String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
  );
  if (pods.length === 0) throw new UsageError(`no pods found for ${target}`);
  if (pods.length > 1)
    process.stderr.write(`Found ${pods.length} pods, using pod/${pods[0].metadata.name}\n`);
  return pods[0];
}

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    if (positionals.length === 0)
      throw new UsageError('expected POD or TYPE/NAME, e.g. kubicle logs web-abc12');
    let container = values.container;
    if (positionals.length === 2 && !container) container = positionals[1];
    else if (positionals.length > 1) throw new UsageError(`expected one POD, got ${positionals.join(' ')}`);
    let tailLines: number | undefined;
    if (values.tail !== undefined) {
      tailLines = Number(values.tail);
      if (!Number.isInteger(tailLines))
        throw new UsageError(`invalid argument "${values.tail}" for "--tail" flag`);
    }
    const sinceMs = parseDuration(values.since, '--since');
    const session = openSession(values);
    const pod = await podOf(session, positionals[0]);
    const chosen = chooseContainer(pod, container);
    if (chosen.notice) process.stderr.write(`${chosen.notice}\n`);
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    await session.http.stream(
      resourcePath(PODS, pod.metadata.namespace, pod.metadata.name, 'log'),
      {
        query: {
          container: chosen.name,
          follow: values.follow ? true : undefined,
          previous: values.previous ? true : undefined,
          timestamps: values.timestamps ? true : undefined,
          tailLines: tailLines !== undefined && tailLines >= 0 ? tailLines : undefined,
          sinceSeconds: sinceMs !== undefined ? Math.max(1, Math.ceil(sinceMs / 1000)) : undefined,
        },
        accept: '*/*',
        signal: stop.signal,
      },
      (chunk) => process.stdout.write(chunk),
    );
  });
}

export const logsCommand: Command = {
  summary: 'Print the logs of a container in a pod (kubectl logs)',
  run,
};
