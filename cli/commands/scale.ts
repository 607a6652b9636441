/**
 * `kubicle scale`: kubectl's `scale`, through the scale subresource, so it works for every kind that
 * serves one (Deployments, ReplicaSets). Prints `<kind.group>/<name> scaled`.
 */
import type { Command } from '../command-kit.js';
import { apiVersionOfResource, groupKindOf } from '../resource-resolver.js';
import type { ApiResource } from '../resource-resolver.js';
import {
  SESSION_HELP,
  SESSION_OPTIONS,
  UsageError,
  openSession,
  parseVerbArgs,
  runVerb,
} from '../verb-kit.js';

const USAGE = `Usage: kubicle scale TYPE/NAME | TYPE NAME... | TYPE -l SEL | TYPE --all --replicas N [options]

Set the number of replicas of a Deployment or ReplicaSet, as kubectl scale does.

Options:
  --replicas N            the new number of replicas (required)
  --current-replicas N    only scale if the current number is N
  -l, --selector SEL      scale the objects matching a label selector
  --all                   scale every object of the type in the namespace

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  replicas: { type: 'string' },
  'current-replicas': { type: 'string' },
  selector: { type: 'string', short: 'l' },
  all: { type: 'boolean' },
} as const;

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid argument "${value}" for "${flag}" flag`);
  return Number(value);
}

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    const replicas = count(values.replicas, '--replicas');
    if (replicas === undefined) throw new UsageError('required flag(s) "replicas" not set');
    const current = count(values['current-replicas'], '--current-replicas');
    if (positionals.length === 0) throw new UsageError('required resource not specified');
    const session = openSession(values);
    const targets: { resource: ApiResource; name: string }[] = [];
    for (const { resource, names } of await session.resolve(positionals)) {
      if (!resource.subresources.includes('scale'))
        throw new UsageError(`cannot scale ${resource.name}: the server serves no scale subresource for it`);
      if (names.length > 0) {
        for (const name of names) targets.push({ resource, name });
        continue;
      }
      if (!values.selector && !values.all)
        throw new UsageError('resource(s) were provided, but no name was specified');
      const list = await session.client.list(apiVersionOfResource(resource), resource.kind, {
        namespace: session.namespace,
        labelSelector: values.selector,
      });
      for (const item of list.items) targets.push({ resource, name: item.metadata.name ?? '' });
    }
    if (targets.length === 0) {
      process.stderr.write(`No resources found in ${session.namespace} namespace.\n`);
      return;
    }
    for (const { resource, name } of targets) {
      const apiVersion = apiVersionOfResource(resource);
      if (current !== undefined) {
        const scale = await session.client.get(apiVersion, resource.kind, session.namespace, name, {
          subresource: 'scale',
        });
        const actual = (scale.spec as { replicas?: number } | undefined)?.replicas ?? 0;
        if (actual !== current) throw new UsageError(`Expected replicas to be ${current}, was ${actual}`);
      }
      await session.client.patch(
        apiVersion,
        resource.kind,
        session.namespace,
        name,
        { spec: { replicas } },
        {
          type: 'merge',
          subresource: 'scale',
        },
      );
      process.stdout.write(`${groupKindOf(resource)}/${name} scaled\n`);
    }
  });
}

export const scaleCommand: Command = {
  summary: 'Set the number of replicas of a Deployment or ReplicaSet (kubectl scale)',
  run,
};
