/**
 * `kubicle images`: builds the local images pods need (pause and busybox) with `docker import` from
 * the host's busybox-static, since no registry can be reached. Safe to run again: unchanged images
 * are kept.
 */
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { ensureLocalImages } from '../../kubelet/images.js';
import type { Command } from '../command-kit.js';
import { fail } from '../command-kit.js';

const USAGE = `Usage: kubicle images [--busybox PATH]

Builds kubicle/pause:3.9 and kubicle/busybox:latest (also tagged busybox:latest) from the host's
busybox-static binary with docker import. Unchanged images are left as they are.

Options:
  --busybox PATH   the static busybox binary to use (default: /bin/busybox)
  -h, --help       show this help`;

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { busybox: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void console.log(USAGE);
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    fail(
      `Docker is not reachable (${(err as Error).message}): start dockerd (npm start does it) and try again`,
    );
  }
  for (const image of await ensureLocalImages(
    docker,
    values.busybox ? { busyboxPath: values.busybox } : {},
  )) {
    const skipped = image.aliasesSkipped.length
      ? ` (left ${image.aliasesSkipped.join(', ')} alone: not built by kubicle)`
      : '';
    console.log(`${image.reference} ${image.built ? 'built' : 'up to date'}${skipped}`);
  }
}

export const imagesCommand: Command = {
  summary: 'Build the local images pods need (pause, busybox) from busybox-static',
  run,
};
