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
 */
import { badRequest } from '../api-error.js';
import { isPlainObject } from '../api-object.js';
import { apiModelFields, type ApiFieldType } from './api-field-types.js';
import { parseModelName } from './schema-names.js';

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

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;

function modelType(modelName: string): ApiFieldType {
  return { kind: 'model', model: modelName };
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function collectUnknown(value: unknown, type: ApiFieldType, path: string, out: Set<string>): void {
  if (out.size >= MAX_STRICT_ERRORS) return;
  switch (type.kind) {
    case 'model': {
      const fields = apiModelFields(type.model);
      if (!fields || !isPlainObject(value)) return;
      for (const [key, child] of Object.entries(value)) {
        const fieldType = fields.get(key);
        if (fieldType) collectUnknown(child, fieldType, childPath(path, key), out);
        else if (out.size < MAX_STRICT_ERRORS) out.add(childPath(path, key));
      }
      return;
    }
    case 'array':
      if (Array.isArray(value))
        value.forEach((item, i) => collectUnknown(item, type.items, `${path}[${i}]`, out));
      return;
    case 'map':
      if (isPlainObject(value)) {
        for (const [key, child] of Object.entries(value))
          collectUnknown(child, type.values, childPath(path, key), out);
      }
      return;
    default:
      return;
  }
}

/** Dotted paths of fields the schema does not know, in document order. */
export function findUnknownFields(obj: unknown, modelName: string): string[] {
  const out = new Set<string>();
  collectUnknown(obj, modelType(modelName), '', out);
  return [...out];
}

function pruneValue(value: unknown, type: ApiFieldType): unknown {
  switch (type.kind) {
    case 'model': {
      const fields = apiModelFields(type.model);
      if (!fields || !isPlainObject(value)) return value;
      const kept: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        const fieldType = fields.get(key);
        if (fieldType) kept[key] = pruneValue(child, fieldType);
      }
      return kept;
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => pruneValue(item, type.items)) : value;
    case 'map':
      return isPlainObject(value)
        ? Object.fromEntries(
            Object.entries(value).map(([key, child]) => [key, pruneValue(child, type.values)]),
          )
        : value;
    default:
      return value;
  }
}

/**
 * A copy without the fields the schema does not know. Upstream decodes into typed structs, so
 * unknown fields are never stored, whatever the validation mode.
 */
export function dropUnknownFields<T>(obj: T, modelName: string): T {
  return pruneValue(obj, modelType(modelName)) as T;
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

/** Where the decoder was: the innermost struct and the JSON field names from the root. */
interface DecodeContext {
  struct?: string;
  fields: string[];
}

function typeError(value: string, ctx: DecodeContext, goType: string): string {
  const location =
    ctx.struct !== undefined ? `Go struct field ${ctx.struct}.${ctx.fields.join('.')}` : 'Go value';
  return `json: cannot unmarshal ${value} into ${location} of type ${goType}`;
}

function quantityError(value: unknown): string | undefined {
  if (typeof value === 'number') return undefined;
  if (typeof value !== 'string') return QUANTITY_FORMAT_ERROR;
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

function collectTypeErrors(value: unknown, type: ApiFieldType, ctx: DecodeContext, out: string[]): void {
  if (value === null || value === undefined) return;
  switch (type.kind) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') out.push(typeError(jsonValueKind(value), ctx, 'string'));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(typeError(jsonValueKind(value), ctx, 'bool'));
      return;
    case 'number':
      if (typeof value !== 'number') out.push(typeError(jsonValueKind(value), ctx, goTypeName(type)));
      else if ((type.format === 'int32' || type.format === 'int64') && integerError(value, type.format)) {
        out.push(typeError(`number ${String(value)}`, ctx, type.format));
      }
      return;
    case 'date':
    case 'micro-time':
      // metav1.Time decodes through a plain string.
      if (typeof value !== 'string') out.push(typeError(jsonValueKind(value), ctx, 'string'));
      return;
    case 'int-or-string':
      // A non-string goes through an int32.
      if (typeof value === 'string') return;
      if (typeof value !== 'number') out.push(typeError(jsonValueKind(value), ctx, 'int32'));
      else if (integerError(value, 'int32')) out.push(typeError(`number ${String(value)}`, ctx, 'int32'));
      return;
    case 'quantity': {
      const error = quantityError(value);
      if (error) out.push(error);
      return;
    }
    case 'model': {
      const fields = apiModelFields(type.model);
      if (!fields) return;
      if (!isPlainObject(value)) {
        out.push(typeError(jsonValueKind(value), ctx, goTypeName(type)));
        return;
      }
      const struct = goStructName(type.model);
      for (const [key, child] of Object.entries(value)) {
        const fieldType = fields.get(key);
        if (fieldType) collectTypeErrors(child, fieldType, { struct, fields: [...ctx.fields, key] }, out);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) {
        out.push(typeError(jsonValueKind(value), ctx, goTypeName(type)));
        return;
      }
      for (const item of value) collectTypeErrors(item, type.items, ctx, out);
      return;
    case 'map':
      if (!isPlainObject(value)) {
        out.push(typeError(jsonValueKind(value), ctx, goTypeName(type)));
        return;
      }
      for (const child of Object.values(value)) collectTypeErrors(child, type.values, ctx, out);
      return;
  }
}

/** Decoding failures upstream reports even without strict validation, in document order. */
export function findTypeErrors(obj: unknown, modelName: string): string[] {
  const out: string[] = [];
  collectTypeErrors(obj, modelType(modelName), { fields: [] }, out);
  return out;
}

function decodeFailure(message: string, target: DecodeTarget | undefined): string {
  return target
    ? `${target.kind} in version "${target.version}" cannot be handled as a ${target.kind}: ${message}`
    : message;
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
  const typeErrors = findTypeErrors(obj, modelName);
  // Go's decoder reports only the first failure.
  if (typeErrors.length) throw badRequest(decodeFailure(typeErrors[0], target));
  if (mode === 'Ignore') return { warnings: [] };
  const unknown = findUnknownFields(obj, modelName).map((path) => `unknown field ${JSON.stringify(path)}`);
  if (!unknown.length) return { warnings: [] };
  if (mode === 'Strict') {
    throw badRequest(decodeFailure(`strict decoding error: ${unknown.join(', ')}`, target));
  }
  return { warnings: unknown };
}
