/**
 * Reads the protobuf wire format: a sequence of (field number, wire type, value) records. It knows
 * nothing of schemas; callers ask for the value shape the wire type announces. Every read checks the
 * buffer's bounds and throws `WireFormatError` on truncated or malformed input, so a hostile body
 * cannot read past its end or loop forever.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export class WireFormatError extends Error {}

export interface FieldTag {
  field: number;
  wireType: number;
}

export class WireReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  readTag(): FieldTag {
    const tag = this.readVarint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field === 0) throw new WireFormatError('illegal field number 0');
    return { field, wireType };
  }

  /** An unsigned varint of up to 64 bits. */
  readVarint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new WireFormatError('unexpected end of varint');
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, result);
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /**
   * int32 and int64 fields: negative values travel as 64-bit two's complement, so both read the
   * same way.
   */
  readInt64(): number {
    return Number(BigInt.asIntN(64, this.readVarint()));
  }

  readBool(): boolean {
    return this.readVarint() !== 0n;
  }

  readDouble(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  readFloat(): number {
    this.need(4);
    const value = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return value;
  }

  /** A length-delimited value, as a view on the same memory. */
  readBytes(): Buffer {
    const length = this.readVarint();
    if (length > BigInt(this.end - this.pos)) throw new WireFormatError('length exceeds the message');
    const start = this.pos;
    this.pos += Number(length);
    return this.buf.subarray(start, this.pos);
  }

  readString(): string {
    return this.readBytes().toString('utf8');
  }

  /** Steps over a value this reader's caller has no use for. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.readVarint();
        return;
      case WIRE_FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_BYTES:
        this.readBytes();
        return;
      case WIRE_FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        // Groups (3, 4) were never used by Kubernetes; anything else is corruption.
        throw new WireFormatError(`unsupported wire type ${wireType}`);
    }
  }

  private need(bytes: number): void {
    if (this.end - this.pos < bytes) throw new WireFormatError('unexpected end of message');
  }
}
