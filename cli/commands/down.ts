/**
 * `kubicle down`: undoes what `kubicle up` left on this host. Stops a running up (and an etcd a killed
 * up left behind), removes the node's containers (pods keep running after up stops, as on a
 * Kubernetes node) and the proxy's iptables rules; with --purge also the data dir, which is the
 * cluster itself. Safe to run twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { CONTAINER_TYPE_SANDBOX, LABEL_CONTAINER_TYPE, LABEL_NODE } from '../../kubelet/runtime/runtime.js';
import { cleanupProxyRules } from '../../proxy/proxy-server.js';
import { defaultDataDir, fail } from '../command-kit.js';
import type { Command } from '../command-kit.js';
import { stopLeftoverEtcd } from '../etcd-process.js';
import { processAlive, readUpState } from '../up-state.js';

const USAGE = `Usage: kubicle down [options]

Stops the cluster 'kubicle up' runs on DIR and removes what it installed on this host: the pods'
containers and the service proxy's iptables rules. The cluster's data stays, so 'up' starts it again
with its objects (and recreates their pods); --purge removes the data too.

Options:
  --data-dir DIR   the data dir of that up (default: ${defaultDataDir()})
  --purge          also remove DIR: etcd data, kubeconfig, pod volumes
  -h, --help       show this help`;

const STOP_TIMEOUT_MS = 30_000;

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      purge: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const state = readUpState(dataDir);
  if (!state && !fs.existsSync(dataDir)) return void console.log(`nothing to do: ${dataDir} does not exist`);

  // 1. The up process, then anything it may have left running.
  if (state && state.pid !== process.pid && processAlive(state.pid)) {
    await stopProcess(state.pid);
    console.log(`stopped kubicle up (pid ${state.pid})`);
  }
  if (await stopLeftoverEtcd(path.join(dataDir, 'etcd'))) console.log('stopped the etcd it left running');

  // 2. The pods' containers, found by the node label every container of the kubelet carries.
  if (state && state.components.includes('kubelet')) {
    const removed = await removeNodeContainers(state.nodeName);
    console.log(`removed ${removed} container${removed === 1 ? '' : 's'} of node ${state.nodeName}`);
  }

  // 3. The proxy's rules (its nftables table, and every chain it owns in every iptables backend).
  if (!state || state.components.includes('proxy')) {
    const cleaned = await cleanupProxyRules({ log: () => undefined });
    if (cleaned.length > 0) console.log(`removed the service proxy's rules (${cleaned.join(', ')})`);
  }

  if (values.purge) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    console.log(`removed ${dataDir}`);
  }
}

async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function removeNodeContainers(nodeName: string): Promise<number> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    fail(`Docker is not reachable (${(err as Error).message}): start it, then run kubicle down again`);
  }
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_NODE}=${nodeName}`] },
  });
  // Sandboxes last: the other containers of a pod live in their namespaces.
  const sandboxFirst = (c: Docker.ContainerInfo) =>
    c.Labels[LABEL_CONTAINER_TYPE] === CONTAINER_TYPE_SANDBOX ? 1 : 0;
  containers.sort((a, b) => sandboxFirst(a) - sandboxFirst(b));
  let removed = 0;
  for (const container of containers) {
    try {
      await docker.getContainer(container.Id).remove({ force: true, v: true });
      removed++;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
  return removed;
}

export const downCommand: Command = {
  summary: 'Stop kubicle up and remove its pods and proxy rules from this host (--purge: its data too)',
  run,
};
