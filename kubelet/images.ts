/**
 * The local images Kubicle runs on, built without a registry: `docker import` of a root filesystem
 * made in memory around the host's static busybox (Debian's busybox-static).
 *
 * - `kubicle/pause:3.9` (also `registry.k8s.io/pause:3.9`): the sandbox. Its entrypoint is a busybox
 *   shell that sleeps forever and exits 0 on SIGTERM/SIGINT; a plain `sleep` as PID 1 would ignore
 *   SIGTERM (PID 1 gets no default signal actions) and every pod stop would wait for SIGKILL.
 * - `kubicle/busybox:latest` (also `busybox:latest`, which is what `image: busybox` resolves to): busybox
 *   with every applet linked where `busybox --list-full` places it, /etc/passwd and /etc/group, /tmp,
 *   /var/www/index.html for `httpd`, and `CMD ["sh"]` like the official image.
 *
 * Idempotent: each image carries a label with the hash of its root filesystem and settings; an image
 * whose label matches is left alone. Aliases are only (re)pointed when free or held by an earlier
 * Kubicle build, so a genuine busybox pulled from a registry is never overwritten.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { buildTar } from './ustar.js';
import type { TarEntry } from './ustar.js';

export const PAUSE_IMAGE = 'kubicle/pause:3.9';
export const BUSYBOX_IMAGE = 'kubicle/busybox:latest';
export const IMAGE_HASH_LABEL = 'kubicle.image.hash';
export const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];

/** Fixed, so that identical content gives an identical archive and hash. */
const ROOTFS_MTIME = new Date('2024-01-01T00:00:00Z');
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PAUSE_SCRIPT = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done";

export interface LocalImage {
  reference: string;
  aliases: string[];
  rootfs: TarEntry[];
  /** Dockerfile instructions applied by the import (`docker import --change`). */
  changes: string[];
}

export interface EnsuredImage {
  reference: string;
  id: string;
  /** False when an identical image was already there. */
  built: boolean;
  /** Aliases left alone because an image Kubicle did not build holds them. */
  aliasesSkipped: string[];
}

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
];
const GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'bin:x:2:',
  'sys:x:3:',
  'tty:x:5:',
  'www-data:x:33:',
  'nogroup:x:65534:',
];
const INDEX_HTML = '<html><body><h1>It works!</h1><p>Served by busybox httpd in Kubicle.</p></body></html>\n';

function text(lines: string[]): Buffer {
  return Buffer.from(lines.join('\n') + '\n');
}

/** Every directory above the given paths, parents first, so the archive extracts in order. */
function parentDirectories(paths: string[]): string[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

function splitReference(reference: string): { repo: string; tag: string } {
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/'))
    return { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repo: reference, tag: 'latest' };
}

export function pauseImage(busybox: Buffer): LocalImage {
  return {
    reference: PAUSE_IMAGE,
    aliases: ['registry.k8s.io/pause:3.9'],
    rootfs: [
      { type: 'directory', path: 'bin' },
      { type: 'file', path: 'bin/busybox', mode: 0o755, content: busybox },
      { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
      { type: 'symlink', path: 'bin/sleep', target: '/bin/busybox' },
    ],
    changes: [`ENV ${PATH_ENV}`, `ENTRYPOINT ${JSON.stringify(['/bin/sh', '-c', PAUSE_SCRIPT])}`],
  };
}

/** `appletPaths` as `busybox --list-full` prints them (`bin/sh`, `usr/bin/wget`, ...). */
export function busyboxImage(busybox: Buffer, appletPaths: string[]): LocalImage {
  const applets = appletPaths.map((p) => p.replace(/^\/+/, '')).filter((p) => p && p !== 'bin/busybox');
  const fixedDirs = ['bin', 'etc', 'home', 'root', 'sbin', 'usr/bin', 'usr/sbin', 'var/www'];
  const dirs = [
    ...new Set([...parentDirectories(applets), ...parentDirectories(fixedDirs.map((d) => `${d}/x`))]),
  ];
  dirs.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  return {
    reference: BUSYBOX_IMAGE,
    aliases: ['busybox:latest'],
    rootfs: [
      ...dirs.map((path): TarEntry => ({ type: 'directory', path, mode: path === 'root' ? 0o700 : 0o755 })),
      { type: 'directory', path: 'tmp', mode: 0o1777 },
      { type: 'file', path: 'bin/busybox', mode: 0o755, content: busybox },
      ...applets.map((path): TarEntry => ({ type: 'symlink', path, target: '/bin/busybox' })),
      { type: 'file', path: 'etc/passwd', content: text(PASSWD) },
      { type: 'file', path: 'etc/group', content: text(GROUP) },
      { type: 'file', path: 'var/www/index.html', content: Buffer.from(INDEX_HTML) },
    ],
    changes: [`ENV ${PATH_ENV}`, 'CMD ["sh"]'],
  };
}

/** The archive to import and the hash that identifies it (settings included). */
export function imageContent(image: LocalImage): { tar: Buffer; hash: string; changes: string[] } {
  const tar = buildTar(image.rootfs, ROOTFS_MTIME);
  const hash = crypto.createHash('sha256').update(tar).update(image.changes.join('\n')).digest('hex');
  return { tar, hash, changes: [...image.changes, `LABEL ${IMAGE_HASH_LABEL}=${hash}`] };
}

export function findBusybox(candidates = BUSYBOX_PATHS): string {
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(`no busybox found at ${candidates.join(' or ')}; install Debian's busybox-static`);
  }
  return found;
}

function appletPathsOf(busyboxPath: string): string[] {
  const listed = spawnSync(busyboxPath, ['--list-full'], { encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`${busyboxPath} --list-full failed: ${listed.stderr}`);
  return listed.stdout.split('\n').filter(Boolean);
}

async function inspectImage(docker: Docker, reference: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(reference).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

async function importRootfs(
  docker: Docker,
  reference: string,
  tar: Buffer,
  changes: string[],
): Promise<void> {
  const { repo, tag } = splitReference(reference);
  const progress = await docker.importImage(Readable.from([tar]), {
    repo,
    tag,
    changes,
    message: 'kubicle images',
  });
  const events = await new Promise<{ error?: string }[]>((resolve, reject) => {
    docker.modem.followProgress(progress, (err: Error | null, out: { error?: string }[]) =>
      err ? reject(err) : resolve(out),
    );
  });
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(`importing ${reference} failed: ${failed.error}`);
}

async function ensureImage(docker: Docker, image: LocalImage): Promise<EnsuredImage> {
  const { tar, hash, changes } = imageContent(image);
  const before = await inspectImage(docker, image.reference);
  const upToDate = before?.Config?.Labels?.[IMAGE_HASH_LABEL] === hash;
  if (!upToDate) await importRootfs(docker, image.reference, tar, changes);
  const current = await inspectImage(docker, image.reference);
  if (!current) throw new Error(`image ${image.reference} missing right after import`);

  const aliasesSkipped: string[] = [];
  for (const alias of image.aliases) {
    const held = await inspectImage(docker, alias);
    if (held?.Id === current.Id) continue;
    if (held && held.Config?.Labels?.[IMAGE_HASH_LABEL] === undefined) {
      aliasesSkipped.push(alias);
      continue;
    }
    await docker.getImage(current.Id).tag(splitReference(alias));
  }
  // The previous build lost its tags; removing it is a courtesy, and fails harmlessly while in use.
  if (before && before.Id !== current.Id)
    await docker
      .getImage(before.Id)
      .remove()
      .catch(() => undefined);
  return { reference: image.reference, id: current.Id, built: !upToDate, aliasesSkipped };
}

/** `kubicle images`: makes sure the pause and busybox images exist and are current. */
export async function ensureLocalImages(
  docker: Docker,
  options: { busyboxPath?: string } = {},
): Promise<EnsuredImage[]> {
  const busyboxPath = options.busyboxPath ?? findBusybox();
  const busybox = fs.readFileSync(busyboxPath);
  const images = [pauseImage(busybox), busyboxImage(busybox, appletPathsOf(busyboxPath))];
  const results: EnsuredImage[] = [];
  for (const image of images) results.push(await ensureImage(docker, image));
  return results;
}
