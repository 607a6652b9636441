/**
 * A whole cluster without Docker, for tests of what users do with workloads: the test API server,
 * the controller manager, the scheduler and simulated nodes (pods Ready 100 ms after they are bound,
 * deletions finished 50 ms after they start). `close` stops it all and deletes its data.
 */
import { setMaxListeners } from 'node:events';
import { KubeConfig } from '@kubernetes/client-node';
import { startControllerManager } from '../../controllers/controller-manager.js';
import { startSimulatedNodes } from '../../kubelet/simulated-nodes.js';
import type { RunningSimulatedNodes } from '../../kubelet/simulated-nodes.js';
import { clientFor } from '../../machinery/api-client.js';
import type { ApiClient } from '../../machinery/api-client.js';
import { startScheduler } from '../../scheduler/scheduler.js';
import { startTestApiServer } from './test-api-server.js';
import type { TestApiServer } from './test-api-server.js';

export interface SimulatedCluster {
  api: TestApiServer;
  kubeConfig: KubeConfig;
  client: ApiClient;
  nodes: RunningSimulatedNodes;
  close(): Promise<void>;
}

export async function startSimulatedCluster(options: {
  nodes: number;
  namePrefix: string;
}): Promise<SimulatedCluster> {
  const api = await startTestApiServer();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(api.kubeconfig);
  const stop = new AbortController();
  // The nodes, the scheduler and the controller manager all stop on this one signal.
  setMaxListeners(0, stop.signal);
  const nodes = await startSimulatedNodes({
    kubeConfig,
    count: options.nodes,
    namePrefix: options.namePrefix,
    readyDelayMs: 100,
    terminationDelayMs: 50,
    signal: stop.signal,
    log: () => undefined,
  });
  const manager = startControllerManager({ kubeConfig, signal: stop.signal, log: () => undefined });
  const scheduler = await startScheduler({ kubeConfig, signal: stop.signal, log: () => undefined });
  return {
    api,
    kubeConfig,
    client: clientFor(kubeConfig),
    nodes,
    async close() {
      stop.abort();
      await Promise.all([manager, scheduler.done, nodes.done]);
      await api.close();
    },
  };
}
