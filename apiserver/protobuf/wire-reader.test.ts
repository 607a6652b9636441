import {
  WIRE_BYTES,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_VARINT,
  WireFormatError,
  WireReader,
} from './wire-reader.js';

const reader = (bytes: number[]) => new WireReader(Buffer.from(bytes));

describe('WireReader', () => {
  it.each([
    [[0x00], 0],
    [[0x01], 1],
    [[0xac, 0x02], 300],
    [[0xff, 0xff, 0xff, 0xff, 0x07], 2 ** 31 - 1],
    // int32 -1 travels sign-extended to 64 bits, ten bytes long.
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], -1],
    [[0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01], -(2 ** 31)],
    [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x08], 2 ** 52],
  ])('reads the varint %j as the signed integer %d', (bytes, expected) => {
    const r = reader(bytes);
    expect(r.readInt64()).toBe(expected);
    expect(r.done).toBe(true);
  });

  it('reads tags as field number and wire type', () => {
    // field 1 length-delimited, field 16 varint, field 536870911 (the largest) fixed32
    const r = reader([0x0a, 0x80, 0x01, 0xfd, 0xff, 0xff, 0xff, 0x0f]);
    expect(r.readTag()).toEqual({ field: 1, wireType: WIRE_BYTES });
    expect(r.readTag()).toEqual({ field: 16, wireType: WIRE_VARINT });
    expect(r.readTag()).toEqual({ field: 536870911, wireType: WIRE_FIXED32 });
  });

  it('reads strings, bools, doubles and floats', () => {
    const double = Buffer.alloc(8);
    double.writeDoubleLE(2.5);
    const float = Buffer.alloc(4);
    float.writeFloatLE(0.5);
    const r = new WireReader(Buffer.concat([Buffer.from([0x03, 0x61, 0xc3, 0xa9, 0x02]), double, float]));
    expect(r.readString()).toBe('aé');
    expect(r.readBool()).toBe(true);
    expect(r.readDouble()).toBe(2.5);
    expect(r.readFloat()).toBe(0.5);
    expect(r.done).toBe(true);
  });

  it('reads within a window of the buffer only', () => {
    const r = new WireReader(Buffer.from([0x01, 0x02, 0x03]), 1, 2);
    expect(r.readInt64()).toBe(2);
    expect(r.done).toBe(true);
  });

  it.each([
    [WIRE_VARINT, [0x96, 0x01]],
    [WIRE_FIXED64, [1, 2, 3, 4, 5, 6, 7, 8]],
    [WIRE_BYTES, [0x02, 0x68, 0x69]],
    [WIRE_FIXED32, [1, 2, 3, 4]],
  ])('skips a value of wire type %d', (wireType, bytes) => {
    const r = reader([...bytes, 0x07]);
    r.skip(wireType);
    expect(r.readInt64()).toBe(7);
  });

  it.each([
    ['a varint cut short', (r: WireReader) => r.readVarint(), [0x80], /unexpected end of varint/],
    ['an 11-byte varint', (r: WireReader) => r.readVarint(), Array(11).fill(0x80), /longer than 10 bytes/],
    ['a length past the end', (r: WireReader) => r.readBytes(), [0x05, 0x61], /length exceeds/],
    ['a huge length', (r: WireReader) => r.readBytes(), [0xff, 0xff, 0xff, 0xff, 0x0f], /length exceeds/],
    ['a double cut short', (r: WireReader) => r.readDouble(), [1, 2, 3], /unexpected end/],
    ['field number 0', (r: WireReader) => r.readTag(), [0x02], /illegal field number 0/],
    ['a group', (r: WireReader) => r.skip(3), [], /unsupported wire type 3/],
    ['wire type 7', (r: WireReader) => r.skip(7), [], /unsupported wire type 7/],
  ])('rejects %s', (_, read, bytes, message) => {
    expect(() => read(reader(bytes))).toThrow(WireFormatError);
    expect(() => read(reader(bytes))).toThrow(message);
  });
});
