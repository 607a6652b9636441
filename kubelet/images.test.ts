import {
  BUSYBOX_IMAGE,
  IMAGE_HASH_LABEL,
  PAUSE_IMAGE,
  busyboxImage,
  imageContent,
  pauseImage,
} from './images.js';
import type { TarEntry } from './ustar.js';

const binary = Buffer.from('\x7fELF fake busybox');
const applets = ['bin/sh', 'bin/cat', 'usr/bin/wget', 'usr/sbin/httpd', 'usr/bin/nslookup', 'sbin/ifconfig'];

function paths(entries: TarEntry[], type: TarEntry['type']): string[] {
  return entries.filter((e) => e.type === type).map((e) => e.path);
}

describe('local image definitions', () => {
  it('gives the pause image a shell entrypoint that exits on SIGTERM and SIGINT', () => {
    const image = pauseImage(binary);
    expect(image.reference).toBe(PAUSE_IMAGE);
    const entrypoint = image.changes.find((c) => c.startsWith('ENTRYPOINT '))!;
    const argv = JSON.parse(entrypoint.slice('ENTRYPOINT '.length)) as string[];
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(argv[2]).toContain("trap 'exit 0' TERM INT");
    expect(paths(image.rootfs, 'symlink')).toEqual(['bin/sh', 'bin/sleep']);
  });

  it('links every applet to busybox, with parent directories first, users, /tmp and a web root', () => {
    const image = busyboxImage(binary, [...applets, 'bin/busybox']);
    expect(image.reference).toBe(BUSYBOX_IMAGE);
    expect(image.aliases).toEqual(['busybox:latest']);
    expect(image.changes).toContain('CMD ["sh"]');
    expect(paths(image.rootfs, 'symlink')).toEqual(applets);
    expect(
      image.rootfs
        .filter((e) => e.type === 'symlink')
        .every((e) => e.type === 'symlink' && e.target === '/bin/busybox'),
    ).toBe(true);
    const dirs = paths(image.rootfs, 'directory');
    expect(dirs).toEqual(
      expect.arrayContaining([
        'bin',
        'etc',
        'sbin',
        'usr',
        'usr/bin',
        'usr/sbin',
        'var',
        'var/www',
        'tmp',
        'root',
      ]),
    );
    expect(dirs.indexOf('usr')).toBeLessThan(dirs.indexOf('usr/bin'));
    expect(image.rootfs.find((e) => e.path === 'tmp')).toMatchObject({ mode: 0o1777 });
    const file = (p: string) =>
      image.rootfs.find((e) => e.path === p && e.type === 'file') as Extract<TarEntry, { type: 'file' }>;
    expect(file('etc/passwd').content.toString()).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh\n/);
    expect(file('etc/group').content.toString()).toContain('nogroup:x:65534:');
    expect(file('var/www/index.html').content.toString()).toContain('It works!');
    expect(file('bin/busybox')).toMatchObject({ mode: 0o755, content: binary });
  });

  it('labels each build with a hash that changes only with the content', () => {
    const first = imageContent(busyboxImage(binary, applets));
    const again = imageContent(busyboxImage(binary, applets));
    const otherBinary = imageContent(busyboxImage(Buffer.from('other'), applets));
    const fewerApplets = imageContent(busyboxImage(binary, applets.slice(1)));
    expect(again.hash).toBe(first.hash);
    expect(new Set([first.hash, otherBinary.hash, fewerApplets.hash]).size).toBe(3);
    expect(first.changes.at(-1)).toBe(`LABEL ${IMAGE_HASH_LABEL}=${first.hash}`);
  });
});
