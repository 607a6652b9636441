import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Etcd3, GRPCNotFoundError, GRPCOutOfRangeError } from 'etcd3';
import type { IRangeResponse, ITxnResponse } from 'etcd3';
import { EtcdKvChannel, kvCallsFor } from './etcd-kv-channel.js';
import type { KvCalls } from './etcd-kv-channel.js';
import { testEtcdUrl } from '../../e2e/support/test-etcd.js';

/** A fallback that records what reached it and answers with a marker. */
function recordingFallback(): KvCalls & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    range: async () => {
      calls.push('range');
      return { marker: 'fallback' } as unknown as IRangeResponse;
    },
    txn: async () => {
      calls.push('txn');
      return { marker: 'fallback' } as unknown as ITxnResponse;
    },
  };
}

/** Bytes in JSON as text, so responses compare by content. */
const comparable = (value: unknown) =>
  JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
        ? Buffer.from((v as { data: number[] }).data).toString('utf8')
        : v,
    ),
  ) as unknown;

describe('EtcdKvChannel against a real etcd', () => {
  let client: Etcd3;
  let channel: EtcdKvChannel;
  let prefix: string;

  beforeAll(() => {
    client = new Etcd3({ hosts: [testEtcdUrl()] });
    channel = new EtcdKvChannel(testEtcdUrl(), recordingFallback());
  });
  beforeEach(() => {
    prefix = `/kubicle-channel-test-${randomBytes(6).toString('hex')}/`;
  });
  afterEach(async () => {
    await client.delete().prefix(prefix);
  });
  afterAll(() => {
    channel.close();
    client.close();
  });

  it('reads exactly what the etcd3 client reads', async () => {
    for (let i = 0; i < 5; i++) await client.put(`${prefix}k${i}`).value(`{"i":${i}}`);
    const requests = [
      { key: Buffer.from(prefix), range_end: Buffer.from(`${prefix.slice(0, -1)}0`) },
      { key: Buffer.from(prefix), range_end: Buffer.from(`${prefix.slice(0, -1)}0`), limit: 2 },
      { key: Buffer.from(prefix), range_end: Buffer.from(`${prefix.slice(0, -1)}0`), count_only: true },
      { key: Buffer.from(`${prefix}missing`) },
    ];
    for (const req of requests) {
      const [lean, generic] = [await channel.range(req), await client.kv.range(req)];
      expect(comparable(lean)).toEqual(comparable(generic));
    }
  });

  it('writes with a transaction and reports the compare outcome and failure reads', async () => {
    const key = Buffer.from(`${prefix}a`);
    const create = {
      compare: [{ key, target: 'Create' as const, result: 'Equal' as const, create_revision: 0 }],
      success: [{ request_put: { key, value: Buffer.from('one') } }],
      failure: [{ request_range: { key } }],
    };
    const first = await channel.txn(create);
    expect(first.succeeded).toBe(true);
    expect(first.responses[0].response_put.header.revision).toBe(first.header.revision);
    const second = await channel.txn(create);
    expect(second.succeeded).toBe(false);
    const current = second.responses[0].response_range.kvs[0];
    expect(current.value.toString()).toBe('one');
    expect(current.mod_revision).toBe(first.header.revision);
    expect((await client.get(`${prefix}a`).string()) ?? '').toBe('one');
  });

  it('types etcd errors as the etcd3 client does', async () => {
    await client.put(`${prefix}c`).value('1');
    const revision = Number((await client.kv.range({ key: Buffer.from(`${prefix}c`) })).header.revision);
    const future = { key: Buffer.from(prefix), revision: revision + 100_000 };
    const lean = await channel.range(future).catch((err: unknown) => err);
    const generic = await client.kv.range(future).catch((err: unknown) => err);
    expect(lean).toBeInstanceOf(GRPCOutOfRangeError);
    expect((lean as Error).message).toBe((generic as Error).message);
  });
});

describe('EtcdKvChannel when it cannot serve a call', () => {
  let server: http2.Http2Server;
  let url: string;
  let respond: (stream: http2.ServerHttp2Stream) => void;

  beforeAll(async () => {
    server = http2.createServer();
    server.on('stream', (stream) => {
      // A stream the test resets reports that as an error on this side too.
      stream.on('error', () => undefined);
      stream.on('data', () => undefined);
      stream.on('end', () => respond(stream));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function grpcStatus(code: number, message: string) {
    return (stream: http2.ServerHttp2Stream) => {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(code),
          'grpc-message': message,
        },
        { endStream: true },
      );
    };
  }

  it.each([
    ['UNAVAILABLE', grpcStatus(14, 'etcdserver: leader changed')],
    ['an HTTP error', (s: http2.ServerHttp2Stream) => s.respond({ ':status': 503 }, { endStream: true })],
    ['a reset stream', (s: http2.ServerHttp2Stream) => s.close(http2.constants.NGHTTP2_INTERNAL_ERROR)],
  ])('hands the call to the etcd3 client after %s', async (_what, behaviour) => {
    respond = behaviour;
    const fallback = recordingFallback();
    const channel = new EtcdKvChannel(url, fallback);
    try {
      await expect(channel.txn({})).resolves.toEqual({ marker: 'fallback' });
      await expect(channel.range({ key: Buffer.from('/a') })).resolves.toEqual({ marker: 'fallback' });
      expect(fallback.calls).toEqual(['txn', 'range']);
    } finally {
      channel.close();
    }
  });

  it('throws the typed error for a status the etcd3 client does not retry, percent-decoded', async () => {
    respond = grpcStatus(5, 'no%20such%20thing');
    const fallback = recordingFallback();
    const channel = new EtcdKvChannel(url, fallback);
    try {
      const err = await channel.range({ key: Buffer.from('/a') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GRPCNotFoundError);
      expect((err as Error).message).toContain('no such thing');
      expect(fallback.calls).toEqual([]);
    } finally {
      channel.close();
    }
  });

  it('reports a response that is not one message as an error, without resending a write', async () => {
    respond = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 9, 1]));
    };
    const fallback = recordingFallback();
    const channel = new EtcdKvChannel(url, fallback);
    try {
      await expect(channel.txn({})).rejects.toThrow('malformed response');
      expect(fallback.calls).toEqual([]);
    } finally {
      channel.close();
    }
  });

  it('decodes a good response from the stream body and trailers', async () => {
    respond = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      // TxnResponse { succeeded: true }
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x10, 0x01]));
    };
    const channel = new EtcdKvChannel(url, recordingFallback());
    try {
      await expect(channel.txn({})).resolves.toEqual({ header: null, succeeded: true, responses: [] });
    } finally {
      channel.close();
    }
  });

  it('sends requests it cannot encode through the etcd3 client', async () => {
    const fallback = recordingFallback();
    const channel = new EtcdKvChannel(url, fallback);
    try {
      await channel.range({ key: 'text' as unknown as Buffer });
      expect(fallback.calls).toEqual(['range']);
    } finally {
      channel.close();
    }
  });

  it('uses the etcd3 client while the endpoint cannot be reached, then tries again', async () => {
    const closed = http2.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    let now = 0;
    const fallback = recordingFallback();
    const channel = new EtcdKvChannel(`http://127.0.0.1:${port}`, fallback, () => now);
    try {
      await channel.range({ key: Buffer.from('/a') }); // the connection fails: resent through the client
      await channel.range({ key: Buffer.from('/a') }); // within the back-off: straight to the client
      now = 5_000;
      await channel.range({ key: Buffer.from('/a') }); // tries to connect again, fails again
      expect(fallback.calls).toEqual(['range', 'range', 'range']);
    } finally {
      channel.close();
    }
  });
});

describe('kvCallsFor', () => {
  const generic = recordingFallback();
  it.each([
    [['http://127.0.0.1:2379'], true],
    [['127.0.0.1:2379'], true],
    [['https://127.0.0.1:2379'], false],
    [['http://127.0.0.1:2379', 'http://127.0.0.1:22379'], false],
  ])('%p uses the lean channel: %p', (endpoints, lean) => {
    const calls = kvCallsFor(endpoints, generic);
    expect(calls.kv instanceof EtcdKvChannel).toBe(lean);
    calls.close();
  });
});
