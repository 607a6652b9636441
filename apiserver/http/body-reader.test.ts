import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';
import { bodyReader, plainBodyLength } from './body-reader.js';

type FakeRequest = PassThrough & { headers: Record<string, string>; body?: unknown };

function request(headers: Record<string, string>): FakeRequest {
  return Object.assign(new PassThrough(), { headers, method: 'POST', url: '/' });
}

/** Runs the reader over a request fed with `chunks`; resolves with the body or the error handed on. */
function read(
  headers: Record<string, string>,
  chunks: Buffer[],
  limit = 1024,
  feed: (req: FakeRequest) => void = (req) => {
    for (const chunk of chunks) req.write(chunk);
    req.end();
  },
): Promise<{ body?: unknown; error?: { status?: number; type?: string; message: string } }> {
  const req = request(headers);
  return new Promise((resolve) => {
    const next: NextFunction = (err?: unknown) =>
      resolve(err ? { error: err as Error & { status?: number } } : { body: req.body });
    bodyReader(limit)(req as unknown as Request, {} as Response, next);
    feed(req);
  });
}

describe('bodyReader', () => {
  it('leaves the body undefined for a request without one', async () => {
    expect(await read({}, [])).toEqual({ body: undefined });
  });

  it('joins a body that arrives in pieces', async () => {
    const { body } = await read({ 'content-length': '11' }, [Buffer.from('{"a":'), Buffer.from('"bcd"}')]);
    expect(Buffer.isBuffer(body)).toBe(true);
    expect((body as Buffer).toString()).toBe('{"a":"bcd"}');
  });

  it('gives an empty Buffer for Content-Length 0', async () => {
    const { body } = await read({ 'content-length': '0' }, []);
    expect(Buffer.isBuffer(body) && (body as Buffer).length).toBe(0);
  });

  it('reports a body cut short as a 400', async () => {
    const result = await read({ 'content-length': '10' }, [], 1024, (req) => {
      req.write(Buffer.from('abc'));
      req.emit('aborted');
    });
    expect(result.error).toMatchObject({ status: 400, message: 'request aborted' });
  });

  it('hands a body over the limit to the raw parser, which answers 413', async () => {
    const result = await read({ 'content-length': '2000' }, [Buffer.alloc(2000)], 1024);
    expect(result.error).toMatchObject({ status: 413, type: 'entity.too.large' });
  });

  it('hands compressed bodies to the raw parser, which inflates them', async () => {
    const zipped = gzipSync(Buffer.from('{"kind":"Pod"}'));
    const { body } = await read({ 'content-length': String(zipped.length), 'content-encoding': 'gzip' }, [
      zipped,
    ]);
    expect((body as Buffer).toString()).toBe('{"kind":"Pod"}');
  });

  it('hands chunked bodies to the raw parser', async () => {
    const { body } = await read({ 'transfer-encoding': 'chunked' }, [Buffer.from('ab'), Buffer.from('c')]);
    expect((body as Buffer).toString()).toBe('abc');
  });
});

describe('plainBodyLength', () => {
  it.each([
    [{ 'content-length': '12' }, 12],
    [{ 'content-length': '12', 'content-encoding': 'identity' }, 12],
    [{ 'content-length': '12', 'content-encoding': 'gzip' }, undefined],
    [{ 'content-length': '12', 'transfer-encoding': 'chunked' }, undefined],
    [{ 'content-length': '4096' }, undefined],
    [{ 'content-length': 'x' }, undefined],
    [{}, undefined],
  ])('%p → %p', (headers, expected) => {
    expect(plainBodyLength(request(headers) as never, 1024)).toBe(expected);
  });
});
