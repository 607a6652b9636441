/**
 * `kubicle scheduler`: the scheduler alone, against a running API server, for clusters whose
 * components run as separate processes (or several schedulers with leader election).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startScheduler } from '../../scheduler/scheduler.js';
import type { Strategy } from '../../scheduler/profile.js';
import { defaultDataDir, fail, integerFlag, loadClusterConfig, onShutdown } from '../command-kit.js';
import type { Command } from '../command-kit.js';

const USAGE = `Usage: kubicle scheduler [options]

Watches pods that have no node and binds each to the node that suits it best.

Options:
  --kubeconfig FILE       kubeconfig of the API server (default: $KUBECONFIG, else
                          ${path.join(defaultDataDir(), 'kubeconfig')})
  --server URL            the API server's URL instead of a kubeconfig (plain HTTP or insecure TLS)
  --token TOKEN           the cluster's token, with --server
  --strategy NAME         spread (default): least allocated nodes first, replicas apart;
                          binpack: fill the most allocated nodes first
  --scheduler-name NAME   schedule pods whose spec.schedulerName is NAME (default: default-scheduler)
  --leader-elect          only act while holding the Lease kube-system/kube-scheduler
  --percentage-of-nodes-to-score N   0-100; 0 (default) adapts to the cluster size as upstream
  --parallel-binds N      bindings in flight at most (default: 64)
  -h, --help              show this help`;

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      strategy: { type: 'string' },
      'scheduler-name': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'percentage-of-nodes-to-score': { type: 'string' },
      'parallel-binds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const strategy = values.strategy ?? 'spread';
  if (strategy !== 'spread' && strategy !== 'binpack') {
    fail(`--strategy must be spread or binpack, got ${JSON.stringify(strategy)}`);
  }
  const controller = new AbortController();
  const scheduler = await startScheduler({
    kubeConfig: loadClusterConfig(values.kubeconfig, values.server, values.token),
    signal: controller.signal,
    strategy: strategy as Strategy,
    schedulerName: values['scheduler-name'],
    leaderElect: values['leader-elect'] ?? false,
    percentageOfNodesToScore: integerFlag(
      values['percentage-of-nodes-to-score'],
      '--percentage-of-nodes-to-score',
      0,
      100,
    ),
    parallelBinds: integerFlag(values['parallel-binds'], '--parallel-binds', 1, 1024),
  });
  onShutdown(async () => {
    controller.abort();
    await scheduler.done;
  });
  console.log(
    `Kubicle scheduler ${scheduler.identity} started (${scheduler.schedulerName}, strategy ${strategy}${values['leader-elect'] ? ', leader election on' : ''})`,
  );
  await scheduler.done;
}

export const schedulerCommand: Command = {
  summary: 'Run the scheduler against an API server',
  run,
};
