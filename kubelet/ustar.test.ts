import { buildTar, splitTarPath } from './ustar.js';

const MTIME = new Date('2024-01-01T00:00:00Z');

/** Reads the archive back field by field, checking every header checksum on the way. */
function readTar(tar: Buffer) {
  const entries: {
    name: string;
    type: string;
    mode: number;
    size: number;
    mtime: number;
    link: string;
    content: string;
  }[] = [];
  let offset = 0;
  const field = (block: Buffer, start: number, length: number) =>
    block
      .subarray(start, start + length)
      .toString('utf8')
      .replace(/\0.*$/s, '');
  for (;;) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) break;
    const stored = parseInt(field(block, 148, 8).trim(), 8);
    const copy = Buffer.from(block);
    copy.fill(' ', 148, 156);
    expect(copy.reduce((sum, b) => sum + b, 0)).toBe(stored);
    expect(field(block, 257, 6)).toBe('ustar');
    const size = parseInt(field(block, 124, 12), 8);
    const prefix = field(block, 345, 155);
    const name = field(block, 0, 100);
    entries.push({
      name: prefix ? `${prefix}/${name}` : name,
      type: field(block, 156, 1),
      mode: parseInt(field(block, 100, 8), 8),
      size,
      mtime: parseInt(field(block, 136, 12), 8),
      link: field(block, 157, 100),
      content: tar.subarray(offset + 512, offset + 512 + size).toString('utf8'),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return { entries, end: offset };
}

describe('buildTar', () => {
  it('writes directories, files and symlinks that read back exactly', () => {
    const tar = buildTar(
      [
        { type: 'directory', path: 'bin' },
        { type: 'directory', path: 'tmp', mode: 0o1777 },
        { type: 'file', path: 'bin/tool', mode: 0o755, content: Buffer.from('x'.repeat(600)) },
        { type: 'file', path: '/etc/motd', content: Buffer.from('hello\n') },
        { type: 'symlink', path: 'bin/sh', target: '/bin/tool' },
      ],
      MTIME,
    );
    expect(tar.length % 512).toBe(0);
    const { entries, end } = readTar(tar);
    expect(entries.map(({ content, ...e }) => ({ ...e, content: content.slice(0, 6) }))).toEqual([
      { name: 'bin/', type: '5', mode: 0o755, size: 0, mtime: MTIME.getTime() / 1000, link: '', content: '' },
      {
        name: 'tmp/',
        type: '5',
        mode: 0o1777,
        size: 0,
        mtime: MTIME.getTime() / 1000,
        link: '',
        content: '',
      },
      {
        name: 'bin/tool',
        type: '0',
        mode: 0o755,
        size: 600,
        mtime: MTIME.getTime() / 1000,
        link: '',
        content: 'xxxxxx',
      },
      {
        name: 'etc/motd',
        type: '0',
        mode: 0o644,
        size: 6,
        mtime: MTIME.getTime() / 1000,
        link: '',
        content: 'hello\n',
      },
      {
        name: 'bin/sh',
        type: '2',
        mode: 0o777,
        size: 0,
        mtime: MTIME.getTime() / 1000,
        link: '/bin/tool',
        content: '',
      },
    ]);
    // Two zero blocks end the archive.
    expect(tar.length - end).toBe(1024);
  });

  it('is deterministic', () => {
    const entries = [{ type: 'file' as const, path: 'a', content: Buffer.from('1') }];
    expect(buildTar(entries, MTIME).equals(buildTar(entries, MTIME))).toBe(true);
  });

  it('splits long paths into prefix and name, and refuses what cannot fit', () => {
    const long = `${'d'.repeat(80)}/${'e'.repeat(60)}/file`;
    expect(splitTarPath(long)).toEqual({ prefix: `${'d'.repeat(80)}/${'e'.repeat(60)}`, name: 'file' });
    const { entries } = readTar(buildTar([{ type: 'file', path: long, content: Buffer.from('') }], MTIME));
    expect(entries[0].name).toBe(long);
    expect(() => splitTarPath('x'.repeat(300))).toThrow('path too long');
  });
});
