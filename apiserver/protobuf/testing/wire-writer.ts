/**
 * A minimal protobuf writer for tests: builds wire bytes field by field, the way Go's generated
 * marshallers lay them out, so decoder tests state field numbers explicitly instead of trusting the
 * decoder's own tables.
 */

export class WireWriter {
  private readonly parts: Buffer[] = [];

  /** A varint field; negative numbers are 64-bit two's complement, as Go writes int32/int64. */
  varint(field: number, value: number | bigint | boolean): this {
    const n = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
    this.parts.push(tag(field, 0), encodeVarint(BigInt.asUintN(64, n)));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  bytes(field: number, value: Buffer): this {
    this.parts.push(tag(field, 2), encodeVarint(BigInt(value.length)), value);
    return this;
  }

  message(field: number, build: (w: WireWriter) => void): this {
    const inner = new WireWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** Repeated varints in packed form: one length-delimited run. */
  packed(field: number, values: number[]): this {
    return this.bytes(field, Buffer.concat(values.map((v) => encodeVarint(BigInt.asUintN(64, BigInt(v))))));
  }

  double(field: number, value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.parts.push(tag(field, 1), b);
    return this;
  }

  /** Raw bytes appended as they are, for malformed-input tests. */
  raw(bytes: Buffer | number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A full protobuf request body: the `k8s\0` magic and a runtime.Unknown around `object`. */
export function protobufBody(apiVersion: string, kind: string, object: (w: WireWriter) => void): Buffer {
  const unknown = new WireWriter()
    .message(1, (t) => t.string(1, apiVersion).string(2, kind))
    .message(2, object)
    .string(3, '')
    .string(4, '')
    .finish();
  return Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), unknown]);
}

function tag(field: number, wireType: number): Buffer {
  return encodeVarint(BigInt(field) * 8n + BigInt(wireType));
}

function encodeVarint(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Buffer.from(bytes);
}
