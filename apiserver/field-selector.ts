/**
 * Field selectors as the API server evaluates them (k8s.io/apimachinery/pkg/fields plus each kind's
 * field-label conversion and selectable-field set).
 *
 * Contract:
 * - `parseFieldSelector` reads `f=v`, `f==v`, `f!=v` terms joined by commas, values unescaped from
 *   `\,` `\=` `\\`; malformed input throws a 400 with upstream's message. Nothing is trimmed: upstream
 *   treats spaces as part of the field or value.
 * - `validateFor(resource)` rejects labels the kind does not support with upstream's 400 message and
 *   returns the selector with legacy labels rewritten (`spec.host` becomes `spec.nodeName` for pods);
 *   callers must match with the returned selector.
 * - `fieldsOf(resource, obj)` gives the selectable fields of a stored object; a field the object lacks
 *   is absent from the set and compares as ''.
 * - `requiredValue(field)` tells storage which equality (`metadata.name`, `metadata.namespace`,
 *   `spec.nodeName`) it may use to narrow a lookup.
 */

import { badRequest } from './api-error.js';
import { isPlainObject } from './api-object.js';
import type { KubeObject } from './api-object.js';
import { RESOURCES } from './resource-registry.js';

export type FieldSelectorOperator = '=' | '!=';

export interface FieldRequirement {
  readonly field: string;
  /** `==` is recorded as `=`: upstream does not distinguish them. */
  readonly operator: FieldSelectorOperator;
  readonly value: string;
}

export type FieldSet = Readonly<Record<string, string>>;

export class FieldSelector {
  private static readonly EVERYTHING = new FieldSelector([]);

  constructor(readonly requirements: readonly FieldRequirement[]) {}

  static everything(): FieldSelector {
    return FieldSelector.EVERYTHING;
  }

  matches(fields: FieldSet): boolean {
    return this.requirements.every((r) => {
      const actual = Object.prototype.hasOwnProperty.call(fields, r.field) ? fields[r.field] : '';
      return r.operator === '=' ? actual === r.value : actual !== r.value;
    });
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  /** The value an `=`/`==` term pins `field` to (possibly ''), or undefined when nothing pins it. */
  requiredValue(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  /**
   * Checks every field against what `resource` (a plural such as `pods`) supports, as upstream's
   * field-label conversion does, and returns the selector in canonical field names.
   */
  validateFor(resource: string): FieldSelector {
    const support = supportFor(resource);
    let renamed = false;
    const requirements = this.requirements.map((r) => {
      if (support.labels.has(r.field)) return r;
      const canonical = support.renames?.[r.field];
      if (canonical === undefined) throw badRequest(support.unsupported(r.field));
      renamed = true;
      return Object.freeze({ ...r, field: canonical });
    });
    return renamed ? new FieldSelector(Object.freeze(requirements)) : this;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** fields.EscapeValue: makes any literal usable as a selector value. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (ch) => `\\${ch}`);
}

// ---------------------------------------------------------------------------------------------------
// Parsing

/** Splits on commas that are not escaped; escapes stay in the terms for unescapeValue. */
function splitTerms(text: string): string[] {
  if (text.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (escaped) escaped = false;
    else if (ch === '\\') escaped = true;
    else if (ch === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

// `==` before `=` so that `a==b` does not leave `=b` as the value.
const TERM_OPERATORS = ['!=', '==', '='] as const;

/** The first operator occurrence splits the term: fields cannot be escaped, values can. */
function splitTerm(
  term: string,
): { field: string; operator: FieldSelectorOperator; rawValue: string } | null {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) {
        return {
          field: term.slice(0, i),
          operator: op === '!=' ? '!=' : '=',
          rawValue: term.slice(i + op.length),
        };
      }
    }
  }
  return null;
}

function unescapeValue(raw: string): string {
  let value = '';
  let escaped = false;
  for (const ch of raw) {
    if (escaped) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') {
        throw badRequest(`invalid field selector: invalid escape sequence: \\${ch}`);
      }
      value += ch;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
    } else if (ch === ',' || ch === '=') {
      // Upstream formats the offending rune with %v, which prints its code point.
      throw badRequest(`invalid field selector: unescaped character in value: ${ch.codePointAt(0)}`);
    } else {
      value += ch;
    }
  }
  if (escaped) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return value;
}

/** Parses the `fieldSelector` query syntax; the empty string selects everything. */
export function parseFieldSelector(text: string): FieldSelector {
  // Upstream sorts the raw terms, which makes the order of terms irrelevant to the canonical form.
  const terms = splitTerms(text).sort();
  const requirements: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (!split) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    requirements.push(
      Object.freeze({ field: split.field, operator: split.operator, value: unescapeValue(split.rawValue) }),
    );
  }
  return requirements.length === 0
    ? FieldSelector.everything()
    : new FieldSelector(Object.freeze(requirements));
}

/** Parses a `fieldSelector` query parameter and validates it for `resource` in one step. */
export function parseFieldSelectorQuery(text: string | null | undefined, resource: string): FieldSelector {
  return parseFieldSelector(text ?? '').validateFor(resource);
}

// ---------------------------------------------------------------------------------------------------
// Per-kind support

interface FieldSupport {
  labels: ReadonlySet<string>;
  /** Legacy labels accepted and rewritten to their canonical name. */
  renames?: Readonly<Record<string, string>>;
  /** Whether the field set carries `metadata.namespace` (cluster-scoped kinds leave it out). */
  namespaced: boolean;
  extract?: (obj: KubeObject) => Record<string, string>;
  unsupported: (label: string) => string;
}

/** Kinds with their own field-label conversion phrase rejections this way. */
const notSupported = (label: string): string => `field label not supported: ${label}`;

/** A quoted string as Go's %q prints it, for the labels that can reach an error message. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

function lookup(obj: unknown, ...path: string[]): unknown {
  let current = obj;
  for (const key of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function text(obj: unknown, ...path: string[]): string {
  const value = lookup(obj, ...path);
  return typeof value === 'string' ? value : '';
}

/** Booleans print as Go's strconv.FormatBool; an unset bool is false. */
function flag(obj: unknown, ...path: string[]): string {
  return lookup(obj, ...path) === true ? 'true' : 'false';
}

function firstPodIP(pod: KubeObject): string {
  const podIPs = lookup(pod, 'status', 'podIPs');
  if (Array.isArray(podIPs) && podIPs.length > 0) return text(podIPs[0], 'ip');
  return text(pod, 'status', 'podIP');
}

const SUPPORT: Readonly<Record<string, FieldSupport>> = {
  pods: {
    labels: new Set([
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      // Accepted by upstream's conversion but absent from the field set, so it only ever equals ''.
      'status.podIPs',
      'status.nominatedNodeName',
    ]),
    renames: { 'spec.host': 'spec.nodeName' },
    namespaced: true,
    extract: (pod) => ({
      'spec.nodeName': text(pod, 'spec', 'nodeName'),
      'spec.restartPolicy': text(pod, 'spec', 'restartPolicy'),
      'spec.schedulerName': text(pod, 'spec', 'schedulerName'),
      'spec.serviceAccountName': text(pod, 'spec', 'serviceAccountName'),
      'spec.hostNetwork': flag(pod, 'spec', 'hostNetwork'),
      'status.phase': text(pod, 'status', 'phase'),
      'status.podIP': firstPodIP(pod),
      'status.nominatedNodeName': text(pod, 'status', 'nominatedNodeName'),
    }),
    unsupported: notSupported,
  },
  nodes: {
    labels: new Set(['metadata.name', 'spec.unschedulable']),
    namespaced: false,
    extract: (node) => ({ 'spec.unschedulable': flag(node, 'spec', 'unschedulable') }),
    unsupported: notSupported,
  },
  events: {
    labels: new Set([
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
      'metadata.namespace',
      'metadata.name',
    ]),
    namespaced: true,
    extract: (event) => ({
      'involvedObject.kind': text(event, 'involvedObject', 'kind'),
      'involvedObject.namespace': text(event, 'involvedObject', 'namespace'),
      'involvedObject.name': text(event, 'involvedObject', 'name'),
      'involvedObject.uid': text(event, 'involvedObject', 'uid'),
      'involvedObject.apiVersion': text(event, 'involvedObject', 'apiVersion'),
      'involvedObject.resourceVersion': text(event, 'involvedObject', 'resourceVersion'),
      'involvedObject.fieldPath': text(event, 'involvedObject', 'fieldPath'),
      reason: text(event, 'reason'),
      reportingComponent: text(event, 'reportingComponent'),
      // Events recorded through events.k8s.io only carry the reporting controller.
      source: text(event, 'source', 'component') || text(event, 'reportingComponent'),
      type: text(event, 'type'),
    }),
    unsupported: notSupported,
  },
  namespaces: {
    labels: new Set(['status.phase', 'metadata.name']),
    namespaced: false,
    extract: (namespace) => ({ 'status.phase': text(namespace, 'status', 'phase') }),
    unsupported: notSupported,
  },
  secrets: {
    labels: new Set(['type', 'metadata.namespace', 'metadata.name']),
    namespaced: true,
    extract: (secret) => ({ type: text(secret, 'type') }),
    unsupported: notSupported,
  },
  services: {
    labels: new Set(['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type']),
    namespaced: true,
    extract: (service) => ({
      'spec.clusterIP': text(service, 'spec', 'clusterIP'),
      'spec.type': text(service, 'spec', 'type'),
    }),
    unsupported: notSupported,
  },
};

const OBJECT_META_LABELS: ReadonlySet<string> = new Set(['metadata.name', 'metadata.namespace']);

/** runtime.DefaultMetaV1FieldSelectorConversion, used by every kind without its own conversion. */
const defaultUnsupported = (label: string): string =>
  `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`;

function supportFor(resource: string): FieldSupport {
  const specific = Object.prototype.hasOwnProperty.call(SUPPORT, resource) ? SUPPORT[resource] : undefined;
  if (specific) return specific;
  const info = RESOURCES.find((r) => r.plural === resource);
  // An unregistered resource is assumed namespaced; for a cluster-scoped object that only adds ''.
  return {
    labels: OBJECT_META_LABELS,
    namespaced: info?.namespaced ?? true,
    unsupported: defaultUnsupported,
  };
}

/** The field labels `resource` accepts in a field selector, legacy aliases excluded. */
export function supportedFieldLabels(resource: string): readonly string[] {
  return [...supportFor(resource).labels];
}

/** The selectable fields of `obj`, stored as a `resource` (plural), as upstream's GetAttrs computes them. */
export function fieldsOf(resource: string, obj: KubeObject): Record<string, string> {
  const support = supportFor(resource);
  const fields: Record<string, string> = { 'metadata.name': obj.metadata?.name ?? '' };
  if (support.namespaced) fields['metadata.namespace'] = obj.metadata?.namespace ?? '';
  return support.extract ? { ...support.extract(obj), ...fields } : fields;
}
