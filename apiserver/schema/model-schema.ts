/**
 * The shape of every Kubernetes type, read from the generated models of @kubernetes/client-node
 * (each model class carries an attribute type map). Strict field validation, strategic merge patch
 * and the OpenAPI documents all walk objects with this, so the server knows the same fields the
 * official client does without shipping a copy of the upstream OpenAPI spec.
 */
import * as models from '@kubernetes/client-node';

export type FieldType =
  | { kind: 'string' }
  | { kind: 'number'; format: string }
  | { kind: 'boolean' }
  /** RFC3339 timestamps: JSON strings on the wire. */
  | { kind: 'date' }
  /** Free-form JSON (e.g. `RawExtension`). */
  | { kind: 'any' }
  | { kind: 'int-or-string' }
  | { kind: 'model'; model: string }
  | { kind: 'array'; items: FieldType }
  | { kind: 'map'; values: FieldType };

export interface FieldInfo {
  /** The JSON name. */
  name: string;
  type: FieldType;
}

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  getAttributeTypeMap?: () => AttributeType[];
}

const cache = new Map<string, Map<string, FieldInfo> | undefined>();

export function parseTypeName(type: string, format = ''): FieldType {
  const trimmed = type.trim();
  if (trimmed.startsWith('Array<') && trimmed.endsWith('>')) {
    return { kind: 'array', items: parseTypeName(trimmed.slice(6, -1)) };
  }
  const map = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/.exec(trimmed);
  if (map) return { kind: 'map', values: parseTypeName(map[1]) };
  switch (trimmed) {
    case 'string':
      return { kind: 'string' };
    case 'number':
      return { kind: 'number', format };
    case 'boolean':
      return { kind: 'boolean' };
    case 'Date':
      return { kind: 'date' };
    case 'any':
    case 'object':
      return { kind: 'any' };
    case 'IntOrString':
      return { kind: 'int-or-string' };
    default:
      return { kind: 'model', model: trimmed };
  }
}

/** The fields of a model (`V1PodSpec`), keyed by JSON name; undefined for a name the client does not know. */
export function modelFields(modelName: string): Map<string, FieldInfo> | undefined {
  if (cache.has(modelName)) return cache.get(modelName);
  const cls = (models as unknown as Record<string, ModelClass | undefined>)[modelName];
  let fields: Map<string, FieldInfo> | undefined;
  if (cls && typeof cls.getAttributeTypeMap === 'function') {
    fields = new Map();
    for (const attr of cls.getAttributeTypeMap()) {
      fields.set(attr.baseName, { name: attr.baseName, type: parseTypeName(attr.type, attr.format) });
    }
  }
  cache.set(modelName, fields);
  return fields;
}

/** The type of `field` inside `modelName`, or undefined when the model has no such field. */
export function fieldType(modelName: string, field: string): FieldType | undefined {
  return modelFields(modelName)?.get(field)?.type;
}
