/**
 * Server-side field validation, as the `fieldValidation` query parameter asks for (the default for
 * kubectl 1.29+ `apply`/`create` is Strict). Objects are checked against the client model schemas
 * the way upstream's decoder sees them:
 *
 * - unknown fields: reported by dotted path (`spec.template.spec.containers[0].bogus`, map keys as
 *   `.key`), deduplicated and capped at 100 like upstream. Strict turns them into a 400
 *   `strict decoding error: unknown field "…"`; Warn returns them as warnings; Ignore skips them.
 * - values of the wrong JSON type: upstream's decoder fails on these whatever the mode, so they are
 *   always a 400, worded like Go's `encoding/json`
 *   (`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`).
 *
 * Maps (`labels`, `data`) and free-form fields (`RawExtension`, `fieldsV1`) accept any keys; only
 * map values of a model type are checked. Duplicate keys cannot be seen here: the body is already
 * parsed JSON.
 *
 * `decodeFields` does all of it in one walk, as a request needs it: type errors, unknown fields and
 * the copy without them. Paths and messages are only spelled out when something is wrong, and the
 * copy is made on write, so a clean object costs one pass and no allocation per field.
 */
import { badRequest } from '../api-error.js';
import { isPlainObject } from '../api-object.js';
import { apiModelFields, type ApiFieldType } from './api-field-types.js';
import { parseModelName } from './schema-names.js';
import { rfc3339Error } from './rfc3339-error.js';
import { base64Error } from './base64-error.js';

export type FieldValidationMode = 'Strict' | 'Warn' | 'Ignore';

export interface FieldValidationResult {
  /** `unknown field "spec.foo"`, one per field, for `Warning: 299` headers (Warn mode only). */
  warnings: string[];
}

/**
 * The kind being decoded. With it, errors carry upstream's create/update prefix:
 * `Deployment in version "v1" cannot be handled as a Deployment: …`. Patch handlers leave it out.
 */
export interface DecodeTarget {
  kind: string;
  version: string;
}

/** Upstream keeps at most this many strict errors. */
const MAX_STRICT_ERRORS = 100;

const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
const QUANTITY_NUMBER_ERROR = 'unable to parse numeric part of quantity';
const QUANTITY_SHAPE = /^([+-]?[0-9.]*)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX = /^(|[numkMGTPE]|[KMGTPE]i|[eE][-+]?[0-9]+)$/;
const QUANTITY_NUMBER = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/;

/**
 * Map fields whose values are Go `[]byte`: the generated client types them as plain strings, but
 * upstream's decoder refuses values that are not base64. Secret `data` is left to admission, which
 * reports it as a 422 naming the key.
 */
const BYTES_MAP_FIELDS: Readonly<Record<string, readonly string[]>> = {
  V1ConfigMap: ['binaryData'],
};

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;

function modelType(modelName: string): ApiFieldType {
  return { kind: 'model', model: modelName };
}

/** The Go type upstream's decoder names in its messages. */
function goTypeName(type: ApiFieldType): string {
  switch (type.kind) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      if (type.format === 'int32' || type.format === 'int64') return type.format;
      return type.format === 'float' ? 'float32' : 'float64';
    case 'date':
      return 'v1.Time';
    case 'micro-time':
      return 'v1.MicroTime';
    case 'any':
      return 'runtime.RawExtension';
    case 'int-or-string':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    case 'model': {
      const parsed = parseModelName(type.model);
      return parsed ? `${parsed.version}.${parsed.name}` : type.model;
    }
    case 'array':
      return `[]${goTypeName(type.items)}`;
    case 'map':
      return type.values.kind === 'quantity' ? 'v1.ResourceList' : `map[string]${goTypeName(type.values)}`;
  }
}

function goStructName(modelName: string): string {
  return parseModelName(modelName)?.name ?? modelName;
}

/** How Go's decoder names a JSON value in a type error. */
function jsonValueKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/**
 * Where a value sits, as a chain to the root, built only for containers the walk descends into: paths
 * and error locations are spelled out from it only when something is wrong.
 */
interface Location {
  parent: Location | undefined;
  key: string | number;
  /** `field`: a member of the struct `model`; `item`: a list element; `entry`: a map value. */
  kind: 'field' | 'item' | 'entry';
  model?: string;
}

/** The dotted path unknown fields are reported by: `spec.containers[0].ports[1]`, map keys as `.key`. */
function dottedPath(at: Location | undefined): string {
  if (!at) return '';
  const parent = dottedPath(at.parent);
  if (at.kind === 'item') return `${parent}[${at.key}]`;
  return parent ? `${parent}.${at.key}` : String(at.key);
}

/** Go's decoder names the innermost struct and the JSON field names from the root; list indexes and map keys do not count. */
function typeError(value: string, at: Location | undefined, goType: string): string {
  let struct: string | undefined;
  const fields: string[] = [];
  for (let loc = at; loc; loc = loc.parent) {
    if (loc.kind !== 'field') continue;
    struct ??= goStructName(loc.model ?? '');
    fields.unshift(String(loc.key));
  }
  const location = struct !== undefined ? `Go struct field ${struct}.${fields.join('.')}` : 'Go value';
  return `json: cannot unmarshal ${value} into ${location} of type ${goType}`;
}

/** Checked quantity texts: manifests repeat a handful of amounts; cleared whenever it fills up. */
const quantityErrors = new Map<string, string | undefined>();
const QUANTITY_ERRORS_MAX = 1024;

function quantityError(value: unknown): string | undefined {
  if (typeof value === 'number') return undefined;
  if (typeof value !== 'string') return QUANTITY_FORMAT_ERROR;
  if (quantityErrors.has(value)) return quantityErrors.get(value);
  const error = quantityTextError(value);
  if (quantityErrors.size >= QUANTITY_ERRORS_MAX) quantityErrors.clear();
  quantityErrors.set(value, error);
  return error;
}

function quantityTextError(value: string): string | undefined {
  const text = value.trim();
  const shape = QUANTITY_SHAPE.exec(text);
  if (!text || !shape) return QUANTITY_FORMAT_ERROR;
  if (!QUANTITY_SUFFIX.test(shape[2])) return QUANTITY_SUFFIX_ERROR;
  if (!QUANTITY_NUMBER.test(shape[1])) return QUANTITY_NUMBER_ERROR;
  return undefined;
}

function integerError(value: number, format: string): boolean {
  if (!Number.isInteger(value)) return true;
  if (format === 'int32') return value < INT32_MIN || value > INT32_MAX;
  return Math.abs(value) >= INT64_LIMIT;
}

/** What one walk collects. */
interface WalkState {
  /** Decoding failures upstream reports even without strict validation, in document order. */
  typeErrors: string[];
  /** Unknown fields by dotted path, in document order; undefined when nobody asked (Ignore mode). */
  unknown: string[] | undefined;
}

function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  // `JSON.parse` makes `__proto__` an own key; assigning it would set the prototype instead.
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/**
 * What is wrong with a scalar, if anything: the decoder's words for the value and the Go type it
 * wanted, or a complete message (quantities).
 */
function scalarProblem(value: unknown, type: ApiFieldType): [string, string] | string | undefined {
  switch (type.kind) {
    case 'string':
      return typeof value === 'string' ? undefined : [jsonValueKind(value), 'string'];
    case 'boolean':
      return typeof value === 'boolean' ? undefined : [jsonValueKind(value), 'bool'];
    case 'number':
      if (typeof value !== 'number') return [jsonValueKind(value), goTypeName(type)];
      if ((type.format === 'int32' || type.format === 'int64') && integerError(value, type.format))
        return [`number ${String(value)}`, type.format];
      return undefined;
    case 'date':
      // metav1.Time decodes through a plain string, then parses it as RFC 3339.
      return typeof value === 'string' ? rfc3339Error(value) : [jsonValueKind(value), 'string'];
    case 'micro-time':
      return typeof value === 'string' ? undefined : [jsonValueKind(value), 'string'];
    case 'int-or-string':
      // A non-string goes through an int32.
      if (typeof value === 'string') return undefined;
      if (typeof value !== 'number') return [jsonValueKind(value), 'int32'];
      return integerError(value, 'int32') ? [`number ${String(value)}`, 'int32'] : undefined;
    case 'quantity':
      return quantityError(value);
    default:
      return undefined;
  }
}

/**
 * Records the scalar's type error, if any. The value is the member `key` of the struct `model` under
 * `at`, or (without a key) an element of the list or map at `at`.
 */
function checkScalar(
  value: unknown,
  type: ApiFieldType,
  at: Location | undefined,
  key: string | undefined,
  model: string | undefined,
  state: WalkState,
): void {
  const problem = scalarProblem(value, type);
  if (problem === undefined) return;
  if (typeof problem === 'string') {
    state.typeErrors.push(problem);
    return;
  }
  const where: Location | undefined = key === undefined ? at : { parent: at, key, kind: 'field', model };
  state.typeErrors.push(typeError(problem[0], where, problem[1]));
}

function isContainer(type: ApiFieldType): boolean {
  return type.kind === 'model' || type.kind === 'array' || type.kind === 'map';
}

/**
 * Checks `value` against `type` and returns it without unknown fields. Copy on write: a container is
 * rebuilt only when something under it was dropped, so a clean object comes back as itself.
 */
function walk(value: unknown, type: ApiFieldType, at: Location | undefined, state: WalkState): unknown {
  if (value === null || value === undefined) return value;
  switch (type.kind) {
    case 'model':
      return walkModel(value, type.model, type, at, state);
    case 'array': {
      if (!Array.isArray(value)) {
        state.typeErrors.push(typeError(jsonValueKind(value), at, goTypeName(type)));
        return value;
      }
      const items = type.items;
      if (!isContainer(items)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item !== null && item !== undefined) checkScalar(item, items, at, undefined, undefined, state);
        }
        return value;
      }
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const walked = walk(item, items, { parent: at, key: i, kind: 'item' }, state);
        if (walked !== item && !copy) copy = value.slice(0, i);
        if (copy) copy.push(walked);
      }
      return copy ?? value;
    }
    case 'map': {
      if (!isPlainObject(value)) {
        state.typeErrors.push(typeError(jsonValueKind(value), at, goTypeName(type)));
        return value;
      }
      const values = type.values;
      const keys = Object.keys(value);
      if (!isContainer(values)) {
        for (const key of keys) {
          const child = value[key];
          if (child !== null && child !== undefined)
            checkScalar(child, values, at, undefined, undefined, state);
        }
        return value;
      }
      let copy: Record<string, unknown> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const child = value[key];
        const walked = walk(child, values, { parent: at, key, kind: 'entry' }, state);
        if (walked !== child && !copy) copy = copyMembers(value, keys, i);
        if (copy) setMember(copy, key, walked);
      }
      return copy ?? value;
    }
    default:
      checkScalar(value, type, at, undefined, undefined, state);
      return value;
  }
}

/** A new object holding the first `count` of `keys` from `source`. */
function copyMembers(
  source: Record<string, unknown>,
  keys: string[],
  count: number,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) setMember(copy, keys[i], source[keys[i]]);
  return copy;
}

function walkModel(
  value: unknown,
  model: string,
  type: ApiFieldType,
  at: Location | undefined,
  state: WalkState,
): unknown {
  const fields = apiModelFields(model);
  if (!fields) return value;
  if (!isPlainObject(value)) {
    state.typeErrors.push(typeError(jsonValueKind(value), at, goTypeName(type)));
    return value;
  }
  const keys = Object.keys(value);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const child = value[key];
    const fieldType = fields.get(key);
    if (!fieldType) {
      const unknown = state.unknown;
      if (unknown && unknown.length < MAX_STRICT_ERRORS) {
        unknown.push(dottedPath({ parent: at, key, kind: 'field', model }));
      }
      copy ??= copyMembers(value, keys, i);
      continue;
    }
    let walked = child;
    if (child !== null && child !== undefined) {
      if (isContainer(fieldType)) {
        walked = walk(child, fieldType, { parent: at, key, kind: 'field', model }, state);
      } else {
        checkScalar(child, fieldType, at, key, model, state);
      }
    }
    if (isPlainObject(child) && BYTES_MAP_FIELDS[model]?.includes(key)) checkBytesMap(child, state);
    if (walked !== child) copy ??= copyMembers(value, keys, i);
    if (copy) setMember(copy, key, walked);
  }
  return copy ?? value;
}

function checkBytesMap(map: Record<string, unknown>, state: WalkState): void {
  for (const entry of Object.values(map)) {
    const problem = typeof entry === 'string' ? base64Error(entry) : undefined;
    if (problem) state.typeErrors.push(problem);
  }
}

function walkRoot(obj: unknown, modelName: string, state: WalkState): unknown {
  return walk(obj, modelType(modelName), undefined, state);
}

/** Dotted paths of fields the schema does not know, in document order (at most 100, like upstream). */
export function findUnknownFields(obj: unknown, modelName: string): string[] {
  const state: WalkState = { typeErrors: [], unknown: [] };
  walkRoot(obj, modelName, state);
  return state.unknown ?? [];
}

/**
 * The object without the fields the schema does not know. Upstream decodes into typed structs, so
 * unknown fields are never stored, whatever the validation mode. `obj` is never changed; the result
 * shares every part that had nothing to drop with it.
 */
export function dropUnknownFields<T>(obj: T, modelName: string): T {
  return walkRoot(obj, modelName, { typeErrors: [], unknown: undefined }) as T;
}

/** Decoding failures upstream reports even without strict validation, in document order. */
export function findTypeErrors(obj: unknown, modelName: string): string[] {
  const state: WalkState = { typeErrors: [], unknown: undefined };
  walkRoot(obj, modelName, state);
  return state.typeErrors;
}

function decodeFailure(message: string, target: DecodeTarget | undefined): string {
  return target
    ? `${target.kind} in version "${target.version}" cannot be handled as a ${target.kind}: ${message}`
    : message;
}

export interface DecodedObject<T> extends FieldValidationResult {
  /** The object without unknown fields, as `dropUnknownFields` returns it. */
  obj: T;
}

/**
 * Decodes a request object in one pass, as upstream's decoder does: throws 400 BadRequest for type
 * errors (any mode) and for unknown fields in Strict mode, returns the unknown-field warnings in Warn
 * mode, and in every mode drops the unknown fields.
 */
export function decodeFields<T>(
  obj: T,
  modelName: string,
  mode: FieldValidationMode,
  target?: DecodeTarget,
): DecodedObject<T> {
  const state: WalkState = { typeErrors: [], unknown: mode === 'Ignore' ? undefined : [] };
  const pruned = walkRoot(obj, modelName, state) as T;
  // Go's decoder reports only the first failure.
  if (state.typeErrors.length) throw badRequest(decodeFailure(state.typeErrors[0], target));
  const unknown = (state.unknown ?? []).map((path) => `unknown field ${JSON.stringify(path)}`);
  if (unknown.length && mode === 'Strict') {
    throw badRequest(decodeFailure(`strict decoding error: ${unknown.join(', ')}`, target));
  }
  return { obj: pruned, warnings: unknown };
}

/**
 * Validates a request object. Throws 400 BadRequest for type errors (any mode) and for unknown
 * fields in Strict mode; returns the unknown-field warnings in Warn mode.
 */
export function validateFields(
  obj: unknown,
  modelName: string,
  mode: FieldValidationMode,
  target?: DecodeTarget,
): FieldValidationResult {
  return { warnings: decodeFields(obj, modelName, mode, target).warnings };
}
