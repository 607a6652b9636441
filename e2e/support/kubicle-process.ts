/**
 * The built `kubicle` command run as a user runs it, as a child process whose output (stdout and
 * stderr together) tests can wait on.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const KUBICLE_CLI = path.resolve('dist/cli/kubicle.js');

export interface KubicleProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function runKubicle(args: string[], env: Record<string, string> = {}): KubicleProcess {
  if (!fs.existsSync(KUBICLE_CLI))
    throw new Error(`${KUBICLE_CLI} is missing: build first (npm test builds)`);
  const child = spawn(process.execPath, [KUBICLE_CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Runs a short kubicle command to its end. */
export async function kubicleOnce(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const run = runKubicle(args, env);
  const code = await run.exited;
  return { code, output: run.output() };
}
