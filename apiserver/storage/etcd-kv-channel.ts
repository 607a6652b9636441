/**
 * EtcdKvChannel: etcd's KV Range and Txn calls as plain gRPC over one HTTP/2 connection.
 *
 * Every read and write of the API server is one of these two calls, and through the generic client
 * (etcd3 on grpc-js: retry and circuit-breaker policies, interceptors, filters, call objects) each
 * costs the server about twice the CPU of the call itself. This channel sends the same request bytes
 * and returns the same response shapes (see `etcd-kv-codec.ts`) with none of that in between.
 *
 * Contract:
 * - Results and etcd's own errors are what the etcd3 client gives: a non-OK status becomes the same
 *   typed error (`castGrpcError`).
 * - Anything else goes to the etcd3 client, which keeps its retries and fail-over: a request the codec
 *   cannot encode, a call while the connection is down (and for a second after it failed), a call
 *   whose stream broke before a status arrived, and a status the etcd3 client retries (unavailable,
 *   internal, ...). A write resent that way may have been applied already, exactly as when the etcd3
 *   client retries it; the stores' compares turn that into a conflict, never into a second write.
 * - Only for one plain-HTTP endpoint without authentication: TLS, authentication and several endpoints
 *   (with the client's fail-over between them) stay with the etcd3 client (`kvCallsFor`).
 */
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { castGrpcError, isRecoverableError } from 'etcd3';
import type { IRangeRequest, IRangeResponse, ITxnRequest, ITxnResponse } from 'etcd3';
import {
  decodeRangeResponse,
  decodeTxnResponse,
  EtcdCodecError,
  encodeRangeRequest,
  encodeTxnRequest,
} from './etcd-kv-codec.js';

/** The two etcd calls the storage layer makes; the etcd3 client's `kv` satisfies it. */
export interface KvCalls {
  range(req: IRangeRequest): Promise<IRangeResponse>;
  txn(req: ITxnRequest): Promise<ITxnResponse>;
}

/** After a failed connection, calls go to the fallback this long before the channel tries again. */
const RECONNECT_AFTER_MS = 1000;

/** gRPC's status names, for error messages worded as grpc-js words them. */
const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const RANGE_PATH = '/etcdserverpb.KV/Range';
const TXN_PATH = '/etcdserverpb.KV/Txn';

/** The error grpc-js reports for a non-OK status, before the etcd3 client types it. */
export function statusError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`), {
    code,
    details,
  });
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** grpc-js percent-decodes status messages the same way. */
function statusDetails(raw: string | undefined): string {
  if (raw === undefined) return '';
  try {
    return decodeURI(raw);
  } catch {
    return raw;
  }
}

/** What a finished stream delivered: undefined when it broke before a status arrived. */
interface CallOutcome {
  status: number;
  details: string;
  body: Buffer;
}

/** The single gRPC message of a unary response body, or undefined when the body is not one. */
export function unaryMessage(body: Buffer): Buffer | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) return undefined;
  return body.subarray(5);
}

/**
 * Collects a unary response body. Once the gRPC prefix has announced the message length, chunks are
 * copied into one buffer of that size as they arrive, so a large LIST needs no second copy of the
 * whole body at the end; a body that arrives in one chunk is used as it is.
 */
export class BodyCollector {
  private chunks: Buffer[] = [];
  private received = 0;
  private whole: Buffer | undefined;
  private overflowed = false;

  add(chunk: Buffer): void {
    const whole = this.whole;
    if (whole) {
      if (this.received + chunk.length > whole.length) this.overflowed = true;
      else chunk.copy(whole, this.received);
      this.received += chunk.length;
      return;
    }
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.received < 5) return;
    const head = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
    const total = 5 + head.readUInt32BE(1);
    // Still in the one chunk it arrived in, or more than one message: left to `body()` as it is.
    if (this.received >= total) return;
    this.whole = Buffer.allocUnsafe(total);
    head.copy(this.whole, 0);
    this.chunks = [];
  }

  /** The body as received; one that overflowed its announced length comes back empty (malformed). */
  body(): Buffer {
    if (this.overflowed) return Buffer.alloc(0);
    if (this.whole)
      return this.received === this.whole.length ? this.whole : this.whole.subarray(0, this.received);
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
  }
}

export class EtcdKvChannel implements KvCalls {
  private session: ClientHttp2Session | undefined;
  private activeCalls = 0;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly fallback: KvCalls,
    private readonly now: () => number = Date.now,
  ) {}

  range(req: IRangeRequest): Promise<IRangeResponse> {
    return this.call(RANGE_PATH, encodeRangeRequest(req), decodeRangeResponse, () =>
      this.fallback.range(req),
    );
  }

  txn(req: ITxnRequest): Promise<ITxnResponse> {
    return this.call(TXN_PATH, encodeTxnRequest(req), decodeTxnResponse, () => this.fallback.txn(req));
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  private async call<T>(
    path: string,
    frame: Buffer | undefined,
    decode: (message: Buffer) => T,
    fallback: () => Promise<T>,
  ): Promise<T> {
    const session = frame && !this.closed ? this.currentSession() : undefined;
    if (!session || !frame) return fallback();
    const outcome = await this.send(session, path, frame);
    if (!outcome) return fallback();
    if (outcome.status !== 0) {
      const error = castGrpcError(statusError(outcome.status, outcome.details));
      if (isRecoverableError(error)) return fallback();
      throw error;
    }
    const message = unaryMessage(outcome.body);
    if (!message) throw castGrpcError(statusError(13, 'malformed response message from etcd'));
    try {
      return decode(message);
    } catch (err) {
      if (err instanceof EtcdCodecError)
        throw castGrpcError(statusError(13, `bad response from etcd: ${err.message}`));
      throw err;
    }
  }

  private send(session: ClientHttp2Session, path: string, frame: Buffer): Promise<CallOutcome | undefined> {
    return new Promise((resolve) => {
      let stream: ClientHttp2Stream;
      try {
        stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-accept-encoding': 'identity',
        });
      } catch {
        resolve(undefined);
        return;
      }
      if (this.activeCalls++ === 0) session.ref();
      const collected = new BodyCollector();
      let httpStatus: number | undefined;
      let grpcStatus: string | undefined;
      let grpcMessage: string | undefined;
      const readStatus = (headers: IncomingHttpHeaders) => {
        const status = headerText(headers['grpc-status']);
        if (status !== undefined) {
          grpcStatus = status;
          grpcMessage = headerText(headers['grpc-message']);
        }
      };
      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status']);
        // A trailers-only response carries the status in its headers.
        readStatus(headers);
      });
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => collected.add(chunk));
      // Failures show up as a close without a status; the error itself needs no handling here.
      stream.on('error', () => undefined);
      stream.on('close', () => {
        if (--this.activeCalls === 0 && !session.destroyed) session.unref();
        const status = grpcStatus === undefined ? NaN : Number(grpcStatus);
        if (httpStatus !== 200 || !Number.isInteger(status) || status < 0) {
          resolve(undefined);
          return;
        }
        resolve({
          status,
          details: statusDetails(grpcMessage),
          body: collected.body(),
        });
      });
      stream.end(frame);
    });
  }

  private currentSession(): ClientHttp2Session | undefined {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    if (this.now() < this.retryAt) return undefined;
    const session = http2.connect(this.url, {
      // As grpc-js: Node's session memory cap only degrades a busy connection.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    });
    const drop = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on('error', () => {
      this.retryAt = this.now() + RECONNECT_AFTER_MS;
      drop();
    });
    session.on('goaway', drop);
    session.on('close', drop);
    session.unref();
    this.session = session;
    return session;
  }
}

/** The host of a plain-HTTP endpoint as the etcd3 client reads it (`http://h:p` or `h:p`). */
function plainEndpoint(endpoint: string): string | undefined {
  if (endpoint.startsWith('https://')) return undefined;
  const hostPort = endpoint.replace(/^http:\/\//, '');
  return /^[^/]+:\d+$/.test(hostPort) ? `http://${hostPort}` : undefined;
}

/**
 * The KV calls for a client of `endpoints` that uses no authentication: the lean channel for one
 * plain-HTTP etcd, the etcd3 client's own otherwise (TLS, fail-over between endpoints).
 */
export function kvCallsFor(endpoints: string[], fallback: KvCalls): { kv: KvCalls; close(): void } {
  const url = endpoints.length === 1 ? plainEndpoint(endpoints[0]) : undefined;
  if (!url) return { kv: fallback, close: () => undefined };
  const channel = new EtcdKvChannel(url, fallback);
  return { kv: channel, close: () => channel.close() };
}
