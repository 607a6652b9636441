/**
 * What every `kubicle` command shares: failing with one clear line, flag parsing helpers, and a
 * shutdown on SIGINT/SIGTERM that runs once.
 */
import os from 'node:os';
import path from 'node:path';

export interface Command {
  /** One line for `kubicle --help`. */
  summary: string;
  run(argv: string[]): Promise<void>;
}

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/kubicle' : path.join(os.homedir(), '.kubicle');
}

export function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

export function portOf(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`${flag} must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal} received, stopping\n`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export function describeStartError(err: unknown, port: number): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return `port ${port} is already in use: stop what uses it or pass --port`;
  if (e?.code === 'EACCES')
    return `not allowed to listen on port ${port}: pick a port above 1024 or run as root`;
  return err instanceof Error ? err.message : String(err);
}
