/**
 * Decodes one Kubernetes protobuf message into the JSON object the same Go value marshals to. Field
 * numbers come from FIELD_NUMBERS, JSON names and types from the client-node models, so the result
 * goes through the same defaulting and validation as a JSON body. Field numbers the schema does not
 * list are skipped, as upstream drops unknown fields.
 *
 * Go writes every value (non-pointer) field, zero or not, so such fields marked `?` are left out
 * when zero, as `omitempty` does in JSON; pointer fields keep an explicit zero (`replicas: 0`).
 * Nested structs are always present in Go's JSON (`omitempty` never drops a struct), and so they are
 * here: an empty `status` message becomes `status: {}`.
 */
import type { FieldType } from '../schema/model-schema.js';
import { modelFields } from '../schema/model-schema.js';
import { FIELD_NUMBERS } from './field-numbers.js';
import { formatGoDuration, formatGoTime } from './go-time.js';
import {
  WIRE_BYTES,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_VARINT,
  WireFormatError,
  WireReader,
} from './wire-reader.js';

type Codec = 'bytes' | 'quantity' | 'micro' | 'duration' | 'raw';

interface CompiledField {
  name: string;
  omitZero: boolean;
  codec?: Codec;
  /** The table of a message Go inlines into this one; its fields land in the same JSON object. */
  inline?: string;
  type?: FieldType;
}

type JsonObject = Record<string, unknown>;

const CODECS: readonly string[] = ['bytes', 'quantity', 'micro', 'duration', 'raw'];
const ENTRY = /^([A-Za-z0-9_$]+)(\?)?(?::(.+))?$/;
const compiled = new Map<string, Map<number, CompiledField>>();

/** Decodes `bytes` with the field numbers of `table`, typing fields by `model` (the same name unless inlined). */
export function decodeMessage(bytes: Buffer, table: string, model: string = table): JsonObject {
  const target: JsonObject = {};
  decodeInto(target, bytes, table, model);
  return target;
}

function decodeInto(target: JsonObject, bytes: Buffer, table: string, model: string): void {
  const fields = compile(table, model);
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    const info = fields.get(field);
    if (!info) {
      reader.skip(wireType);
      continue;
    }
    if (info.inline) {
      expectWireType(wireType, WIRE_BYTES, info);
      decodeInto(target, reader.readBytes(), info.inline, model);
      continue;
    }
    const type = info.type as FieldType;
    if (type.kind === 'array') {
      const list = Array.isArray(target[info.name]) ? (target[info.name] as unknown[]) : [];
      target[info.name] = list;
      if (wireType === WIRE_BYTES && isPackable(type.items, info)) {
        // Packed repeated scalars: one length-delimited run of varints.
        const packed = new WireReader(reader.readBytes());
        while (!packed.done) list.push(readValue(packed, WIRE_VARINT, type.items, info));
      } else {
        list.push(readValue(reader, wireType, type.items, info));
      }
      continue;
    }
    if (type.kind === 'map') {
      expectWireType(wireType, WIRE_BYTES, info);
      const map = isObject(target[info.name]) ? (target[info.name] as JsonObject) : {};
      target[info.name] = map;
      const [key, value] = readMapEntry(reader.readBytes(), type.values, info);
      map[key] = value;
      continue;
    }
    if (type.kind === 'model' && !info.codec && isObject(target[info.name])) {
      // A non-repeated message seen twice merges, as protobuf specifies.
      expectWireType(wireType, WIRE_BYTES, info);
      decodeInto(target[info.name] as JsonObject, reader.readBytes(), type.model, type.model);
      continue;
    }
    const value = readValue(reader, wireType, type, info);
    if (value === undefined || (info.omitZero && (value === '' || value === 0 || value === false))) {
      delete target[info.name];
    } else {
      target[info.name] = value;
    }
  }
}

function readValue(reader: WireReader, wireType: number, type: FieldType, info: CompiledField): unknown {
  switch (info.codec) {
    case 'bytes':
      expectWireType(wireType, WIRE_BYTES, info);
      return reader.readBytes().toString('base64');
    case 'quantity':
      expectWireType(wireType, WIRE_BYTES, info);
      return readQuantity(reader.readBytes());
    case 'micro':
      expectWireType(wireType, WIRE_BYTES, info);
      return readTime(reader.readBytes(), 'micros');
    case 'duration':
      expectWireType(wireType, WIRE_BYTES, info);
      return readDuration(reader.readBytes());
    case 'raw':
      expectWireType(wireType, WIRE_BYTES, info);
      return readRawJson(reader.readBytes(), info);
  }
  switch (type.kind) {
    case 'string':
      expectWireType(wireType, WIRE_BYTES, info);
      return reader.readString();
    case 'boolean':
      expectWireType(wireType, WIRE_VARINT, info);
      return reader.readBool();
    case 'number':
      if (wireType === WIRE_VARINT) return reader.readInt64();
      if (wireType === WIRE_FIXED64) return reader.readDouble();
      if (wireType === WIRE_FIXED32) return reader.readFloat();
      throw wrongWireType(wireType, info);
    case 'date':
      expectWireType(wireType, WIRE_BYTES, info);
      return readTime(reader.readBytes(), 'seconds');
    case 'int-or-string':
      expectWireType(wireType, WIRE_BYTES, info);
      return readIntOrString(reader.readBytes());
    case 'model':
      expectWireType(wireType, WIRE_BYTES, info);
      return decodeMessage(reader.readBytes(), type.model);
    default:
      // No Kubernetes message puts free-form JSON or nested collections here without a codec.
      reader.skip(wireType);
      return undefined;
  }
}

/** A map entry message: key = 1, value = 2; an absent part is its type's zero value. */
function readMapEntry(bytes: Buffer, valueType: FieldType, info: CompiledField): [string, unknown] {
  const reader = new WireReader(bytes);
  let key = '';
  let value: unknown;
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    if (field === 1) {
      expectWireType(wireType, WIRE_BYTES, info);
      key = reader.readString();
    } else if (field === 2) {
      value = readValue(reader, wireType, valueType, info);
    } else {
      reader.skip(wireType);
    }
  }
  return [key, value === undefined ? zeroValue(valueType, info.codec) : value];
}

function zeroValue(type: FieldType, codec: Codec | undefined): unknown {
  if (codec === 'quantity') return '0';
  if (codec) return codec === 'bytes' ? '' : null;
  switch (type.kind) {
    case 'string':
      return '';
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'model':
      return {};
    default:
      return null;
  }
}

/** `metav1.Time` / `MicroTime`: Timestamp {seconds = 1, nanos = 2}; an empty message is the zero time. */
function readTime(bytes: Buffer, precision: 'seconds' | 'micros'): string | null {
  if (bytes.length === 0) return null;
  const reader = new WireReader(bytes);
  let seconds = 0;
  let nanos = 0;
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    if (field === 1 && wireType === WIRE_VARINT) seconds = reader.readInt64();
    else if (field === 2 && wireType === WIRE_VARINT) nanos = reader.readInt64();
    else reader.skip(wireType);
  }
  return formatGoTime(seconds, nanos, precision);
}

/** `resource.Quantity`: {string = 1}, always the canonical text Go's marshaller wrote. */
function readQuantity(bytes: Buffer): string {
  const reader = new WireReader(bytes);
  let text = '0';
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    if (field === 1 && wireType === WIRE_BYTES) text = reader.readString();
    else reader.skip(wireType);
  }
  return text;
}

/** `intstr.IntOrString`: {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}. */
function readIntOrString(bytes: Buffer): number | string {
  const reader = new WireReader(bytes);
  let kind = 0;
  let intVal = 0;
  let strVal = '';
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    if (field === 1 && wireType === WIRE_VARINT) kind = reader.readInt64();
    else if (field === 2 && wireType === WIRE_VARINT) intVal = reader.readInt64();
    else if (field === 3 && wireType === WIRE_BYTES) strVal = reader.readString();
    else reader.skip(wireType);
  }
  return kind === 1 ? strVal : intVal;
}

/** `metav1.Duration`: {duration = 1} in nanoseconds. */
function readDuration(bytes: Buffer): string {
  const reader = new WireReader(bytes);
  let nanoseconds = 0n;
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    if (field === 1 && wireType === WIRE_VARINT) nanoseconds = BigInt.asIntN(64, reader.readVarint());
    else reader.skip(wireType);
  }
  return formatGoDuration(nanoseconds);
}

/** `runtime.RawExtension` / `metav1.FieldsV1`: {raw = 1} holding JSON; no bytes is JSON `null`. */
function readRawJson(bytes: Buffer, info: CompiledField): unknown {
  const reader = new WireReader(bytes);
  let raw: Buffer | undefined;
  while (!reader.done) {
    const { field, wireType } = reader.readTag();
    if (field === 1 && wireType === WIRE_BYTES) raw = reader.readBytes();
    else reader.skip(wireType);
  }
  if (!raw || raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WireFormatError(`field ${info.name} does not hold JSON`);
  }
}

function compile(table: string, model: string): Map<number, CompiledField> {
  const cacheKey = `${table}\u0000${model}`;
  const cached = compiled.get(cacheKey);
  if (cached) return cached;
  const numbers = FIELD_NUMBERS[table];
  if (!numbers) throw new WireFormatError(`no protobuf schema for ${table}`);
  const types = modelFields(model);
  const fields = new Map<number, CompiledField>();
  for (const [number, entry] of Object.entries(numbers)) {
    const match = ENTRY.exec(entry);
    if (!match) throw new Error(`malformed field-number entry ${table}.${number}: ${entry}`);
    const [, name, zero, suffix] = match;
    const field: CompiledField = { name, omitZero: zero === '?' };
    if (suffix?.startsWith('inline=')) {
      field.inline = suffix.slice('inline='.length);
    } else {
      if (suffix !== undefined) {
        if (!CODECS.includes(suffix)) throw new Error(`unknown codec in ${table}.${number}: ${entry}`);
        field.codec = suffix as Codec;
      }
      field.type = types?.get(name)?.type;
      // A field the model does not know cannot be typed, and JSON validation would drop it anyway.
      if (!field.type) continue;
    }
    fields.set(Number(number), field);
  }
  compiled.set(cacheKey, fields);
  return fields;
}

function isPackable(items: FieldType, info: CompiledField): boolean {
  return !info.codec && (items.kind === 'number' || items.kind === 'boolean');
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectWireType(actual: number, expected: number, info: CompiledField): void {
  if (actual !== expected) throw wrongWireType(actual, info);
}

function wrongWireType(wireType: number, info: CompiledField): WireFormatError {
  return new WireFormatError(`wrong wireType = ${wireType} for field ${info.name}`);
}
