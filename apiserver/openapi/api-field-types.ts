/**
 * Field types as the API server sees them: the client model's types, plus the scalar kinds the
 * generated client flattens away. The client declares `resources.limits` as a string map and
 * `metadata.creationTimestamp` as a Date, but upstream they are `Quantity` (a string or a number on
 * the wire) and `Time`; OpenAPI documents and the decoder checks both need the real kind.
 */
import { modelFields, type FieldType } from '../schema/model-schema.js';

export type ApiFieldType =
  | { kind: 'string' }
  | { kind: 'number'; format: string }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'micro-time' }
  | { kind: 'any' }
  | { kind: 'int-or-string' }
  | { kind: 'quantity' }
  | { kind: 'model'; model: string }
  | { kind: 'array'; items: ApiFieldType }
  | { kind: 'map'; values: ApiFieldType };

/**
 * Fields whose upstream type is `resource.Quantity` (alone or as map values). The generated client
 * types them as strings, which would make `cpu: 1` look like a type error.
 */
const QUANTITY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  V1ResourceRequirements: ['limits', 'requests'],
  V1VolumeResourceRequirements: ['limits', 'requests'],
  V1PodSpec: ['overhead'],
  V1NodeStatus: ['allocatable', 'capacity'],
  V1ResourceQuotaSpec: ['hard'],
  V1ResourceQuotaStatus: ['hard', 'used'],
  V1LimitRangeItem: ['default', 'defaultRequest', 'max', 'maxLimitRequestRatio', 'min'],
  V1PersistentVolumeSpec: ['capacity'],
  V1PersistentVolumeClaimStatus: ['allocatedResources', 'capacity'],
  V1ContainerStatus: ['allocatedResources'],
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1ResourceFieldSelector: ['divisor'],
  V1Overhead: ['podFixed'],
  V1CSIStorageCapacity: ['capacity', 'maximumVolumeSize'],
  V2MetricTarget: ['averageValue', 'value'],
  V2MetricValueStatus: ['averageValue', 'value'],
};

/** The client names `MicroTime` as a model it never defines. */
const MICRO_TIME_MODEL = 'V1MicroTime';

function toApiType(type: FieldType, quantity: boolean): ApiFieldType {
  switch (type.kind) {
    case 'string':
      return quantity ? { kind: 'quantity' } : type;
    case 'array':
      return { kind: 'array', items: toApiType(type.items, quantity) };
    case 'map':
      return { kind: 'map', values: toApiType(type.values, quantity) };
    case 'model':
      return type.model === MICRO_TIME_MODEL ? { kind: 'micro-time' } : type;
    default:
      return type;
  }
}

const cache = new Map<string, Map<string, ApiFieldType> | undefined>();

/** The fields of a client model with their API types, keyed by JSON name; undefined for unknown models. */
export function apiModelFields(modelName: string): Map<string, ApiFieldType> | undefined {
  if (cache.has(modelName)) return cache.get(modelName);
  const fields = modelFields(modelName);
  let result: Map<string, ApiFieldType> | undefined;
  if (fields) {
    const quantityFields = QUANTITY_FIELDS[modelName] ?? [];
    result = new Map();
    for (const [name, info] of fields) {
      result.set(name, toApiType(info.type, quantityFields.includes(name)));
    }
  }
  cache.set(modelName, result);
  return result;
}

export function apiFieldType(modelName: string, field: string): ApiFieldType | undefined {
  return apiModelFields(modelName)?.get(field);
}

/** Exposed so tests can check every entry still names a string-typed client field. */
export const quantityFieldTable = QUANTITY_FIELDS;
