/**
 * `kubicle up`: a whole single-node cluster in this process: etcd as a child process (unless
 * --etcd-servers is given), then the API server; writes DIR/kubeconfig and runs until interrupted.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from '../../apiserver/api-server.js';
import type { RunningApiServer } from '../../apiserver/api-server.js';
import { startEtcd } from '../etcd-process.js';
import type { EtcdProcess } from '../etcd-process.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { startControllerManager } from '../../controllers/controller-manager.js';
import { startScheduler } from '../../scheduler/scheduler.js';
import { apiServerConfig, COMMON_OPTIONS } from '../api-server-options.js';
import { defaultDataDir, describeStartError, fail, onShutdown, portOf } from '../command-kit.js';
import type { Command } from '../command-kit.js';

const USAGE = `Usage: kubicle up [options]

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

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, 'data-dir': { type: 'string' }, 'etcd-port': { type: 'string' } },
  });
  if (values.help) return void console.log(USAGE);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const port = portOf(values.port, 6443, '--port');
  const etcdPort = portOf(values['etcd-port'], 2379, '--etcd-port');
  let etcd: EtcdProcess | undefined;
  let server: RunningApiServer | undefined;
  let stopping = false;
  // The in-process clients (controller manager, scheduler) stop first, then the server, then etcd.
  const components = new AbortController();
  const running: Promise<unknown>[] = [];
  onShutdown(async () => {
    stopping = true;
    components.abort();
    await Promise.allSettled(running);
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
  const componentFailed = (name: string) => (err: unknown) => {
    if (!stopping) fail(`${name} stopped unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
  };
  const log = (line: string) => console.error(line);
  running.push(
    startControllerManager({ kubeConfig: kubeconfig, signal: components.signal, log }).catch(
      componentFailed('controller manager'),
    ),
  );
  const scheduler = await startScheduler({ kubeConfig: kubeconfig, signal: components.signal, log });
  running.push(scheduler.done.catch(componentFailed('scheduler')));
  console.log(
    `Kubicle is ready: API server ${server.url}, kubeconfig ${kubeconfig} (export KUBECONFIG=${kubeconfig}; kubectl get nodes)`,
  );
}

export const upCommand: Command = {
  summary: 'Run a single-node cluster in this process (etcd, API server, controllers, scheduler)',
  run,
};
