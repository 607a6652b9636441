/**
 * The nftables mode's only contact with the kernel: `nft -f -` and sysctl writes, run as child
 * processes through netns-command.ts (optionally inside a named network namespace), as iptables.ts
 * does for the iptables mode.
 *
 * Contract:
 * - `apply(script)` is one `nft -f -` process fed on stdin. nft applies a script as one transaction,
 *   all of it or nothing, so on failure the rules are exactly what they were; the thrown
 *   NftablesError carries nft's own message and, when it names one, the offending script line.
 * - `hasTable()` and `deleteTable()` concern the proxy's own table only (`table ip kubicle`).
 * - Nothing here decides what the rules are; see nftables-ruleset.ts.
 */
import { CommandError, NetnsCommand, failureMessage, runCommand } from './netns-command.js';
import type { CommandExecutor, CommandResult } from './netns-command.js';
import { NFT_FAMILY, NFT_TABLE, nftCleanupScript } from './nftables-ruleset.js';

/** What the nftables proxier needs from the kernel; the real one is `Nftables`, tests use a fake. */
export interface NftRunner {
  apply(script: string): Promise<void>;
  setSysctl(name: string, value: string): Promise<void>;
}

export interface NftablesOptions {
  /** Network namespace (as in `ip netns list`) to run every command in; absent means this one. */
  readonly netns?: string;
  readonly exec?: CommandExecutor;
}

export class NftablesError extends CommandError {}

export class Nftables implements NftRunner {
  private readonly command: NetnsCommand;

  constructor(options: NftablesOptions = {}) {
    this.command = new NetnsCommand(options.netns, options.exec ?? nftCommand, failure);
  }

  async apply(script: string): Promise<void> {
    await this.command.run(['nft', '-f', '-'], script);
  }

  /** The proxy's table as `nft list table` prints it, or undefined when there is none. */
  async listTable(): Promise<string | undefined> {
    if (!(await this.hasTable())) return undefined;
    return this.command.run(['nft', 'list', 'table', NFT_FAMILY, NFT_TABLE]);
  }

  async hasTable(): Promise<boolean> {
    const tables = await this.command.run(['nft', 'list', 'tables', NFT_FAMILY]);
    return tables.split('\n').some((line) => line.trim() === `table ${NFT_FAMILY} ${NFT_TABLE}`);
  }

  /** Removes the proxy's table; true when there was one. */
  async deleteTable(): Promise<boolean> {
    if (!(await this.hasTable())) return false;
    await this.apply(nftCleanupScript());
    return true;
  }

  setSysctl(name: string, value: string): Promise<void> {
    return this.command.setSysctl(name, value);
  }

  /** Why nft cannot be used here (missing, not permitted, no nf_tables), or undefined when it can. */
  async problem(): Promise<string | undefined> {
    try {
      await this.hasTable();
      return undefined;
    } catch (err) {
      return (err instanceof Error ? err.message : String(err)).split('\n')[0];
    }
  }
}

function failure(argv: readonly string[], result: CommandResult, input?: string): NftablesError {
  const stderr = result.stderr.trim();
  let message = failureMessage(argv, result);
  const offending = input !== undefined ? offendingScriptLine(stderr, input) : undefined;
  // nft already quotes the line under its message when it parsed it; a kernel error does not.
  if (offending && !stderr.includes(offending.text))
    message += `\nscript line ${offending.number}: ${offending.text}`;
  return new NftablesError(message, argv, result.exitCode, stderr);
}

/** nft names the failing place as `/dev/stdin:LINE:COLUMNS: Error: …`. */
export function offendingScriptLine(
  stderr: string,
  input: string,
): { number: number; text: string } | undefined {
  const match = /(?:^|\s)[^\s:]*:(\d+):\d+(?:-\d+)?: Error/m.exec(stderr);
  if (!match) return undefined;
  const number = Number(match[1]);
  const text = input.split('\n')[number - 1];
  return text === undefined ? undefined : { number, text };
}

/** runCommand, with a hint naming the package when nft itself is missing. */
async function nftCommand(argv: readonly string[], stdin?: string): Promise<CommandResult> {
  try {
    return await runCommand(argv, stdin);
  } catch (err) {
    if (argv[0] === 'nft' && /not found/.test(String(err))) {
      throw new Error('nft not found: install the Debian package nftables', { cause: err });
    }
    throw err;
  }
}
