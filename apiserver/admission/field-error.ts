/**
 * Field-level validation errors in upstream's wording. Each constructor returns the `StatusCause` a 422
 * carries: `reason` is the upstream error type, `message` the error body without the field
 * (`Invalid value: -1: must be greater than or equal to 0`) and `field` the JSON path
 * (`spec.template.spec.containers[0].name`). kubectl prints `<field>: <message>`, so both halves must
 * read exactly as upstream's do.
 */
import type { StatusCause } from '../api-error.js';
import { goQuote } from './go-format.js';

export type FieldErrorReason =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueNotFound';

export interface FieldCause extends StatusCause {
  reason: FieldErrorReason;
  message: string;
  field: string;
}

/**
 * A bad value already rendered the way Go's `%#v` or a `String()` method prints it (structs, maps,
 * IntOrString); plain JS values are rendered by the rules upstream applies to simple types.
 */
export class GoLiteral {
  constructor(readonly text: string) {}
}

export type BadValue = string | number | boolean | null | undefined | GoLiteral;

export function goLiteral(text: string): GoLiteral {
  return new GoLiteral(text);
}

// Upstream turns nil pointers into the *string* "null" before printing, hence the quotes.
function renderValue(value: BadValue): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'string') return goQuote(value);
  return String(value);
}

function cause(reason: FieldErrorReason, field: string, body: string, detail: string): FieldCause {
  return { reason, message: detail ? `${body}: ${detail}` : body, field };
}

export const fieldError = {
  required: (field: string, detail = ''): FieldCause =>
    cause('FieldValueRequired', field, 'Required value', detail),
  invalid: (field: string, value: BadValue, detail: string): FieldCause =>
    cause('FieldValueInvalid', field, `Invalid value: ${renderValue(value)}`, detail),
  notSupported: (field: string, value: BadValue, supported: readonly string[]): FieldCause =>
    cause(
      'FieldValueNotSupported',
      field,
      `Unsupported value: ${renderValue(value)}`,
      supported.length ? `supported values: ${supported.map(goQuote).join(', ')}` : '',
    ),
  duplicate: (field: string, value: BadValue): FieldCause =>
    cause('FieldValueDuplicate', field, `Duplicate value: ${renderValue(value)}`, ''),
  forbidden: (field: string, detail: string): FieldCause =>
    cause('FieldValueForbidden', field, 'Forbidden', detail),
  tooLong: (field: string, maxBytes: number): FieldCause =>
    cause('FieldValueTooLong', field, 'Too long', `must have at most ${maxBytes} bytes`),
  notFound: (field: string, value: BadValue): FieldCause =>
    cause('FieldValueNotFound', field, `Not found: ${renderValue(value)}`, ''),
};

/** Upstream's field path spelling: `a.b`, `a[0]`, `data[key]` (map keys are not quoted). */
export function child(path: string, ...names: string[]): string {
  return names.reduce((acc, name) => (acc ? `${acc}.${name}` : name), path);
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** One Invalid cause per explanation a format check returned. */
export function invalidFor(field: string, value: BadValue, messages: readonly string[]): FieldCause[] {
  return messages.map((msg) => fieldError.invalid(field, value, msg));
}

/** Non-negative integer fields share one message across the API. */
export function nonNegative(value: number | undefined, field: string): FieldCause[] {
  return value !== undefined && value < 0
    ? [fieldError.invalid(field, value, 'must be greater than or equal to 0')]
    : [];
}
