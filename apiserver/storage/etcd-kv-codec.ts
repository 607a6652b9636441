/**
 * The protobuf messages of etcd's KV Range and Txn calls (etcdserverpb, mvccpb), encoded and decoded
 * by hand so the API server's hot calls skip the generic gRPC machinery.
 *
 * Contract: requests take the etcd3 client's request shapes and encode what its serialiser would
 * (every field that is set, 0 and false included; enums by name or number). Responses come back in
 * the shapes the etcd3 client returns: 64-bit integers as decimal strings, bytes as Buffers that view
 * the response, unset scalars as their defaults, an absent message as null, and for a `oneof` only
 * the member that is set plus its name (`response: 'response_put'`). A request this codec cannot
 * encode exactly (a string where bytes belong, a fractional revision) yields undefined, so the caller
 * sends it the ordinary way.
 */
import type {
  ICompare,
  IDeleteRangeRequest,
  IDeleteRangeResponse,
  IKeyValue,
  IPutRequest,
  IPutResponse,
  IRangeRequest,
  IRangeResponse,
  IRequestOp,
  IResponseHeader,
  IResponseOp,
  ITxnRequest,
  ITxnResponse,
} from 'etcd3';

export class EtcdCodecError extends Error {}

/** A request this codec will not encode; callers fall back to the generic client. */
class Unencodable extends Error {}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const COMPARE_RESULT: Readonly<Record<string, number>> = { Equal: 0, Greater: 1, Less: 2, NotEqual: 3 };
const COMPARE_TARGET: Readonly<Record<string, number>> = {
  Version: 0,
  Create: 1,
  Mod: 2,
  Value: 3,
  Lease: 4,
};
const SORT_ORDER: Readonly<Record<string, number>> = { None: 0, Ascend: 1, Descend: 2 };
const SORT_TARGET: Readonly<Record<string, number>> = { Key: 0, Version: 1, Create: 2, Mod: 3, Value: 4 };

const TWO_32 = 2 ** 32;

class Writer {
  buf: Buffer;
  pos: number;

  constructor(reserve = 0, size = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(size, reserve + 16));
    this.pos = reserve;
  }

  private ensure(more: number): void {
    if (this.pos + more <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + more));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** A non-negative safe integer. */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (value >= 0x80) {
      buf[pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** Any 64-bit value, as its two's complement bit pattern. */
  varintBig(value: bigint): void {
    let bits = BigInt.asUintN(64, value);
    this.ensure(10);
    while (bits >= 0x80n) {
      this.buf[this.pos++] = Number(bits & 0x7fn) | 0x80;
      bits >>= 7n;
    }
    this.buf[this.pos++] = Number(bits);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** The bytes written after `start` (a sub-message), moved behind their length prefix. */
  finishMessage(field: number, start: number): void {
    const length = this.pos - start;
    const tag = field * 8 + WIRE_BYTES;
    const prefix = varintSize(tag) + varintSize(length);
    this.ensure(prefix);
    this.buf.copy(this.buf, start + prefix, start, this.pos);
    let pos = start;
    pos = putVarint(this.buf, pos, tag);
    putVarint(this.buf, pos, length);
    this.pos += prefix;
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function putVarint(buf: Buffer, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buf[pos++] = value;
  return pos;
}

/** Whether a request field is set, as the etcd3 serialiser decides it. */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function writeInt64(w: Writer, field: number, value: unknown): void {
  if (!isSet(value)) return;
  w.tag(field, WIRE_VARINT);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Unencodable();
    if (value >= 0) w.varint(value);
    else w.varintBig(BigInt(value));
  } else if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const big = BigInt(value);
    if (big < -(2n ** 63n) || big >= 2n ** 64n) throw new Unencodable();
    w.varintBig(big);
  } else {
    throw new Unencodable();
  }
}

function writeBool(w: Writer, field: number, value: unknown): void {
  if (!isSet(value)) return;
  w.tag(field, WIRE_VARINT);
  w.varint(value ? 1 : 0);
}

function writeBytes(w: Writer, field: number, value: unknown): void {
  if (!isSet(value)) return;
  // The generic serialiser reads strings as base64; nothing here sends them, so they go its way.
  if (!(value instanceof Uint8Array)) throw new Unencodable();
  w.tag(field, WIRE_BYTES);
  w.varint(value.length);
  w.raw(value);
}

function writeEnum(w: Writer, field: number, value: unknown, names: Readonly<Record<string, number>>): void {
  if (!isSet(value)) return;
  let number: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) number = value;
  else if (typeof value === 'string' && Object.hasOwn(names, value)) number = names[value];
  if (number === undefined) throw new Unencodable();
  w.tag(field, WIRE_VARINT);
  w.varint(number);
}

function writeMessage<T>(
  w: Writer,
  field: number,
  value: T | undefined | null,
  body: (w: Writer, v: T) => void,
): void {
  if (value === undefined || value === null) return;
  const start = w.pos;
  body(w, value);
  w.finishMessage(field, start);
}

function writeRangeRequest(w: Writer, req: IRangeRequest): void {
  writeBytes(w, 1, req.key);
  writeBytes(w, 2, req.range_end);
  writeInt64(w, 3, req.limit);
  writeInt64(w, 4, req.revision);
  writeEnum(w, 5, req.sort_order, SORT_ORDER);
  writeEnum(w, 6, req.sort_target, SORT_TARGET);
  writeBool(w, 7, req.serializable);
  writeBool(w, 8, req.keys_only);
  writeBool(w, 9, req.count_only);
  writeInt64(w, 10, req.min_mod_revision);
  writeInt64(w, 11, req.max_mod_revision);
  writeInt64(w, 12, req.min_create_revision);
  writeInt64(w, 13, req.max_create_revision);
}

function writePutRequest(w: Writer, req: IPutRequest): void {
  writeBytes(w, 1, req.key);
  writeBytes(w, 2, req.value);
  writeInt64(w, 3, req.lease);
  writeBool(w, 4, req.prev_kv);
  writeBool(w, 5, req.ignore_value);
  writeBool(w, 6, req.ignore_lease);
}

function writeDeleteRangeRequest(w: Writer, req: IDeleteRangeRequest): void {
  writeBytes(w, 1, req.key);
  writeBytes(w, 2, req.range_end);
  writeBool(w, 3, req.prev_kv);
}

function writeRequestOp(w: Writer, op: IRequestOp): void {
  writeMessage(w, 1, op.request_range, writeRangeRequest);
  writeMessage(w, 2, op.request_put, writePutRequest);
  writeMessage(w, 3, op.request_delete_range, writeDeleteRangeRequest);
  writeMessage(w, 4, op.request_txn, writeTxnRequest);
}

function writeCompare(w: Writer, compare: ICompare): void {
  writeEnum(w, 1, compare.result, COMPARE_RESULT);
  writeEnum(w, 2, compare.target, COMPARE_TARGET);
  writeBytes(w, 3, compare.key);
  writeInt64(w, 4, compare.version);
  writeInt64(w, 5, compare.create_revision);
  writeInt64(w, 6, compare.mod_revision);
  writeBytes(w, 7, compare.value);
  writeInt64(w, 8, compare.lease);
  writeBytes(w, 64, compare.range_end);
}

function writeRepeated<T>(
  w: Writer,
  field: number,
  items: T[] | undefined,
  body: (w: Writer, v: T) => void,
): void {
  if (!items) return;
  for (const item of items) {
    const start = w.pos;
    if (item !== undefined && item !== null) body(w, item);
    w.finishMessage(field, start);
  }
}

function writeTxnRequest(w: Writer, req: ITxnRequest): void {
  writeRepeated(w, 1, req.compare, writeCompare);
  writeRepeated(w, 2, req.success, writeRequestOp);
  writeRepeated(w, 3, req.failure, writeRequestOp);
}

/** The 5-byte gRPC message prefix (uncompressed, 32-bit length) followed by the message. */
function framed<T>(req: T, body: (w: Writer, v: T) => void): Buffer | undefined {
  const w = new Writer(5);
  try {
    body(w, req);
  } catch (err) {
    if (err instanceof Unencodable) return undefined;
    throw err;
  }
  w.buf[0] = 0;
  w.buf.writeUInt32BE(w.pos - 5, 1);
  return w.buf.subarray(0, w.pos);
}

/** A RangeRequest as a gRPC message frame; undefined when it must go the generic way. */
export function encodeRangeRequest(req: IRangeRequest): Buffer | undefined {
  return framed(req, writeRangeRequest);
}

/** A TxnRequest as a gRPC message frame; undefined when it must go the generic way. */
export function encodeTxnRequest(req: ITxnRequest): Buffer | undefined {
  return framed(req, writeTxnRequest);
}

class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint that fits in 32 bits (tags, lengths, enums, bools); larger ones are an error here. */
  uint32(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    while (shift < 35) {
      if (this.pos >= this.end) throw new EtcdCodecError('truncated varint');
      const byte = buf[this.pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (result > 0xffffffff) break;
        return result;
      }
      shift += 7;
    }
    throw new EtcdCodecError('varint too large');
  }

  /** A 64-bit varint as its decimal text, signed or unsigned. */
  int64Text(signed: boolean): string {
    const buf = this.buf;
    let low = 0;
    let high = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new EtcdCodecError('truncated varint');
      if (shift >= 70) throw new EtcdCodecError('varint longer than 10 bytes');
      const bits = buf[this.pos++] & 0x7f;
      if (shift < 28) low += bits * 2 ** shift;
      else if (shift === 28) {
        low += (bits & 0x0f) * 2 ** 28;
        high += bits >> 4;
      } else high += bits * 2 ** (shift - 32);
      if ((buf[this.pos - 1] & 0x80) === 0) break;
      shift += 7;
    }
    high %= TWO_32;
    if (high === 0) return String(low);
    if (signed && high >= 2 ** 31) {
      return String(BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)));
    }
    if (high < 2 ** 21) return String(high * TWO_32 + low);
    return String((BigInt(high) << 32n) | BigInt(low));
  }

  bytes(): Buffer {
    const length = this.uint32();
    if (length > this.end - this.pos) throw new EtcdCodecError('length exceeds the message');
    const start = this.pos;
    this.pos += length;
    return this.buf.subarray(start, this.pos);
  }

  /** The bounds of a length-delimited value, without a Buffer for it. */
  sub(): { start: number; end: number } {
    const length = this.uint32();
    if (length > this.end - this.pos) throw new EtcdCodecError('length exceeds the message');
    const start = this.pos;
    this.pos += length;
    return { start, end: this.pos };
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.int64Text(false);
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_BYTES:
        this.sub();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new EtcdCodecError(`unsupported wire type ${wireType}`);
    }
  }

  private advance(bytes: number): void {
    if (this.end - this.pos < bytes) throw new EtcdCodecError('truncated message');
    this.pos += bytes;
  }
}

const EMPTY = Buffer.alloc(0);

/** Reads the fields of one message; `field` returns false for fields it does not know. */
function readFields(
  buf: Buffer,
  start: number,
  end: number,
  field: (r: Reader, number: number, wireType: number) => boolean,
): void {
  const r = new Reader(buf, start, end);
  while (r.pos < r.end) {
    const tag = r.uint32();
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (number === 0) throw new EtcdCodecError('illegal field number 0');
    if (!field(r, number, wireType)) r.skip(wireType);
  }
}

function expectWire(actual: number, expected: number): void {
  if (actual !== expected) throw new EtcdCodecError(`unexpected wire type ${actual}`);
}

function readHeader(buf: Buffer, start: number, end: number): IResponseHeader {
  const header: IResponseHeader = { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' };
  readFields(buf, start, end, (r, field, wire) => {
    if (field < 1 || field > 4) return false;
    expectWire(wire, WIRE_VARINT);
    if (field === 1) header.cluster_id = r.int64Text(false);
    else if (field === 2) header.member_id = r.int64Text(false);
    else if (field === 3) header.revision = r.int64Text(true);
    else header.raft_term = r.int64Text(false);
    return true;
  });
  return header;
}

function readKeyValue(buf: Buffer, start: number, end: number): IKeyValue {
  const kv: IKeyValue = {
    key: EMPTY,
    create_revision: '0',
    mod_revision: '0',
    version: '0',
    value: EMPTY,
    lease: '0',
  };
  readFields(buf, start, end, (r, field, wire) => {
    switch (field) {
      case 1:
        expectWire(wire, WIRE_BYTES);
        kv.key = r.bytes();
        return true;
      case 2:
        expectWire(wire, WIRE_VARINT);
        kv.create_revision = r.int64Text(true);
        return true;
      case 3:
        expectWire(wire, WIRE_VARINT);
        kv.mod_revision = r.int64Text(true);
        return true;
      case 4:
        expectWire(wire, WIRE_VARINT);
        kv.version = r.int64Text(true);
        return true;
      case 5:
        expectWire(wire, WIRE_BYTES);
        kv.value = r.bytes();
        return true;
      case 6:
        expectWire(wire, WIRE_VARINT);
        kv.lease = r.int64Text(true);
        return true;
      default:
        return false;
    }
  });
  return kv;
}

function readSubMessage<T>(r: Reader, wire: number, read: (buf: Buffer, start: number, end: number) => T): T {
  expectWire(wire, WIRE_BYTES);
  const { start, end } = r.sub();
  return read(r.buf, start, end);
}

function readRangeResponse(buf: Buffer, start: number, end: number): IRangeResponse {
  const res = { header: null, kvs: [], more: false, count: '0' } as unknown as IRangeResponse;
  readFields(buf, start, end, (r, field, wire) => {
    switch (field) {
      case 1:
        res.header = readSubMessage(r, wire, readHeader);
        return true;
      case 2:
        res.kvs.push(readSubMessage(r, wire, readKeyValue));
        return true;
      case 3:
        expectWire(wire, WIRE_VARINT);
        res.more = r.uint32() !== 0;
        return true;
      case 4:
        expectWire(wire, WIRE_VARINT);
        res.count = r.int64Text(true);
        return true;
      default:
        return false;
    }
  });
  return res;
}

function readPutResponse(buf: Buffer, start: number, end: number): IPutResponse {
  const res = { header: null, prev_kv: null } as unknown as IPutResponse;
  readFields(buf, start, end, (r, field, wire) => {
    if (field === 1) res.header = readSubMessage(r, wire, readHeader);
    else if (field === 2) res.prev_kv = readSubMessage(r, wire, readKeyValue);
    else return false;
    return true;
  });
  return res;
}

function readDeleteRangeResponse(buf: Buffer, start: number, end: number): IDeleteRangeResponse {
  const res = { header: null, deleted: '0', prev_kvs: [] } as unknown as IDeleteRangeResponse;
  readFields(buf, start, end, (r, field, wire) => {
    if (field === 1) res.header = readSubMessage(r, wire, readHeader);
    else if (field === 2) {
      expectWire(wire, WIRE_VARINT);
      res.deleted = r.int64Text(true);
    } else if (field === 3) res.prev_kvs.push(readSubMessage(r, wire, readKeyValue));
    else return false;
    return true;
  });
  return res;
}

const RESPONSE_OP_MEMBERS = [
  'response_range',
  'response_put',
  'response_delete_range',
  'response_txn',
] as const;

function readResponseOp(buf: Buffer, start: number, end: number): IResponseOp {
  const op: Record<string, unknown> = {};
  readFields(buf, start, end, (r, field, wire) => {
    if (field < 1 || field > 4) return false;
    const member = RESPONSE_OP_MEMBERS[field - 1];
    // A oneof holds one member: a later one replaces an earlier one, as protobuf decoders do.
    for (const other of RESPONSE_OP_MEMBERS) delete op[other];
    if (field === 1) op[member] = readSubMessage(r, wire, readRangeResponse);
    else if (field === 2) op[member] = readSubMessage(r, wire, readPutResponse);
    else if (field === 3) op[member] = readSubMessage(r, wire, readDeleteRangeResponse);
    else op[member] = readSubMessage(r, wire, readTxnResponse);
    op.response = member;
    return true;
  });
  return op as unknown as IResponseOp;
}

function readTxnResponse(buf: Buffer, start: number, end: number): ITxnResponse {
  const res = { header: null, succeeded: false, responses: [] } as unknown as ITxnResponse;
  readFields(buf, start, end, (r, field, wire) => {
    if (field === 1) res.header = readSubMessage(r, wire, readHeader);
    else if (field === 2) {
      expectWire(wire, WIRE_VARINT);
      res.succeeded = r.uint32() !== 0;
    } else if (field === 3) res.responses.push(readSubMessage(r, wire, readResponseOp));
    else return false;
    return true;
  });
  return res;
}

/** A RangeResponse message (without the gRPC prefix). */
export function decodeRangeResponse(message: Buffer): IRangeResponse {
  return readRangeResponse(message, 0, message.length);
}

/** A TxnResponse message (without the gRPC prefix). */
export function decodeTxnResponse(message: Buffer): ITxnResponse {
  return readTxnResponse(message, 0, message.length);
}
