/**
 * Query parameters of the API, parsed once into typed options. Unknown parameters are ignored, as
 * upstream ignores them; malformed values of known ones are 400.
 */
import { badRequest } from '../api-error.js';
import type { DeleteOptions, WriteOptions } from '../rest/resource-store.js';
import type { FieldValidationMode } from '../openapi/field-validation.js';
import { isPlainObject } from '../api-object.js';

export type Query = Record<string, unknown>;

export function queryString(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function queryStrings(query: Query, name: string): string[] {
  const value = query[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

export function queryBool(query: Query, name: string): boolean {
  const value = queryString(query, name);
  return value === 'true' || value === '1';
}

export function queryInt(query: Query, name: string): number | undefined {
  const value = queryString(query, name);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value))
    throw badRequest(`invalid value for ${name}: ${JSON.stringify(value)}: must be an integer`);
  return Number(value);
}

function dryRunOf(values: string[]): boolean {
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

export function writeOptions(query: Query): WriteOptions {
  const validation = queryString(query, 'fieldValidation');
  let fieldValidation: FieldValidationMode | undefined;
  if (validation !== undefined && validation !== '') {
    const normalized = validation.charAt(0).toUpperCase() + validation.slice(1).toLowerCase();
    if (normalized !== 'Strict' && normalized !== 'Warn' && normalized !== 'Ignore') {
      throw badRequest(
        `fieldValidation: Unsupported value: "${validation}": supported values: "Ignore", "Strict", "Warn"`,
      );
    }
    fieldValidation = normalized;
  }
  return {
    dryRun: dryRunOf(queryStrings(query, 'dryRun')),
    fieldValidation,
    fieldManager: queryString(query, 'fieldManager'),
  };
}

const POLICIES = ['Orphan', 'Background', 'Foreground'] as const;

/** DeleteOptions from the body (kubectl) merged over the query (other clients). */
export function deleteOptions(query: Query, body: unknown): DeleteOptions {
  if (body !== undefined && body !== null && !isPlainObject(body))
    throw badRequest('DeleteOptions must be an object');
  const b = (body ?? {}) as Record<string, unknown>;
  const grace = b.gracePeriodSeconds ?? queryInt(query, 'gracePeriodSeconds');
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isInteger(grace))) {
    throw badRequest('gracePeriodSeconds must be an integer');
  }
  const policy = b.propagationPolicy ?? queryString(query, 'propagationPolicy');
  if (policy !== undefined && policy !== null && !POLICIES.includes(policy as (typeof POLICIES)[number])) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Orphan", "Background", "Foreground"`,
    );
  }
  const orphan =
    b.orphanDependents ??
    (query.orphanDependents !== undefined ? queryBool(query, 'orphanDependents') : undefined);
  const pre = isPlainObject(b.preconditions) ? b.preconditions : {};
  const dryRunValues = Array.isArray(b.dryRun) ? b.dryRun.map(String) : queryStrings(query, 'dryRun');
  return {
    gracePeriodSeconds: typeof grace === 'number' ? grace : undefined,
    propagationPolicy: (policy ?? undefined) as DeleteOptions['propagationPolicy'],
    orphanDependents: typeof orphan === 'boolean' ? orphan : undefined,
    preconditions: {
      uid: typeof pre.uid === 'string' ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
    },
    dryRun: dryRunOf(dryRunValues),
  };
}
