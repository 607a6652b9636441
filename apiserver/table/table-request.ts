/**
 * Reading a Table request: whether the Accept header asks for a Table (and which version), following the
 * apiserver's negotiation, and the `includeObject` query parameter. kubectl sends
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`.
 */

import { badRequest } from '../api-error.js';
import type { IncludeObject, TableVersion } from './table-types.js';

interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Record<string, string>;
}

function parseClause(text: string): AcceptClause | undefined {
  const [range, ...rawParams] = text.split(';');
  const mediaRange = range.trim().toLowerCase();
  const [type, subType] = mediaRange === '*' ? ['*', '*'] : mediaRange.split('/');
  if (!type || !subType || mediaRange.split('/').length > 2) return undefined;
  const clause: AcceptClause = { type: type.trim(), subType: subType.trim(), q: 1, params: {} };
  for (const raw of rawParams) {
    const eq = raw.indexOf('=');
    if (eq < 0) continue;
    const key = raw.slice(0, eq).trim().toLowerCase();
    const value = raw.slice(eq + 1).trim();
    if (key === 'q') {
      const q = Number.parseFloat(value);
      clause.q = Number.isNaN(q) ? 0 : q;
    } else {
      clause.params[key] = value;
    }
  }
  return clause;
}

/** The order the apiserver tries clauses in: quality, then concrete over wildcard, then more parameters. */
function preference(a: AcceptClause, b: AcceptClause): number {
  if (a.q !== b.q) return b.q - a.q;
  if ((a.type === '*') !== (b.type === '*')) return a.type === '*' ? 1 : -1;
  if ((a.subType === '*') !== (b.subType === '*')) return a.subType === '*' ? 1 : -1;
  return Object.keys(b.params).length - Object.keys(a.params).length;
}

function servesJson(clause: AcceptClause): boolean {
  return (
    (clause.type === 'application' && (clause.subType === 'json' || clause.subType === '*')) ||
    (clause.type === '*' && clause.subType === '*')
  );
}

type ClauseOutcome = { acceptable: false } | { acceptable: true; table?: TableVersion };

function judge(clause: AcceptClause): ClauseOutcome {
  const { as, g, v } = clause.params;
  if (as === undefined && g === undefined && v === undefined) return { acceptable: true };
  if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) return { acceptable: false };
  if (as === 'Table') return { acceptable: true, table: v };
  // The metadata-only forms are served too, and are not Tables.
  if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { acceptable: true };
  return { acceptable: false };
}

/**
 * The Table version the first acceptable clause asks for, or undefined when the response should be the
 * plain object or list (no header, a plain JSON clause preferred, or no Table clause we can serve).
 */
export function wantsTable(acceptHeader: string | undefined): TableVersion | undefined {
  if (!acceptHeader) return undefined;
  const clauses = acceptHeader
    .split(',')
    .map(parseClause)
    .filter((c): c is AcceptClause => c !== undefined)
    .sort(preference);
  for (const clause of clauses) {
    if (!servesJson(clause)) continue;
    const outcome = judge(clause);
    if (outcome.acceptable) return outcome.table;
  }
  return undefined;
}

/** The `includeObject` query parameter; absent or empty means `Metadata`. */
export function parseIncludeObject(value: string | undefined): IncludeObject {
  if (value === undefined || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(
    `Unable to convert to Table as requested: includeObject: Invalid value: "${value}": ` +
      `must be 'Metadata', 'Object', 'None', or empty`,
  );
}
