/**
 * Docker's multiplexed stream format, used by logs and exec of containers without a TTY: a sequence of
 * frames, each an 8-byte header (stream type in byte 0: 1 stdout, 2 stderr; payload length as a
 * big-endian uint32 in bytes 4–7) followed by the payload. Frames may be split across chunks in any
 * place, so parsing keeps the unfinished tail between pushes.
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

export type StreamName = 'stdin' | 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  payload: Buffer;
}

const HEADER_BYTES = 8;
const STREAM_NAMES: Record<number, StreamName> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };

export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  /** The frames completed by this chunk, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - HEADER_BYTES < size) break;
      const start = offset + HEADER_BYTES;
      frames.push({
        stream: STREAM_NAMES[this.pending[offset]] ?? 'stdout',
        payload: this.pending.subarray(start, start + size),
      });
      offset = start + size;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }

  /** Bytes of a frame that never completed; non-empty only when the stream was cut mid-frame. */
  get leftover(): number {
    return this.pending.length;
  }
}

/** Turns a multiplexed stream into the plain bytes of stdout and stderr, interleaved as written. */
export class DemuxTransform extends Transform {
  private readonly parser = new FrameParser();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.parser.push(chunk)) this.push(frame.payload);
    callback();
  }
}

/** For one-shot answers (logs without follow), which Docker sends as a single body. */
export function demuxBuffer(body: Buffer): Frame[] {
  return new FrameParser().push(body);
}
