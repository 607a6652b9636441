/**
 * `kubicle apply -f FILE|DIR|-`: kubectl's client-side apply. Each object is created when missing
 * (carrying the last-applied-configuration annotation) or patched with the three-way patch of
 * `three-way-patch.ts`; each prints `<kind.group>/<name> created|configured|unchanged`. A failing
 * object does not stop the others; the command then ends with the last error.
 */
import type { KubeObject } from '../../apiserver/api-object.js';
import { RESOURCES } from '../../apiserver/resource-registry.js';
import { ApiStatusError, isAlreadyExists, isConflict, isNotFound } from '../../machinery/api-status-error.js';
import type { Command } from '../command-kit.js';
import { readManifests } from '../manifest-reader.js';
import type { Manifest } from '../manifest-reader.js';
import { apiVersionOfResource, groupKindOf, groupResourceOf, resourceForKind } from '../resource-resolver.js';
import {
  lastAppliedOf,
  threeWayJsonMergePatch,
  threeWayStrategicMergePatch,
  withLastApplied,
} from '../three-way-patch.js';
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

const USAGE = `Usage: kubicle apply -f FILE|DIR|- [options]

Create or update resources from manifests, as kubectl apply does (client-side): the configuration
applied is kept in the kubectl.kubernetes.io/last-applied-configuration annotation, so fields removed
from a manifest are removed from the object, and fields set by others are kept.

Options:
  -f, --filename PATH     a manifest file, a directory of them, or - for standard input (repeatable)
  -R, --recursive         read directories recursively
  -o, --output name       print only <kind.group>/<name>

${SESSION_HELP}`;

const OPTIONS = {
  ...SESSION_OPTIONS,
  filename: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
  output: { type: 'string', short: 'o' },
} as const;

const MAX_CONFLICT_RETRIES = 5;

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

function modelNameOf(group: string, kind: string): string | undefined {
  return RESOURCES.find((r) => r.group === group && r.kind === kind)?.modelName;
}

/** Wraps a server error with what apply was doing, keeping its reason. */
function during(err: unknown, what: string): unknown {
  if (!(err instanceof ApiStatusError)) return err;
  return new ApiStatusError(err.code, err.reason, `${what}: ${err.message}`, err.details);
}

async function applyOne(session: VerbSession, manifest: Manifest): Promise<[string, ApplyOutcome]> {
  const { object, source } = manifest;
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const name = object.metadata.name;
  const resource = resourceForKind(await session.resources(), apiVersion, kind);
  if (!resource) {
    throw new UsageError(
      `resource mapping not found for name: "${name ?? ''}" namespace: "${object.metadata.namespace ?? ''}" from "${source}": no matches for kind "${kind}" in version "${apiVersion}"`,
    );
  }
  if (!name) {
    if (object.metadata.generateName)
      throw new UsageError(`from ${source}: cannot use generate name with apply`);
    throw new UsageError(
      `error when retrieving current configuration from "${source}": resource name may not be empty`,
    );
  }
  const config: KubeObject = structuredClone(object);
  let namespace: string | undefined;
  if (resource.namespaced) {
    namespace = config.metadata.namespace || session.namespace;
    if (
      session.namespaceExplicit &&
      config.metadata.namespace &&
      config.metadata.namespace !== session.namespace
    ) {
      throw new UsageError(
        `the namespace from the provided object "${config.metadata.namespace}" does not match the namespace "${session.namespace}". You must pass '--namespace=${config.metadata.namespace}' to perform this operation.`,
      );
    }
    config.metadata.namespace = namespace;
  }
  const label = `${groupKindOf(resource)}/${name}`;
  const modified = withLastApplied(config) as KubeObject;
  const version = apiVersionOfResource(resource);

  for (let attempt = 0; ; attempt++) {
    let live: KubeObject;
    try {
      live = await session.client.get(version, kind, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw during(err, `error when retrieving current configuration of "${source}"`);
      try {
        await session.client.create(version, kind, namespace, modified);
        return [label, 'created'];
      } catch (createErr) {
        if (isAlreadyExists(createErr) && attempt < MAX_CONFLICT_RETRIES) continue;
        throw during(createErr, `error when creating "${source}"`);
      }
    }
    const original = lastAppliedOf(live);
    if (!original && attempt === 0) {
      process.stderr.write(
        `Warning: resource ${groupResourceOf(resource)}/${name} is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by kubicle apply. kubicle apply should only be used on resources created declaratively by kubicle apply or kubectl apply. The missing annotation will be patched automatically.\n`,
      );
    }
    const modelName = modelNameOf(resource.group, kind);
    const patch = modelName
      ? threeWayStrategicMergePatch(original, modified, live, modelName)
      : threeWayJsonMergePatch(original, modified, live);
    if (Object.keys(patch).length === 0) return [label, 'unchanged'];
    try {
      await session.client.patch(version, kind, namespace, name, patch, {
        type: modelName ? 'strategic' : 'merge',
      });
      return [label, 'configured'];
    } catch (err) {
      if ((isConflict(err) || isNotFound(err)) && attempt < MAX_CONFLICT_RETRIES) continue;
      throw during(err, `error when applying patch to "${source}"`);
    }
  }
}

async function run(argv: string[]): Promise<void> {
  await runVerb(async () => {
    const { values, positionals } = parseVerbArgs(argv, OPTIONS, USAGE);
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    if (values.output !== undefined && values.output !== 'name')
      throw new UsageError(
        `unable to match a printer suitable for the output format "${values.output}", allowed formats are: name`,
      );
    const manifests = readManifests(values.filename ?? [], { recursive: values.recursive });
    if (manifests.length === 0) throw new UsageError('no objects passed to apply');
    const session = openSession(values);
    const errors: unknown[] = [];
    for (const manifest of manifests) {
      try {
        const [label, outcome] = await applyOne(session, manifest);
        process.stdout.write(values.output === 'name' ? `${label}\n` : `${label} ${outcome}\n`);
      } catch (err) {
        errors.push(err);
      }
    }
    for (const err of errors.slice(0, -1)) process.stderr.write(`${errorLine(err)}\n`);
    if (errors.length > 0) throw errors[errors.length - 1];
  });
}

export const applyCommand: Command = {
  summary: 'Create or update resources from manifests (kubectl apply)',
  run,
};
