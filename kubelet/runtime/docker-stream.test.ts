import { Readable } from 'node:stream';
import { DemuxTransform, FrameParser, demuxBuffer } from './docker-stream.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('Docker stream demultiplexing', () => {
  const body = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);

  it('splits a whole body into frames in order', () => {
    expect(demuxBuffer(body).map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'out one\n'],
      ['stderr', 'err\n'],
      ['stdout', 'out two\n'],
    ]);
  });

  it('reassembles frames split anywhere across chunks', () => {
    for (let cut = 1; cut < body.length; cut++) {
      const parser = new FrameParser();
      const frames = [...parser.push(body.subarray(0, cut)), ...parser.push(body.subarray(cut))];
      expect(frames.map((f) => f.payload.toString()).join('')).toBe('out one\nerr\nout two\n');
      expect(parser.leftover).toBe(0);
    }
  });

  it('keeps an unfinished frame as leftover', () => {
    const parser = new FrameParser();
    expect(parser.push(frame(1, 'partial').subarray(0, 10))).toEqual([]);
    expect(parser.leftover).toBe(10);
  });

  it('streams stdout and stderr together as plain bytes', async () => {
    const chunks = [body.subarray(0, 5), body.subarray(5, 21), body.subarray(21)];
    let text = '';
    for await (const chunk of Readable.from(chunks).pipe(new DemuxTransform())) text += String(chunk);
    expect(text).toBe('out one\nerr\nout two\n');
  });
});
