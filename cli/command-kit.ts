/**
 * What every `kubicle` command shares: failing with one clear line, flag parsing helpers, and a
 * shutdown on SIGINT/SIGTERM that runs once.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type * as ClientNode from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigYaml } from './kubeconfig.js';

// client-node takes about 80 MB of memory and 0.7 s to load, and every command imports this module:
// it is loaded on first use, so that commands which never build a KubeConfig do not pay for it.
const requireModule = createRequire(import.meta.url);
function newKubeConfig(): KubeConfig {
  const clientNode = requireModule('@kubernetes/client-node') as typeof ClientNode;
  return new clientNode.KubeConfig();
}

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

/** The kubeconfig to read: the flag's, else $KUBECONFIG, else the one `kubicle up` writes. */
export function kubeconfigFile(flag: string | undefined): string {
  return flag ?? process.env.KUBECONFIG ?? path.join(defaultDataDir(), 'kubeconfig');
}

/**
 * The cluster a component command talks to: `--server URL` (plain HTTP or unverified TLS, with the
 * cluster's `--token`), else `--kubeconfig FILE`, else $KUBECONFIG, else the kubeconfig `kubicle up`
 * writes.
 */
export function loadClusterConfig(
  kubeconfig: string | undefined,
  server: string | undefined,
  token?: string,
): KubeConfig {
  const kc = newKubeConfig();
  if (server) {
    if (!/^https?:\/\//.test(server)) fail(`--server must be an http:// or https:// URL, got ${server}`);
    kc.loadFromString(kubeconfigYaml(server, 'kubicle', { token }));
    return kc;
  }
  const file = kubeconfigFile(kubeconfig);
  if (!fs.existsSync(file)) fail(`no kubeconfig at ${file}: pass --kubeconfig FILE or --server URL`);
  kc.loadFromFile(file);
  return kc;
}

/** A client-node KubeConfig from a kubeconfig's text, for credentials that live in memory. */
export function kubeConfigFromYaml(text: string): KubeConfig {
  const kc = newKubeConfig();
  kc.loadFromString(text);
  return kc;
}

export function integerFlag(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${flag} must be an integer from ${min} to ${max}`);
  return n;
}
