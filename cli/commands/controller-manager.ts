/**
 * `kubicle controller-manager`: the controllers alone (ReplicaSet, Deployment, Endpoints, garbage
 * collector, namespace, node lifecycle), against a running API server. Several copies can run with
 * `--leader-elect`; only the holder of the Lease kube-system/kube-controller-manager acts.
 */
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import {
  BUILTIN_CONTROLLERS,
  selectControllers,
  startControllerManager,
} from '../../controllers/controller-manager.js';
import { defaultDataDir, fail, loadClusterConfig, onShutdown } from '../command-kit.js';
import type { Command } from '../command-kit.js';

const USAGE = `Usage: kubicle controller-manager [options]

Runs the controllers that converge the cluster towards what its objects ask for.

Options:
  --kubeconfig FILE       kubeconfig of the API server (default: $KUBECONFIG, else
                          ${path.join(defaultDataDir(), 'kubeconfig')})
  --server URL            the API server's URL instead of a kubeconfig (plain HTTP or insecure TLS)
  --token TOKEN           the cluster's token, with --server
  --controllers LIST      comma-separated controllers to run: names, '*' for all (default),
                          '-name' to leave one out; known: ${BUILTIN_CONTROLLERS.map((c) => c.name).join(', ')}
  --leader-elect          only act while holding the Lease kube-system/kube-controller-manager
  --concurrent-syncs N    workers per controller (default: 5)
  -h, --help              show this help`;

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      controllers: { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'concurrent-syncs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const controllers = values.controllers
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  let selected: string[];
  try {
    selected = selectControllers(BUILTIN_CONTROLLERS, controllers).map((c) => c.name);
  } catch (err) {
    fail(`--controllers: ${err instanceof Error ? err.message : String(err)}`);
  }
  const workers = values['concurrent-syncs'] === undefined ? undefined : Number(values['concurrent-syncs']);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 100)) {
    fail('--concurrent-syncs must be an integer from 1 to 100');
  }
  const identity = `${os.hostname()}_${randomUUID()}`;
  const stop = new AbortController();
  const done = startControllerManager({
    kubeConfig: loadClusterConfig(values.kubeconfig, values.server, values.token),
    signal: stop.signal,
    controllers,
    leaderElect: values['leader-elect'] ?? false,
    identity,
    workers,
  });
  onShutdown(async () => {
    stop.abort();
    await done;
  });
  console.log(
    `Kubicle controller manager ${identity} started (${selected.join(', ')}${values['leader-elect'] ? ', leader election on' : ''})`,
  );
  await done;
}

export const controllerManagerCommand: Command = {
  summary: 'Run the controllers against an API server',
  run,
};
