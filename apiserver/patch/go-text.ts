/**
 * JSON values spelled the way Go's `%v` prints decoded JSON, so patch error messages read exactly as
 * upstream's (`map: map[image:nginx] does not contain declared merge key: name`), which users search for.
 */
import { isPlainObject } from '../api-object.js';

export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (isPlainObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${key}:${goValue(value[key])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(value);
}

/** The Go type `encoding/json` decodes a value into, as `reflect.TypeOf(v).String()` prints it. */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  if (isPlainObject(value)) return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return typeof value;
}

/** The JSON kind `json: cannot unmarshal <kind> into ...` names. */
export function jsonKindName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}
