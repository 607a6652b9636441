/**
 * The iptables mode's only contact with the kernel: `iptables-save`, `iptables-restore` and sysctl
 * writes, run through netns-command.ts (child processes, optionally inside a named network
 * namespace, so tests exercise real netfilter without touching the host's rules).
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

import { CommandError, NetnsCommand, failureMessage, runCommand } from './netns-command.js';
import type { CommandExecutor, CommandResult } from './netns-command.js';
import type { TableName } from './ruleset.js';

/** What the proxier needs from iptables; the real one is `Iptables`, tests use a fake. */
export interface IptablesRunner {
  save(table: TableName): Promise<string>;
  restore(text: string): Promise<void>;
  setSysctl(name: string, value: string): Promise<void>;
}

export interface IptablesOptions {
  /** Network namespace (as in `ip netns list`) to run every command in; absent means this one. */
  readonly netns?: string;
  /** Seconds to wait for the xtables lock another process holds (`-w`). */
  readonly lockWaitSeconds?: number;
  readonly exec?: CommandExecutor;
}

export class IptablesError extends CommandError {}

export class Iptables implements IptablesRunner {
  private readonly command: NetnsCommand;
  private readonly lockWaitSeconds: number;

  constructor(options: IptablesOptions = {}) {
    this.command = new NetnsCommand(options.netns, options.exec ?? runCommand, failure);
    this.lockWaitSeconds = options.lockWaitSeconds ?? 5;
  }

  save(table: TableName): Promise<string> {
    return this.command.run(['iptables-save', '-t', table]);
  }

  async restore(text: string): Promise<void> {
    await this.command.run(['iptables-restore', '-w', `${this.lockWaitSeconds}`, '--noflush'], text);
  }

  setSysctl(name: string, value: string): Promise<void> {
    return this.command.setSysctl(name, value);
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
  let message = failureMessage(argv, result);
  const offending = input !== undefined ? offendingLine(result.stderr.trim(), input) : undefined;
  if (offending) message += `\ninput line ${offending.number}: ${offending.text}`;
  return new IptablesError(message, argv, result.exitCode, result.stderr.trim());
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
