/**
 * A minimal POSIX ustar writer: regular files, directories and symlinks, built in memory. Enough for
 * the root filesystems `docker import` turns into Kubicle's local images. Output is deterministic (the
 * caller fixes mtimes, owners are root), so the same entries always give the same bytes and the
 * image's content hash only changes when its content does.
 */

export type TarEntry =
  | { type: 'directory'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; content: Buffer }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;
const TYPE_FLAG = { file: '0', symlink: '2', directory: '5' } as const;
const DEFAULT_MODE = { file: 0o644, symlink: 0o777, directory: 0o755 } as const;

/** ustar numbers are zero-padded octal, NUL-terminated, filling the field. */
function writeOctal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

/** Names up to 100 bytes fit as they are; longer ones are split at a slash into prefix and name. */
export function splitTarPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return { prefix, name };
  }
  throw new Error(`path too long for ustar: ${path}`);
}

function header(entry: TarEntry, mtimeSeconds: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const path = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { prefix, name } = splitTarPath(path.replace(/^\/+/, ''));
  const mode = entry.type === 'symlink' ? DEFAULT_MODE.symlink : (entry.mode ?? DEFAULT_MODE[entry.type]);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, entry.type === 'file' ? entry.content.length : 0);
  writeOctal(block, 136, 12, mtimeSeconds);
  block.write(TYPE_FLAG[entry.type], 156, 1, 'ascii');
  if (entry.type === 'symlink') block.write(entry.target, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write('root', 265, 32, 'ascii');
  block.write('root', 297, 32, 'ascii');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  block.write(prefix, 345, 155, 'utf8');
  // The checksum is computed with its own field read as eight spaces.
  block.fill(' ', 148, 156, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

export function buildTar(entries: TarEntry[], mtime: Date): Buffer {
  const mtimeSeconds = Math.floor(mtime.getTime() / 1000);
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry, mtimeSeconds));
    if (entry.type !== 'file') continue;
    parts.push(entry.content);
    const padding = (BLOCK - (entry.content.length % BLOCK)) % BLOCK;
    if (padding) parts.push(Buffer.alloc(padding));
  }
  // Two zero blocks mark the end of the archive.
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
