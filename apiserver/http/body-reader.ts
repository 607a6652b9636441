/**
 * Reads request bodies into `req.body` as a Buffer, for every route. The common request (no
 * Content-Encoding, a Content-Length within the limit) is read here with one listener per event;
 * anything else (chunked, compressed, too large, already read) goes to Express's raw body parser,
 * which answers those cases (decompression, 413, 415) exactly as before.
 *
 * `req.body` ends up as Express's raw parser leaves it: undefined for requests without a body, a
 * Buffer (possibly empty) otherwise.
 */
import type { IncomingMessage } from 'node:http';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The error Express's raw parser reports for a body cut short; the error middleware answers 400. */
class BodyAborted extends Error {
  readonly status = 400;
  readonly type = 'request.aborted';
  constructor() {
    super('request aborted');
  }
}

/** The declared length when this reader can take the body, undefined when the raw parser should. */
export function plainBodyLength(req: IncomingMessage, limit: number): number | undefined {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
  const declared = headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) return undefined;
  const length = Number(declared);
  return length <= limit ? length : undefined;
}

export function bodyReader(limit: number): RequestHandler {
  const fallback = express.raw({ type: () => true, limit });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      // No body at all (GET, most DELETEs): what the raw parser decides for these too.
      req.body = undefined;
      next();
      return;
    }
    const length = req.readableEnded ? undefined : plainBodyLength(req, limit);
    if (length === undefined) {
      fallback(req, res, next);
      return;
    }
    if (length === 0) {
      // Node ends a zero-length body at once; it still has to be consumed to count as read.
      req.body = Buffer.alloc(0);
      req.resume();
      next();
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
      if (err) return next(err);
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      next();
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    };
    // Node's parser ends the body after exactly Content-Length bytes, or reports an abort.
    const onEnd = () => settle(received === length ? undefined : new BodyAborted());
    const onAborted = () => settle(new BodyAborted());
    const onError = () => settle(new BodyAborted());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  };
}
