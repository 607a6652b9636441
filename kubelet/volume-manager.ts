/**
 * VolumeManager: makes a pod's volume plan (volume-plan.ts) real on this host's file system.
 *
 * Contract:
 * - `setUp` is idempotent and cheap when nothing changed, so it runs on every sync of a pod; that is
 *   also how changed ConfigMaps and Secrets reach running containers.
 * - File volumes are written the way upstream's AtomicWriter writes them: the files go into a fresh
 *   `..<timestamp>` directory, the `..data` symlink is swapped to it with one rename, and each
 *   top-level name is a symlink through `..data`. A reader in a container sees either the old set
 *   of files or the new one, never a mix. Unchanged content is not rewritten.
 * - hostPath volumes of type DirectoryOrCreate/FileOrCreate are created; Directory, File, Socket,
 *   CharDevice and BlockDevice must exist with that type; an empty type checks nothing.
 * - `tearDown` removes everything of the pod under the data dir (never a hostPath).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { podDir } from './volume-plan.js';
import type { PlannedVolume, VolumeFile } from './volume-plan.js';

const DATA_LINK = '..data';

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function readCurrent(dir: string, files: VolumeFile[]): Promise<boolean> {
  // The current payload matches when every file has the same bytes and mode and no other file is there.
  const dataDir = path.join(dir, DATA_LINK);
  if (!(await exists(dataDir))) return false;
  try {
    const listed = await listFiles(dataDir);
    if (listed.length !== files.length) return false;
    for (const file of files) {
      const full = path.join(dataDir, file.path);
      const [content, stat] = await Promise.all([fs.readFile(full), fs.stat(full)]);
      if (!content.equals(file.content) || (stat.mode & 0o7777) !== file.mode) return false;
    }
    return true;
  } catch {
    return false;
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const result: string[] = [];
  for (const entry of entries) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) result.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else result.push(rel);
  }
  return result;
}

async function writeAtomically(dir: string, files: VolumeFile[]): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (await readCurrent(dir, files)) return;
  const stamp = `..${new Date().toISOString().replace(/[-:.]/g, '_')}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  const payloadDir = path.join(dir, stamp);
  await fs.mkdir(payloadDir, { mode: 0o755 });
  for (const file of files) {
    const target = path.join(payloadDir, file.path);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, file.content);
    await fs.chmod(target, file.mode);
  }
  const previous = await fs.readlink(path.join(dir, DATA_LINK)).catch(() => undefined);
  const tmpLink = path.join(dir, `${DATA_LINK}_tmp`);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(stamp, tmpLink);
  await fs.rename(tmpLink, path.join(dir, DATA_LINK));

  const topLevel = new Set(files.map((f) => f.path.split('/')[0]));
  for (const name of topLevel) {
    const link = path.join(dir, name);
    if (!(await exists(link))) await fs.symlink(path.join(DATA_LINK, name), link);
  }
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith('..') || topLevel.has(entry)) continue;
    await fs.rm(path.join(dir, entry), { force: true, recursive: true });
  }
  if (previous && previous !== stamp) await fs.rm(path.join(dir, previous), { recursive: true, force: true });
}

async function checkHostPath(hostPath: string, type: string): Promise<void> {
  switch (type) {
    case 'DirectoryOrCreate':
      await fs.mkdir(hostPath, { recursive: true, mode: 0o755 });
      return;
    case 'FileOrCreate':
      await fs.mkdir(path.dirname(hostPath), { recursive: true });
      await (await fs.open(hostPath, 'a', 0o644)).close();
      return;
    case '':
      return;
  }
  let stat;
  try {
    stat = await fs.stat(hostPath);
  } catch {
    throw new Error(`hostPath type check failed: ${hostPath} does not exist`);
  }
  const checks: Record<string, () => boolean> = {
    Directory: () => stat.isDirectory(),
    File: () => stat.isFile(),
    Socket: () => stat.isSocket(),
    CharDevice: () => stat.isCharacterDevice(),
    BlockDevice: () => stat.isBlockDevice(),
  };
  if (checks[type] && !checks[type]())
    throw new Error(`hostPath type check failed: ${hostPath} is not a ${type}`);
}

export class VolumeManager {
  constructor(private readonly dataDir: string) {}

  /** Sets up every planned volume; returns, by volume name, those that failed and why. */
  async setUp(volumes: PlannedVolume[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    for (const volume of volumes) {
      try {
        if (volume.kind === 'emptyDir') await fs.mkdir(volume.hostPath, { recursive: true, mode: 0o777 });
        else if (volume.kind === 'hostPath') await checkHostPath(volume.hostPath, volume.type);
        else await writeAtomically(volume.hostPath, volume.files);
      } catch (err) {
        failures.set(volume.name, err instanceof Error ? err.message : String(err));
      }
    }
    return failures;
  }

  async tearDown(uid: string): Promise<void> {
    await fs.rm(podDir(this.dataDir, uid), { recursive: true, force: true });
  }

  /** The pod uids that still have a directory here, for cleaning up after pods that are gone. */
  async podUids(): Promise<string[]> {
    try {
      return await fs.readdir(path.join(this.dataDir, 'pods'));
    } catch {
      return [];
    }
  }
}
