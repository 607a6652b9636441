/**
 * `kubicle kubectl ARGS...`: the real kubectl, when installed, against this cluster. kubectl gets the
 * cluster's kubeconfig (unless the arguments name one), the terminal, and the last word: its exit
 * code becomes ours.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from '../command-kit.js';
import type { Command } from '../command-kit.js';

const DEFAULT_KUBECTL = '/usr/bin/kubectl';

/** `/usr/bin/kubectl`, else the first `kubectl` on PATH, else undefined. */
export function findKubectl(pathVariable = process.env.PATH ?? ''): string | undefined {
  const candidates = [
    DEFAULT_KUBECTL,
    ...pathVariable
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.join(d, 'kubectl')),
  ];
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

function namesKubeconfig(args: readonly string[]): boolean {
  return args.some((a) => a === '--kubeconfig' || a.startsWith('--kubeconfig='));
}

/** kubectl's arguments with `--kubeconfig` put first, unless the user gave one. */
export function kubectlArgs(args: readonly string[], kubeconfig: string): string[] {
  return namesKubeconfig(args) ? [...args] : [`--kubeconfig=${kubeconfig}`, ...args];
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 };
  return 128 + (signal ? (numbers[signal] ?? 1) : 1);
}

async function run(argv: string[]): Promise<void> {
  const binary = findKubectl();
  if (!binary) {
    process.stderr.write(
      'error: kubectl is not installed (looked for /usr/bin/kubectl and kubectl on PATH): install it, or use kubicle get, apply, delete, describe, logs, ...\n',
    );
    process.exit(1);
  }
  const kubeconfig = process.env.KUBECONFIG ?? path.join(defaultDataDir(), 'kubeconfig');
  if (!namesKubeconfig(argv) && !kubeconfig.includes(path.delimiter) && !fs.existsSync(kubeconfig)) {
    process.stderr.write(
      `error: no kubeconfig at ${kubeconfig}: start a cluster with 'kubicle up' or set KUBECONFIG\n`,
    );
    process.exit(1);
  }
  const child = spawn(binary, kubectlArgs(argv, kubeconfig), { stdio: 'inherit' });
  // Ctrl-C reaches kubectl through the terminal; we only wait for it to finish.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`error: cannot run ${binary}: ${err.message}\n`);
      resolve(1);
    });
    child.once('exit', (exitCode, signal) => resolve(exitCodeOf(exitCode, signal)));
  });
  process.exit(code);
}

export const kubectlCommand: Command = {
  summary: 'Run the real kubectl, when installed, against this cluster',
  run,
};
