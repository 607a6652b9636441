/**
 * The nftables mode's only contact with the kernel: `nft -f -` and sysctl writes, run as child
 * processes, optionally inside a named network namespace (`ip netns exec NS …`), as iptables.ts
 * does for the iptables mode.
 *
 * Contract:
 * - `apply(script)` is one `nft -f -` process fed on stdin. nft applies a script as one transaction,
 *   all of it or nothing, so on failure the rules are exactly what they were; the thrown
 *   NftablesError carries nft's own message and, when it names one, the offending script line.
 * - `hasTable()` and `deleteTable()` concern the proxy's own table only (`table ip kubicle`).
 * - Nothing here decides what the rules are; see nftables-ruleset.ts.
 */
import type { CommandExecutor, CommandResult } from './iptables.js';
import { runCommand } from './iptables.js';
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

export class NftablesError extends Error {
  constructor(
    message: string,
    readonly command: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'NftablesError';
  }
}

const SYSCTL_NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i;
const NETNS_NAME = /^[A-Za-z0-9_.-]+$/;

export class Nftables implements NftRunner {
  private readonly prefix: readonly string[];
  private readonly exec: CommandExecutor;

  constructor(options: NftablesOptions = {}) {
    if (options.netns !== undefined && !NETNS_NAME.test(options.netns)) {
      throw new Error(`invalid network namespace name ${JSON.stringify(options.netns)}`);
    }
    this.prefix = options.netns !== undefined ? ['ip', 'netns', 'exec', options.netns] : [];
    this.exec = options.exec ?? nftCommand;
  }

  async apply(script: string): Promise<void> {
    const argv = [...this.prefix, 'nft', '-f', '-'];
    const result = await this.exec(argv, script);
    if (result.exitCode !== 0) throw failure(argv, result, script);
  }

  /** The proxy's table as `nft list table` prints it, or undefined when there is none. */
  async listTable(): Promise<string | undefined> {
    if (!(await this.hasTable())) return undefined;
    const argv = [...this.prefix, 'nft', 'list', 'table', NFT_FAMILY, NFT_TABLE];
    const result = await this.exec(argv);
    if (result.exitCode !== 0) throw failure(argv, result);
    return result.stdout;
  }

  async hasTable(): Promise<boolean> {
    const argv = [...this.prefix, 'nft', 'list', 'tables', NFT_FAMILY];
    const result = await this.exec(argv);
    if (result.exitCode !== 0) throw failure(argv, result);
    return result.stdout.split('\n').some((line) => line.trim() === `table ${NFT_FAMILY} ${NFT_TABLE}`);
  }

  /** Removes the proxy's table; true when there was one. */
  async deleteTable(): Promise<boolean> {
    if (!(await this.hasTable())) return false;
    await this.apply(nftCleanupScript());
    return true;
  }

  async setSysctl(name: string, value: string): Promise<void> {
    if (!SYSCTL_NAME.test(name)) throw new Error(`invalid sysctl name ${JSON.stringify(name)}`);
    const argv = [...this.prefix, 'tee', `/proc/sys/${name.replace(/\./g, '/')}`];
    const result = await this.exec(argv, `${value}\n`);
    if (result.exitCode !== 0) throw failure(argv, result);
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
  let message = `${argv.join(' ')} failed (exit ${result.exitCode})${stderr ? `: ${stderr}` : ''}`;
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
