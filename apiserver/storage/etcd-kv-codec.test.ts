import {
  decodeRangeResponse,
  decodeTxnResponse,
  EtcdCodecError,
  encodeRangeRequest,
  encodeTxnRequest,
} from './etcd-kv-codec.js';

/** Protobuf by hand, for fixtures: a tag and varint, or a tag and length-delimited bytes. */
function varint(value: bigint): number[] {
  const out: number[] = [];
  let bits = BigInt.asUintN(64, value);
  while (bits >= 0x80n) {
    out.push(Number(bits & 0x7fn) | 0x80);
    bits >>= 7n;
  }
  out.push(Number(bits));
  return out;
}
const intField = (field: number, value: bigint | number) => [
  ...varint(BigInt(field * 8)),
  ...varint(BigInt(value)),
];
const bytesField = (field: number, bytes: number[] | Buffer) => [
  ...varint(BigInt(field * 8 + 2)),
  ...varint(BigInt(bytes.length)),
  ...bytes,
];
const text = (s: string) => [...Buffer.from(s)];
const message = (...fields: number[][]) => fields.flat();

function unframed(frame: Buffer | undefined): number[] {
  expect(frame).toBeDefined();
  const bytes = frame!;
  expect(bytes[0]).toBe(0);
  expect(bytes.readUInt32BE(1)).toBe(bytes.length - 5);
  return [...bytes.subarray(5)];
}

describe('encodeRangeRequest', () => {
  it('writes every field that is set, zero and false included, in field order', () => {
    const frame = encodeRangeRequest({
      key: Buffer.from('/a'),
      range_end: Buffer.from('/b'),
      limit: 0,
      revision: '42',
      count_only: false,
    });
    expect(unframed(frame)).toEqual(
      message(
        bytesField(1, text('/a')),
        bytesField(2, text('/b')),
        intField(3, 0),
        intField(4, 42),
        intField(9, 0),
      ),
    );
  });

  it('writes enums by name or number and 64-bit values exactly', () => {
    const frame = encodeRangeRequest({
      sort_order: 'Descend',
      sort_target: 3,
      min_mod_revision: -1,
      max_mod_revision: '18446744073709551615',
      max_create_revision: 2 ** 53 - 1,
    });
    expect(unframed(frame)).toEqual(
      message(
        intField(5, 2),
        intField(6, 3),
        intField(10, -1n),
        intField(11, 2n ** 64n - 1n),
        intField(13, 2 ** 53 - 1),
      ),
    );
  });

  it.each([
    ['a key given as a string', { key: 'abc' as unknown as Buffer }],
    ['a fractional revision', { revision: 1.5 }],
    ['an unknown enum name', { sort_order: 'Sideways' as never }],
    ['a revision that is not a number', { revision: '12a' }],
  ])('leaves %s to the generic client', (_what, req) => {
    expect(encodeRangeRequest(req)).toBeUndefined();
  });
});

describe('encodeTxnRequest', () => {
  it('nests compares and operations as length-delimited messages', () => {
    const key = Buffer.from('/k');
    const value = Buffer.alloc(300, 7);
    const frame = encodeTxnRequest({
      compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key, value } }],
      failure: [{ request_range: { key } }],
    });
    const compare = message(intField(1, 0), intField(2, 1), bytesField(3, text('/k')), intField(5, 0));
    const put = message(bytesField(1, text('/k')), bytesField(2, value));
    const range = message(bytesField(1, text('/k')));
    expect(unframed(frame)).toEqual(
      message(bytesField(1, compare), bytesField(2, bytesField(2, put)), bytesField(3, bytesField(1, range))),
    );
  });

  it('encodes an empty transaction as an empty message', () => {
    expect(unframed(encodeTxnRequest({}))).toEqual([]);
  });
});

const header = (revision: number) =>
  message(intField(1, 2n ** 64n - 2n), intField(2, 17), intField(3, revision), intField(4, 3));
const keyValue = (key: string, value: string, mod: number) =>
  message(
    bytesField(1, text(key)),
    intField(2, 5),
    intField(3, mod),
    intField(4, 2),
    bytesField(5, text(value)),
  );

describe('decodeRangeResponse', () => {
  it('returns the etcd3 client shape: 64-bit values as text, bytes as Buffers', () => {
    const res = decodeRangeResponse(
      Buffer.from(
        message(
          bytesField(1, header(9)),
          bytesField(2, keyValue('/a', '{"x":1}', 8)),
          bytesField(2, keyValue('/b', '', 9)),
          intField(3, 1),
          intField(4, 2),
        ),
      ),
    );
    expect(res.header).toEqual({
      cluster_id: '18446744073709551614',
      member_id: '17',
      revision: '9',
      raft_term: '3',
    });
    expect(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.mod_revision])).toEqual([
      ['/a', '{"x":1}', '8'],
      ['/b', '', '9'],
    ]);
    expect(res.kvs[0]).toMatchObject({ create_revision: '5', version: '2', lease: '0' });
    expect(Buffer.isBuffer(res.kvs[0].value)).toBe(true);
    expect(res.more).toBe(true);
    expect(res.count).toBe('2');
  });

  it('fills defaults for what is absent and skips fields it does not know', () => {
    const res = decodeRangeResponse(Buffer.from(message(intField(99, 5), bytesField(98, [1, 2]))));
    expect(res).toEqual({ header: null, kvs: [], more: false, count: '0' });
  });

  it.each([
    [-1n, '-1'],
    [2n ** 53n + 1n, '9007199254740993'],
    [-(2n ** 63n), '-9223372036854775808'],
    [2n ** 32n, '4294967296'],
  ])('reads the int64 %p as %p', (value, expected) => {
    expect(decodeRangeResponse(Buffer.from(intField(4, value))).count).toBe(expected);
  });

  it.each([
    ['a truncated varint', [0x20, 0x80]],
    ['a length past the end', [0x12, 0x05, 1, 2]],
    ['field number 0', [0x00, 0x01]],
    ['a scalar field with a message wire type', bytesField(4, [1])],
  ])('rejects %s', (_what, bytes) => {
    expect(() => decodeRangeResponse(Buffer.from(bytes))).toThrow(EtcdCodecError);
  });
});

describe('decodeTxnResponse', () => {
  it('names the member of each response oneof that is set', () => {
    const range = message(bytesField(1, header(4)), bytesField(2, keyValue('/a', 'v', 4)), intField(4, 1));
    const put = message(bytesField(1, header(5)));
    const deleted = message(bytesField(1, header(5)), intField(2, 1), bytesField(3, keyValue('/b', 'w', 3)));
    const nested = message(intField(2, 1), bytesField(3, bytesField(2, put)));
    const res = decodeTxnResponse(
      Buffer.from(
        message(
          bytesField(1, header(5)),
          intField(2, 1),
          bytesField(3, bytesField(1, range)),
          bytesField(3, bytesField(2, put)),
          bytesField(3, bytesField(3, deleted)),
          bytesField(3, bytesField(4, nested)),
        ),
      ),
    );
    expect(res.succeeded).toBe(true);
    expect(res.header.revision).toBe('5');
    const ops = res.responses as unknown as Record<string, unknown>[];
    expect(ops.map((op) => [op.response, Object.keys(op).sort()])).toEqual([
      ['response_range', ['response', 'response_range']],
      ['response_put', ['response', 'response_put']],
      ['response_delete_range', ['response', 'response_delete_range']],
      ['response_txn', ['response', 'response_txn']],
    ]);
    expect(res.responses[0].response_range.kvs[0].value.toString()).toBe('v');
    expect(res.responses[1].response_put).toEqual({ header: expect.any(Object), prev_kv: null });
    expect(res.responses[2].response_delete_range.deleted).toBe('1');
    expect(res.responses[2].response_delete_range.prev_kvs[0].key.toString()).toBe('/b');
    expect(res.responses[3].response_txn.responses[0].response_put.header.revision).toBe('5');
  });

  it('reads a failed transaction with no responses', () => {
    expect(decodeTxnResponse(Buffer.from(bytesField(1, header(3))))).toEqual({
      header: { cluster_id: '18446744073709551614', member_id: '17', revision: '3', raft_term: '3' },
      succeeded: false,
      responses: [],
    });
  });
});
