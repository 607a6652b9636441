/**
 * `kubicle describe`: kubectl's `describe`. Gathers what each description shows besides the object
 * (its events, a Deployment's ReplicaSets, a node's pods and lease, ...) and prints the texts of
 * `describers.ts`. As kubectl does, a name that matches nothing exactly describes every object whose
 * name starts with it.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import { labelSelectorString } from '../../apiserver/table/label-selector-format.js';
import { isNotFound } from '../../machinery/api-status-error.js';
import type { Command } from '../command-kit.js';
import {
  describeDeployment,
  describeGeneric,
  describeNode,
  describePod,
  describeReplicaSet,
  describeService,
} from '../describers.js';
import { apiVersionOfResource, groupResourceOf } from '../resource-resolver.js';
import type { ApiResource } from '../resource-resolver.js';
import { ApiStatusError } from '../../machinery/api-status-error.js';
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

const USAGE = `Usage: kubicle describe TYPE [NAME_PREFIX...] | TYPE/NAME... [options]

Show details of resources and their recent events, as kubectl describe does. Pods, deployments,
replicasets, services and nodes have their own layout; other kinds list their fields.

Options:
  -l, --selector SEL      describe the objects matching a label selector
  -A, --all-namespaces    across all namespaces

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  selector: { type: 'string', short: 'l' },
  'all-namespaces': { type: 'boolean', short: 'A' },
} as const;

async function eventsFor(
  session: VerbSession,
  obj: KubeObject,
  resource: ApiResource,
): Promise<KubeObject[]> {
  const selectors = [
    `involvedObject.name=${obj.metadata.name ?? ''}`,
    `involvedObject.namespace=${obj.metadata.namespace ?? ''}`,
    `involvedObject.kind=${resource.kind}`,
  ];
  // Node events carry the node's name as uid when the kubelet writes them: match nodes by name only.
  if (resource.namespaced && obj.metadata.uid) selectors.push(`involvedObject.uid=${obj.metadata.uid}`);
  try {
    const events = await session.client.list('v1', 'Event', {
      namespace: resource.namespaced ? (obj.metadata.namespace ?? '') : '',
      fieldSelector: selectors.join(','),
    });
    return events.items;
  } catch {
    return [];
  }
}

async function describeOne(session: VerbSession, resource: ApiResource, obj: KubeObject): Promise<string> {
  const now = new Date();
  const events = await eventsFor(session, obj, resource);
  const namespace = obj.metadata.namespace ?? '';
  const key = `${resource.group}/${resource.kind}`;
  switch (key) {
    case '/Pod':
      return describePod(obj, { now, events });
    case 'apps/Deployment': {
      const replicaSets = await session.client.list('apps/v1', 'ReplicaSet', { namespace });
      return describeDeployment(obj, { now, events, replicaSets: replicaSets.items });
    }
    case 'apps/ReplicaSet': {
      const selector = labelSelectorString((obj.spec as { selector?: unknown } | undefined)?.selector);
      const pods = selector
        ? (await session.client.list('v1', 'Pod', { namespace, labelSelector: selector })).items
        : [];
      return describeReplicaSet(obj, { now, events, pods });
    }
    case '/Service': {
      let endpoints: KubeObject | undefined;
      try {
        endpoints = await session.client.get('v1', 'Endpoints', namespace, obj.metadata.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return describeService(obj, { now, events, endpoints });
    }
    case '/Node': {
      const name = obj.metadata.name ?? '';
      const pods = await session.client.list('v1', 'Pod', {
        namespace: '',
        fieldSelector: `spec.nodeName=${name},status.phase!=Succeeded,status.phase!=Failed`,
      });
      let lease: KubeObject | undefined;
      try {
        lease = await session.client.get('coordination.k8s.io/v1', 'Lease', 'kube-node-lease', name);
      } catch {
        lease = undefined;
      }
      return describeNode(obj, { now, events, pods: pods.items, lease });
    }
    default:
      return describeGeneric(obj, { now, events });
  }
}

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    if (positionals.length === 0)
      throw new UsageError('You must specify the type of resource to describe, e.g. kubicle describe pods');
    const session = openSession(values);
    const all = Boolean(values['all-namespaces']);
    const requests = await session.resolve(positionals);
    const found: { resource: ApiResource; obj: KubeObject }[] = [];
    const errors: unknown[] = [];
    for (const { resource, names } of requests) {
      const apiVersion = apiVersionOfResource(resource);
      const namespace = resource.namespaced ? session.namespace : undefined;
      const listAll = () =>
        session.client.list(apiVersion, resource.kind, {
          namespace: all ? '' : (namespace ?? ''),
          labelSelector: values.selector,
        });
      if (names.length === 0) {
        for (const obj of (await listAll()).items) found.push({ resource, obj });
        continue;
      }
      for (const name of names) {
        try {
          found.push({ resource, obj: await session.client.get(apiVersion, resource.kind, namespace, name) });
        } catch (err) {
          if (!isNotFound(err)) throw err;
          const matches = (await listAll()).items.filter((o) => (o.metadata.name ?? '').startsWith(name));
          if (matches.length === 0) {
            errors.push(
              new ApiStatusError(404, 'NotFound', `${groupResourceOf(resource)} "${name}" not found`),
            );
          }
          for (const obj of matches) found.push({ resource, obj });
        }
      }
    }
    const texts: string[] = [];
    for (const { resource, obj } of found) texts.push(await describeOne(session, resource, obj));
    if (texts.length > 0) process.stdout.write(texts.join('\n\n'));
    if (found.length === 0 && errors.length === 0) {
      const namespaced = requests.some((r) => r.resource.namespaced);
      process.stderr.write(
        namespaced && !all
          ? `No resources found in ${session.namespace} namespace.\n`
          : 'No resources found\n',
      );
    }
    for (const err of errors.slice(0, -1)) process.stderr.write(`${errorLine(err)}\n`);
    if (errors.length > 0) throw errors[errors.length - 1];
  });
}

export const describeCommand: Command = {
  summary: 'Show details of resources and their events (kubectl describe)',
  run,
};
