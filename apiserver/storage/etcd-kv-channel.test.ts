import { BodyCollector, statusError, unaryMessage } from './etcd-kv-channel.js';

function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function collect(chunks: Buffer[]): Buffer {
  const collector = new BodyCollector();
  for (const chunk of chunks) collector.add(chunk);
  return collector.body();
}

function split(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(buf.subarray(at, at + size));
    at += size;
  }
  if (at < buf.length) out.push(buf.subarray(at));
  return out;
}

describe('BodyCollector', () => {
  const message = Buffer.from('x'.repeat(100) + 'end');

  it('uses a body that arrives in one chunk as it is', () => {
    const body = frame(message);
    expect(collect([body])).toBe(body);
  });

  it.each([
    ['inside the prefix', [2, 1, 1]],
    ['right after the prefix', [5, 50]],
    ['in many small pieces', [3, 3, 3, 7, 11, 13, 17, 19]],
  ])('reassembles a body split %s', (_where, sizes) => {
    const body = collect(split(frame(message), sizes));
    expect(unaryMessage(body)?.toString()).toBe(message.toString());
  });

  it('reports a body longer than its prefix announced as malformed', () => {
    const body = collect([...split(frame(message), [10]), Buffer.from('extra')]);
    expect(unaryMessage(body)).toBeUndefined();
  });

  it('reports a body cut short as malformed', () => {
    const whole = frame(message);
    expect(unaryMessage(collect(split(whole.subarray(0, 60), [10])))).toBeUndefined();
  });

  it('reports two messages in one body as malformed', () => {
    expect(unaryMessage(collect([Buffer.concat([frame(message), frame(message)])]))).toBeUndefined();
  });
});

describe('unaryMessage', () => {
  it.each([
    ['an empty body', Buffer.alloc(0)],
    ['a compressed message', Buffer.from([1, 0, 0, 0, 1, 7])],
    ['a short prefix', Buffer.from([0, 0, 0])],
  ])('refuses %s', (_what, body) => {
    expect(unaryMessage(body)).toBeUndefined();
  });

  it('returns the message after the prefix', () => {
    expect(unaryMessage(Buffer.from([0, 0, 0, 0, 2, 8, 1]))).toEqual(Buffer.from([8, 1]));
  });
});

describe('statusError', () => {
  it('words the error as grpc-js does, for the etcd3 client to type it', () => {
    const err = statusError(11, 'etcdserver: mvcc: required revision has been compacted');
    expect(err.message).toBe('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted');
    expect(err).toMatchObject({
      code: 11,
      details: 'etcdserver: mvcc: required revision has been compacted',
    });
  });
});
