/**
 * Pod volume rules: unique DNS-label names, exactly one source per volume (upstream's check order, so
 * the "more than 1 volume type" error lands on the same field), and the per-source required fields,
 * file modes and relative item paths. Returns the names that validated, which is what mounts may use.
 */
import { child, fieldError, index, type FieldCause, invalidFor } from './field-error.js';
import { isPresent, numberAt, objectAt, objectsAt, stringAt, type JsonObject } from './json-shape.js';
import { isDNS1123Label } from './name-rules.js';
import { VOLUME_SOURCES } from './pod-defaults.js';
import { QUANTITY_FORMAT_ERROR, parseQuantity, quantityText } from './quantity.js';

type Errs = FieldCause[];

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

function validateFileMode(mode: unknown, field: string): Errs {
  const value = numberAt(mode);
  return value !== undefined && (value < 0 || value > 0o777)
    ? [fieldError.invalid(field, value, FILE_MODE_ERROR)]
    : [];
}

/** Paths of projected files: relative, and never climbing out with `..`. */
export function validateLocalPath(path: string, field: string): Errs {
  const errs: Errs = [];
  if (path.startsWith('/')) errs.push(fieldError.invalid(field, path, 'must be a relative path'));
  if (path.split('/').includes('..')) errs.push(fieldError.invalid(field, path, "must not contain '..'"));
  else if (path.startsWith('..')) errs.push(fieldError.invalid(field, path, "must not start with '..'"));
  return errs;
}

function validateKeyToPaths(items: unknown, field: string): Errs {
  const errs: Errs = [];
  objectsAt(items).forEach((item, i) => {
    const itemPath = index(field, i);
    if (!stringAt(item.key)) errs.push(fieldError.required(child(itemPath, 'key')));
    const path = stringAt(item.path);
    if (!path) errs.push(fieldError.required(child(itemPath, 'path')));
    errs.push(...validateLocalPath(path, child(itemPath, 'path')));
    errs.push(...validateFileMode(item.mode, child(itemPath, 'mode')));
  });
  return errs;
}

function validateDownwardAPIItems(items: unknown, field: string): Errs {
  const errs: Errs = [];
  objectsAt(items).forEach((item, i) => {
    const itemPath = index(field, i);
    const path = stringAt(item.path);
    if (!path) errs.push(fieldError.required(child(itemPath, 'path')));
    errs.push(...validateLocalPath(path, child(itemPath, 'path')));
    errs.push(...validateFileMode(item.mode, child(itemPath, 'mode')));
    const sources = ['fieldRef', 'resourceFieldRef'].filter((s) => isPresent(item[s]));
    if (sources.length > 1) {
      errs.push(
        fieldError.invalid(
          itemPath,
          'resource',
          'fieldRef and resourceFieldRef can not be specified simultaneously',
        ),
      );
    } else if (sources.length === 0) {
      errs.push(fieldError.required(itemPath, 'one of fieldRef and resourceFieldRef is required'));
    }
  });
  return errs;
}

function validateProjectedSources(sources: unknown, field: string): Errs {
  const errs: Errs = [];
  objectsAt(sources).forEach((source, i) => {
    const sourcePath = index(field, i);
    const kinds = ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle'];
    let count = 0;
    for (const kind of kinds) {
      const projection = objectAt(source[kind]);
      if (!projection) continue;
      count++;
      const projectionPath = child(sourcePath, kind);
      if (count > 1) {
        errs.push(fieldError.forbidden(projectionPath, 'may not specify more than 1 volume type per source'));
        continue;
      }
      if (kind === 'secret' || kind === 'configMap') {
        if (!stringAt(projection.name)) errs.push(fieldError.required(child(projectionPath, 'name')));
        errs.push(...validateKeyToPaths(projection.items, child(projectionPath, 'items')));
      } else if (kind === 'downwardAPI') {
        errs.push(...validateDownwardAPIItems(projection.items, child(projectionPath, 'items')));
      } else if (kind === 'serviceAccountToken') {
        const seconds = numberAt(projection.expirationSeconds) ?? 3600;
        const secondsPath = child(projectionPath, 'expirationSeconds');
        if (seconds < 600) {
          errs.push(
            fieldError.invalid(secondsPath, seconds, 'may not specify a duration less than 10 minutes'),
          );
        }
        if (seconds > 2 ** 32) {
          errs.push(
            fieldError.invalid(secondsPath, seconds, 'may not specify a duration larger than 2^32 seconds'),
          );
        }
        if (!stringAt(projection.path)) errs.push(fieldError.required(child(projectionPath, 'path')));
        else errs.push(...validateLocalPath(stringAt(projection.path), child(projectionPath, 'path')));
      }
    }
    if (count === 0) errs.push(fieldError.required(sourcePath, 'must specify exactly 1 volume type'));
  });
  return errs;
}

function validateVolumeSourceDetails(kind: string, source: JsonObject, field: string): Errs {
  const errs: Errs = [];
  switch (kind) {
    case 'hostPath': {
      if (!stringAt(source.path)) errs.push(fieldError.required(child(field, 'path')));
      const type = source.type === undefined || source.type === null ? '' : stringAt(source.type);
      if (!HOST_PATH_TYPES.includes(type)) {
        errs.push(fieldError.notSupported(child(field, 'type'), type, HOST_PATH_TYPES));
      }
      break;
    }
    case 'emptyDir':
      if (isPresent(source.sizeLimit)) {
        const size = parseQuantity(source.sizeLimit);
        if (size === undefined) {
          errs.push(
            fieldError.invalid(
              child(field, 'sizeLimit'),
              quantityText(source.sizeLimit) ?? '',
              QUANTITY_FORMAT_ERROR,
            ),
          );
        } else if (size < 0n) {
          errs.push(
            fieldError.forbidden(
              child(field, 'sizeLimit'),
              'SizeLimit field must be a valid resource quantity',
            ),
          );
        }
      }
      break;
    case 'secret':
      if (!stringAt(source.secretName)) errs.push(fieldError.required(child(field, 'secretName')));
      errs.push(...validateFileMode(source.defaultMode, child(field, 'defaultMode')));
      errs.push(...validateKeyToPaths(source.items, child(field, 'items')));
      break;
    case 'configMap':
      if (!stringAt(source.name)) errs.push(fieldError.required(child(field, 'name')));
      errs.push(...validateFileMode(source.defaultMode, child(field, 'defaultMode')));
      errs.push(...validateKeyToPaths(source.items, child(field, 'items')));
      break;
    case 'persistentVolumeClaim':
      if (!stringAt(source.claimName)) errs.push(fieldError.required(child(field, 'claimName')));
      break;
    case 'nfs':
      if (!stringAt(source.server)) errs.push(fieldError.required(child(field, 'server')));
      if (!stringAt(source.path)) errs.push(fieldError.required(child(field, 'path')));
      else if (!stringAt(source.path).startsWith('/')) {
        errs.push(
          fieldError.invalid(child(field, 'path'), stringAt(source.path), 'must be an absolute path'),
        );
      }
      break;
    case 'downwardAPI':
      errs.push(...validateFileMode(source.defaultMode, child(field, 'defaultMode')));
      errs.push(...validateDownwardAPIItems(source.items, child(field, 'items')));
      break;
    case 'projected':
      errs.push(...validateFileMode(source.defaultMode, child(field, 'defaultMode')));
      errs.push(...validateProjectedSources(source.sources, child(field, 'sources')));
      break;
    case 'csi':
      if (!stringAt(source.driver)) errs.push(fieldError.required(child(field, 'driver')));
      break;
  }
  return errs;
}

function validateVolumeSource(volume: JsonObject, field: string): Errs {
  const errs: Errs = [];
  let count = 0;
  for (const kind of VOLUME_SOURCES) {
    if (!isPresent(volume[kind])) continue;
    if (count > 0) {
      errs.push(fieldError.forbidden(child(field, kind), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...validateVolumeSourceDetails(kind, objectAt(volume[kind]) ?? {}, child(field, kind)));
  }
  if (count === 0) errs.push(fieldError.required(field, 'must specify a volume type'));
  return errs;
}

export function validateVolumes(volumes: unknown, field: string): { names: Set<string>; errs: Errs } {
  const names = new Set<string>();
  const errs: Errs = [];
  objectsAt(volumes).forEach((volume, i) => {
    const volumePath = index(field, i);
    const namePath = child(volumePath, 'name');
    const volumeErrs = validateVolumeSource(volume, volumePath);
    const name = stringAt(volume.name);
    if (!name) volumeErrs.push(fieldError.required(namePath));
    else volumeErrs.push(...invalidFor(namePath, name, isDNS1123Label(name)));
    if (names.has(name)) volumeErrs.push(fieldError.duplicate(namePath, name));
    // Only volumes that validated can be mounted; mounts of broken ones report "Not found" as well.
    if (volumeErrs.length === 0) names.add(name);
    else errs.push(...volumeErrs);
  });
  return { names, errs };
}
