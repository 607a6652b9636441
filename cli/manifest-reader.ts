/**
 * Reading the objects of `-f FILE|DIR|-` as kubectl does: every document of a multi-document YAML
 * or JSON stream, `kind: List` expanded to its items, empty documents skipped. A directory gives its
 * `.json`, `.yaml` and `.yml` files in name order (with `-R`, those of its subdirectories too); `-`
 * is standard input. Errors name the source, in kubectl's words.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../apiserver/api-object.js';
import { isPlainObject } from '../apiserver/api-object.js';
import { UsageError } from './resource-resolver.js';

export interface Manifest {
  object: KubeObject;
  /** The file it came from, or `STDIN`. */
  source: string;
}

const MANIFEST_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

function isList(value: Record<string, unknown>): boolean {
  return typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

function checkObject(value: unknown, source: string): KubeObject {
  if (!isPlainObject(value)) throw new UsageError(`unable to decode "${source}": not a Kubernetes object`);
  if (typeof value.kind !== 'string' || !value.kind)
    throw new UsageError(
      `unable to decode "${source}": Object 'Kind' is missing in '${JSON.stringify(value)}'`,
    );
  if (typeof value.apiVersion !== 'string' || !value.apiVersion)
    throw new UsageError(`unable to decode "${source}": Object 'apiVersion' is missing`);
  if (value.metadata !== undefined && !isPlainObject(value.metadata))
    throw new UsageError(`unable to decode "${source}": metadata must be an object`);
  return { ...value, metadata: (value.metadata as KubeObject['metadata'] | undefined) ?? {} } as KubeObject;
}

/** The objects of one YAML or JSON text. */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      const reason = doc.errors[0].message.split('\n')[0].replace(/:$/, '');
      throw new UsageError(`error parsing ${source}: ${reason}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (isPlainObject(value) && isList(value)) {
      for (const item of value.items as unknown[]) objects.push(checkObject(item, source));
    } else {
      objects.push(checkObject(value, source));
    }
  }
  return objects;
}

/** The files a `-f` path stands for. */
export function manifestFiles(target: string, recursive: boolean): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new UsageError(`the path "${target}" does not exist`);
  }
  if (!stat.isDirectory()) return [target];
  const files: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive) walk(full);
      } else if (MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        files.push(full);
      }
    }
  };
  walk(target);
  return files;
}

export interface ReadManifestOptions {
  recursive?: boolean;
  /** Reads all of standard input; injected so tests need no real stdin. */
  readStdin?: () => string;
}

export function readManifests(targets: readonly string[], options: ReadManifestOptions = {}): Manifest[] {
  if (targets.length === 0) throw new UsageError('must specify one of -f and -k');
  const manifests: Manifest[] = [];
  for (const target of targets) {
    if (/^https?:\/\//.test(target))
      throw new UsageError(`reading manifests from URLs is not supported: ${target}`);
    if (target === '-') {
      const text = (options.readStdin ?? (() => fs.readFileSync(0, 'utf8')))();
      for (const object of parseManifests(text, 'STDIN')) manifests.push({ object, source: 'STDIN' });
      continue;
    }
    for (const file of manifestFiles(target, options.recursive ?? false)) {
      for (const object of parseManifests(fs.readFileSync(file, 'utf8'), file))
        manifests.push({ object, source: file });
    }
  }
  return manifests;
}
