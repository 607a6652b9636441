/**
 * The proxy's only contact with the kernel: `iptables-save`, `iptables-restore` and sysctl writes,
 * run as child processes, optionally inside a named network namespace (`ip netns exec NS …`) so
 * tests exercise real netfilter without touching the host's rules.
 *
 * Contract:
 * - `restore(text)` is one `iptables-restore --noflush` process fed on stdin. iptables-restore
 *   commits each table at its COMMIT line or not at all, so on failure the rules of the failing
 *   table are exactly what they were before; the thrown IptablesError carries iptables' own message
 *   and, when it names one, the offending input line.
 * - `save(table)` returns `iptables-save -t TABLE` output unchanged.
 * - `setSysctl(name, value)` writes /proc/sys/… of the namespace the runner targets.
 * - Nothing here decides what the rules are; see ruleset.ts.
 */

import { spawn } from 'node:child_process';
import type { TableName } from './ruleset.js';

/** What the proxier needs from iptables; the real one is `Iptables`, tests use a fake. */
export interface IptablesRunner {
  save(table: TableName): Promise<string>;
  restore(text: string): Promise<void>;
  setSysctl(name: string, value: string): Promise<void>;
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv[0] with the rest as arguments (no shell), feeding `stdin` when given. */
export type CommandExecutor = (argv: readonly string[], stdin?: string) => Promise<CommandResult>;

export interface IptablesOptions {
  /** Network namespace (as in `ip netns list`) to run every command in; absent means this one. */
  readonly netns?: string;
  /** Seconds to wait for the xtables lock another process holds (`-w`). */
  readonly lockWaitSeconds?: number;
  readonly exec?: CommandExecutor;
}

export class IptablesError extends Error {
  constructor(
    message: string,
    readonly command: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'IptablesError';
  }
}

const SYSCTL_NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i;
const NETNS_NAME = /^[A-Za-z0-9_.-]+$/;

export class Iptables implements IptablesRunner {
  private readonly prefix: readonly string[];
  private readonly exec: CommandExecutor;
  private readonly lockWaitSeconds: number;

  constructor(options: IptablesOptions = {}) {
    if (options.netns !== undefined && !NETNS_NAME.test(options.netns)) {
      throw new Error(`invalid network namespace name ${JSON.stringify(options.netns)}`);
    }
    this.prefix = options.netns !== undefined ? ['ip', 'netns', 'exec', options.netns] : [];
    this.exec = options.exec ?? runCommand;
    this.lockWaitSeconds = options.lockWaitSeconds ?? 5;
  }

  async save(table: TableName): Promise<string> {
    const argv = [...this.prefix, 'iptables-save', '-t', table];
    const result = await this.exec(argv);
    if (result.exitCode !== 0) throw failure(argv, result);
    return result.stdout;
  }

  async restore(text: string): Promise<void> {
    const argv = [...this.prefix, 'iptables-restore', '-w', `${this.lockWaitSeconds}`, '--noflush'];
    const result = await this.exec(argv, text);
    if (result.exitCode !== 0) throw failure(argv, result, text);
  }

  async setSysctl(name: string, value: string): Promise<void> {
    if (!SYSCTL_NAME.test(name)) throw new Error(`invalid sysctl name ${JSON.stringify(name)}`);
    // tee rather than sysctl(8): coreutils is on every host, procps is not (slim images).
    const argv = [...this.prefix, 'tee', `/proc/sys/${name.replace(/\./g, '/')}`];
    const result = await this.exec(argv, `${value}\n`);
    if (result.exitCode !== 0) throw failure(argv, result);
  }

  /** Whether iptables can be used at all here (binary present, permitted, netfilter loaded). */
  async available(): Promise<boolean> {
    try {
      await this.save('nat');
      return true;
    } catch {
      return false;
    }
  }
}

function failure(argv: readonly string[], result: CommandResult, input?: string): IptablesError {
  const stderr = result.stderr.trim();
  let message = `${argv.join(' ')} failed (exit ${result.exitCode})${stderr ? `: ${stderr}` : ''}`;
  const offending = input !== undefined ? offendingLine(stderr, input) : undefined;
  if (offending) message += `\ninput line ${offending.number}: ${offending.text}`;
  return new IptablesError(message, argv, result.exitCode, stderr);
}

/**
 * iptables-restore names the failing line as "line N failed" (legacy) or "Error occurred at
 * line: N" (nft); showing the line itself saves a trip through the whole ruleset.
 */
export function offendingLine(stderr: string, input: string): { number: number; text: string } | undefined {
  const match = /line:? (\d+)/.exec(stderr);
  if (!match) return undefined;
  const number = Number(match[1]);
  const text = input.split('\n')[number - 1];
  return text === undefined ? undefined : { number, text };
}

/** The default executor: a child process without a shell. */
export function runCommand(argv: readonly string[], stdin?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(`${argv[0]} not found: install the Debian packages iptables and iproute2`)
          : error,
      );
    });
    child.on('close', (code, signal) => {
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    // A command that exits before reading its input makes the write fail with EPIPE; its exit
    // status is what tells the caller what went wrong.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}
