/**
 * Runs etcd as a child process for `kubicle up`: data under the given directory, client and peer
 * URLs on loopback only, stopped together with the parent.
 *
 * etcd runs in a process group of its own, so a Ctrl-C at the terminal reaches only the parent, which
 * then stops etcd after everything that uses it. Its pid is kept in `<dataDir>/etcd.pid`: if the
 * parent was killed outright (SIGKILL) and left etcd running, the next start on the same data dir
 * stops that leftover first instead of failing on its ports.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from './up-state.js';

export interface EtcdProcessOptions {
  dataDir: string;
  clientPort: number;
  peerPort: number;
  binary?: string;
  log?: (line: string) => void;
}

export interface EtcdProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function findEtcdBinary(explicit?: string): string | undefined {
  const candidates = explicit
    ? [explicit]
    : [...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'etcd')), '/usr/bin/etcd'];
  return candidates.find((c) => {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export async function startEtcd(opts: EtcdProcessOptions): Promise<EtcdProcess> {
  const binary = findEtcdBinary(opts.binary);
  if (!binary) {
    throw new Error(
      'etcd is not installed: install the Debian package etcd-server (npm start does it), or pass --etcd-servers',
    );
  }
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  await stopLeftoverEtcd(opts.dataDir);
  const clientUrl = `http://127.0.0.1:${opts.clientPort}`;
  const peerUrl = `http://127.0.0.1:${opts.peerPort}`;
  const child = spawn(
    binary,
    [
      '--name=kubicle',
      `--data-dir=${opts.dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=kubicle=${peerUrl}`,
      '--log-level=error',
      '--logger=zap',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const pidFile = etcdPidFile(opts.dataDir);
  if (child.pid !== undefined) fs.writeFileSync(pidFile, `${child.pid}\n`);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const early = await Promise.race([
    exited,
    new Promise<'running'>((r) => setTimeout(() => r('running'), 300)),
  ]);
  if (early !== 'running') {
    throw new Error(
      `etcd exited at start (code ${early}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`,
    );
  }
  return {
    url: clientUrl,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(pidFile, { force: true });
    },
  };
}

export function etcdPidFile(dataDir: string): string {
  return path.join(dataDir, 'etcd.pid');
}

/**
 * Stops an etcd left running on this data dir by a parent that was killed; the pid is only trusted
 * when that process is an etcd serving this very data dir. Returns whether one was stopped.
 */
export async function stopLeftoverEtcd(dataDir: string): Promise<boolean> {
  const pidFile = etcdPidFile(dataDir);
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  const ours = (() => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--data-dir=${dataDir}`);
    } catch {
      return false;
    }
  })();
  if (!Number.isInteger(pid) || pid <= 1 || !ours) {
    fs.rmSync(pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(pidFile, { force: true });
  return true;
}
