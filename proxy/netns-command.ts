/**
 * How the proxy runs its kernel tools (iptables-save/-restore, nft, sysctl writes): as child
 * processes without a shell, optionally inside a named network namespace (`ip netns exec NS …`) so
 * tests exercise real netfilter without touching the host's rules. iptables.ts and nftables.ts are
 * thin layers over this.
 *
 * Contract:
 * - `NetnsCommand.run(words, stdin)` runs the words in the namespace and resolves with stdout; a
 *   non-zero exit is thrown as the error the caller's `fail` builds (with the input, so it can point
 *   at the offending line).
 * - Namespace and sysctl names are checked before anything runs, so no caller-supplied text can
 *   reach another namespace or another file under /proc/sys.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv[0] with the rest as arguments (no shell), feeding `stdin` when given. */
export type CommandExecutor = (argv: readonly string[], stdin?: string) => Promise<CommandResult>;

/** A command that exited non-zero; subclasses say which tool. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly command: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Builds the error for a failed command; `input` is what it was fed, if anything. */
export type FailureBuilder = (argv: readonly string[], result: CommandResult, input?: string) => Error;

const SYSCTL_NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i;
const NETNS_NAME = /^[A-Za-z0-9_.-]+$/;

export class NetnsCommand {
  private readonly prefix: readonly string[];

  constructor(
    netns: string | undefined,
    private readonly exec: CommandExecutor,
    private readonly fail: FailureBuilder,
  ) {
    if (netns !== undefined && !NETNS_NAME.test(netns)) {
      throw new Error(`invalid network namespace name ${JSON.stringify(netns)}`);
    }
    this.prefix = netns !== undefined ? ['ip', 'netns', 'exec', netns] : [];
  }

  /** Runs `words` in the namespace; stdout, or the caller's error on a non-zero exit. */
  async run(words: readonly string[], stdin?: string): Promise<string> {
    const argv = [...this.prefix, ...words];
    const result = await this.exec(argv, stdin);
    if (result.exitCode !== 0) throw this.fail(argv, result, stdin);
    return result.stdout;
  }

  /** Writes /proc/sys/… of the namespace the command targets. */
  async setSysctl(name: string, value: string): Promise<void> {
    if (!SYSCTL_NAME.test(name)) throw new Error(`invalid sysctl name ${JSON.stringify(name)}`);
    // tee rather than sysctl(8): coreutils is on every host, procps is not (slim images). Its input
    // is the value, not a script, so a failure is reported without it.
    const argv = ['tee', `/proc/sys/${name.replace(/\./g, '/')}`];
    const result = await this.exec([...this.prefix, ...argv], `${value}\n`);
    if (result.exitCode !== 0) throw this.fail([...this.prefix, ...argv], result);
  }
}

/** `ARGV failed (exit N): STDERR`, the first line of every failure message. */
export function failureMessage(argv: readonly string[], result: CommandResult): string {
  const stderr = result.stderr.trim();
  return `${argv.join(' ')} failed (exit ${result.exitCode})${stderr ? `: ${stderr}` : ''}`;
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
