#!/usr/bin/env node
/**
 * The `kubicle` command. `up` runs a whole single-node cluster in this process (etcd as a child, then
 * the API server); `server` runs the API server alone against existing etcd servers.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from '../apiserver/api-server.js';
import type { ApiServerConfig, RunningApiServer } from '../apiserver/api-server.js';
import { DEFAULT_SERVICE_RANGES } from '../apiserver/rest/service-allocations.js';
import { startEtcd } from './etcd-process.js';
import type { EtcdProcess } from './etcd-process.js';
import { writeKubeconfig } from './kubeconfig.js';

const USAGE = `Usage: kubicle <command> [options]

Commands:
  up       Run a single-node cluster in this process (etcd, API server)
  server   Run the API server alone against etcd
  help     Show this help

Run 'kubicle <command> --help' for a command's options.`;

const UP_USAGE = `Usage: kubicle up [options]

Starts etcd (unless --etcd-servers is given) and the API server, writes DIR/kubeconfig and runs until
interrupted (Ctrl-C). Objects persist in DIR/etcd: a second 'up' on the same DIR finds them.

Options:
  --data-dir DIR          where etcd data and the kubeconfig live (default: ${defaultDataDir()})
  --port PORT             API server port (default: 6443)
  --bind-address ADDR     API server address (default: 127.0.0.1)
  --etcd-servers URLS     use these etcd servers instead of starting one (comma-separated)
  --etcd-port PORT        client port of the etcd started by up (default: 2379; peer port is +1)
  --service-cluster-ip-range CIDR   (default: 10.96.0.0/12)
  --etcd-prefix PREFIX    key prefix of all objects in etcd (default: /registry)
  -h, --help              show this help`;

const SERVER_USAGE = `Usage: kubicle server --etcd-servers URL[,URL...] [options]

Runs the API server alone, for clusters whose components run on several hosts.

Options:
  --etcd-servers URLS     etcd client URLs (required)
  --port PORT             API server port (default: 6443)
  --bind-address ADDR     API server address (default: 127.0.0.1)
  --service-cluster-ip-range CIDR   (default: 10.96.0.0/12)
  --etcd-prefix PREFIX    key prefix of all objects in etcd (default: /registry)
  --kubeconfig FILE       also write a kubeconfig for this server to FILE
  -h, --help              show this help`;

function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/kubicle' : path.join(os.homedir(), '.kubicle');
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function portOf(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`${flag} must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

const COMMON_OPTIONS = {
  port: { type: 'string' },
  'bind-address': { type: 'string' },
  'etcd-servers': { type: 'string' },
  'service-cluster-ip-range': { type: 'string' },
  'etcd-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type CommonValues = { [K in keyof typeof COMMON_OPTIONS]?: K extends 'help' ? boolean : string };

/** The API server settings both `up` and `server` take from their flags. */
function apiServerConfig(
  values: CommonValues,
  etcdServers: string[],
  port: number,
): Partial<ApiServerConfig> {
  const range = values['service-cluster-ip-range'];
  return {
    etcdServers,
    port,
    bindAddress: values['bind-address'] ?? '127.0.0.1',
    ...(values['etcd-prefix'] ? { etcdPrefix: values['etcd-prefix'] } : {}),
    ...(range ? { serviceRanges: { ...DEFAULT_SERVICE_RANGES, clusterIpRange: range } } : {}),
  };
}

function onShutdown(stop: () => Promise<void>): void {
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

function describeStartError(err: unknown, port: number): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return `port ${port} is already in use: stop what uses it or pass --port`;
  if (e?.code === 'EACCES')
    return `not allowed to listen on port ${port}: pick a port above 1024 or run as root`;
  return err instanceof Error ? err.message : String(err);
}

async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, 'data-dir': { type: 'string' }, 'etcd-port': { type: 'string' } },
  });
  if (values.help) return void console.log(UP_USAGE);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const port = portOf(values.port, 6443, '--port');
  const etcdPort = portOf(values['etcd-port'], 2379, '--etcd-port');
  let etcd: EtcdProcess | undefined;
  let server: RunningApiServer | undefined;
  let stopping = false;
  onShutdown(async () => {
    stopping = true;
    await server?.close();
    await etcd?.stop();
  });
  try {
    let etcdServers = values['etcd-servers']?.split(',').filter(Boolean);
    if (!etcdServers?.length) {
      etcd = await startEtcd({
        dataDir: path.join(dataDir, 'etcd'),
        clientPort: etcdPort,
        peerPort: etcdPort + 1,
      });
      etcd.child.once('exit', (code) => {
        if (!stopping) fail(`etcd exited unexpectedly (code ${code}); the cluster cannot run without it`);
      });
      etcdServers = [etcd.url];
    }
    server = await startApiServer(apiServerConfig(values, etcdServers, port));
  } catch (err) {
    stopping = true;
    await etcd?.stop();
    fail(describeStartError(err, port));
  }
  const kubeconfig = path.join(dataDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, server.url);
  console.log(
    `Kubicle is ready: API server ${server.url}, kubeconfig ${kubeconfig} (export KUBECONFIG=${kubeconfig}; kubectl get nodes)`,
  );
}

async function serverCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, kubeconfig: { type: 'string' } },
  });
  if (values.help) return void console.log(SERVER_USAGE);
  const etcdServers = values['etcd-servers']?.split(',').filter(Boolean);
  if (!etcdServers?.length) fail('--etcd-servers is required (e.g. --etcd-servers http://127.0.0.1:2379)');
  const port = portOf(values.port, 6443, '--port');
  let server: RunningApiServer | undefined;
  onShutdown(async () => server?.close());
  try {
    server = await startApiServer(apiServerConfig(values, etcdServers, port));
  } catch (err) {
    fail(describeStartError(err, port));
  }
  if (values.kubeconfig) writeKubeconfig(path.resolve(values.kubeconfig), server.url);
  console.log(
    `Kubicle API server is ready: ${server.url}${values.kubeconfig ? `, kubeconfig ${values.kubeconfig}` : ''}`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'up':
        return await up(rest);
      case 'server':
        return await serverCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return console.log(USAGE);
      default:
        fail(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
}

void main(process.argv.slice(2));
