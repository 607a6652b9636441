/**
 * `kubicle agent`: what runs on each host of a cluster, against its API server. By default the
 * kubelet for this host (on Docker) and the service proxy; with `--simulate N`, N simulated nodes
 * instead, for tests and benchmarks at scale. The host components are started side by side from one
 * list; if any of them stops unexpectedly the agent exits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startKubelet } from '../../kubelet/kubelet.js';
import { startProxy } from '../../proxy/proxy-server.js';
import type { ProxyMode } from '../../proxy/proxy-server.js';
import { startSimulatedNodes } from '../../kubelet/simulated-nodes.js';
import { loadClusterAccess, StaticClusterAccess, verifyJoinToken } from '../cluster-access.js';
import { describeJoinFailure, ensureNodeCredentials } from '../node-credentials.js';
import { clientFor } from '../../machinery/api-client.js';
import type { ClusterAccess } from '../../machinery/api-client.js';
import { ApiStatusError } from '../../machinery/api-status-error.js';
import { defaultDataDir, fail, integerFlag, onShutdown, portOf } from '../command-kit.js';
import type { Command } from '../command-kit.js';

const USAGE = `Usage: kubicle agent [options]

Runs the node components of this host against an API server: the kubelet, which registers this host
as a Node and runs the pods bound to it on Docker, and the service proxy, which makes Services reach
their pods from this host. With --simulate N, registers N simulated nodes instead, which play their
pods without Docker (Running and Ready after a delay).

Options:
  --kubeconfig FILE       kubeconfig of the API server (default: $KUBECONFIG, else
                          ${path.join(defaultDataDir(), 'kubeconfig')})
  --server URL            the API server's URL instead of a kubeconfig (plain HTTP, or with --token)
  --token TOKEN           the join token, with --server: kubicle up writes it to DIR/join-token; it
                          names the cluster CA, which the agent checks before trusting the server,
                          and its secret gets this node's own client certificates (kept in
                          DATA-DIR/pki), which the kubelet and the proxy use from then on
  --node-name NAME        this node's name (default: the host name, lower-cased)
  --node-ip IP            the address other hosts and the API server reach this node at
                          (default: the address of the default route's interface)
  --port PORT             the kubelet's port, serving container logs (default: 10250)
  --data-dir DIR          where pod volumes and the node's credentials live
                          (default: ${path.join(defaultDataDir(), 'kubelet')})
  --cluster-dns IP        the nameserver of ClusterFirst pods (default: 10.96.0.10)
  --cluster-domain NAME   (default: cluster.local)
  --proxy-mode MODE       the service proxy beside the kubelet: auto (nftables where nft works and
                          iptables is the nf_tables variant, else iptables, else userspace),
                          nftables, iptables, userspace, or none (default: auto)
  --simulate N            register N simulated nodes instead of running the kubelet and proxy
                          (with --token, they act with the node credentials of --node-name)
  --node-name-prefix P    simulated node names are P0, P1, ... (default: sim-node-)
  --ready-delay-ms MS     simulated pods become Running and Ready after MS (default: 500)
  -h, --help              show this help`;

const PROXY_MODES = ['auto', 'nftables', 'iptables', 'userspace', 'none'];

/** A host component as the agent runs it: started, then awaited until it stops. */
interface Component {
  name: string;
  start(signal: AbortSignal): Promise<{ done: Promise<void>; description: string }>;
}

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      'node-name': { type: 'string' },
      'node-ip': { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'cluster-dns': { type: 'string' },
      'cluster-domain': { type: 'string' },
      simulate: { type: 'string' },
      'node-name-prefix': { type: 'string' },
      'ready-delay-ms': { type: 'string' },
      'proxy-mode': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const simulate = integerFlag(values.simulate, '--simulate', 0, 32_768);
  // A join buys the credentials of one node, and the Node authorizer lets them act for that node only.
  if (simulate !== undefined && values.token)
    fail(
      "--simulate plays many nodes, which one node's credentials from --token may not: " +
        'pass --kubeconfig with a user that may act for all of them (e.g. the admin kubeconfig)',
    );
  const nodeName = values['node-name'] ?? os.hostname().toLowerCase();
  const dataDir = path.resolve(values['data-dir'] ?? path.join(defaultDataDir(), 'kubelet'));
  let kubeConfig: ClusterAccess;
  let proxyAccess: ClusterAccess;
  if (values.server && values.token) {
    // The join secret buys this node's own certificates and is used for nothing else.
    const server = values.server;
    const target = await verifyJoinToken(server, values.token).catch((err: Error) => fail(err.message));
    const pkiDir = path.join(dataDir, 'pki');
    const credentials = await ensureNodeCredentials(target, pkiDir, nodeName).catch((err: unknown) =>
      fail(describeJoinFailure(err, server)),
    );
    console.log(
      `Kubicle agent: node credentials of system:node:${nodeName} ${credentials.reused ? 'reused from' : 'stored in'} ${pkiDir}`,
    );
    kubeConfig = new StaticClusterAccess(credentials.kubelet);
    proxyAccess = new StaticClusterAccess(credentials.proxy);
  } else {
    kubeConfig = proxyAccess = loadClusterAccess(values.kubeconfig, values.server, values.token);
  }
  await checkCredentials(kubeConfig, nodeName);
  // The kubelet's endpoint trusts only the API server's certificate, which the cluster CA signs.
  const clusterCA = clusterCaOf(kubeConfig);
  if (!clusterCA && simulate === undefined)
    console.error('Kubicle agent: no cluster CA known: the kubelet serves its logs over plain HTTP');

  const proxyMode = values['proxy-mode'] ?? 'auto';
  if (!PROXY_MODES.includes(proxyMode))
    fail(`--proxy-mode must be one of ${PROXY_MODES.join(', ')}, got ${JSON.stringify(proxyMode)}`);
  const components: Component[] = [];
  if (simulate !== undefined) {
    components.push({
      name: 'simulated nodes',
      async start(signal) {
        const sim = await startSimulatedNodes({
          kubeConfig,
          count: simulate,
          namePrefix: values['node-name-prefix'],
          readyDelayMs: integerFlag(values['ready-delay-ms'], '--ready-delay-ms', 0, 3_600_000),
          signal,
        });
        const names = sim.nodeNames;
        const range = names.length > 1 ? `${names[0]} … ${names[names.length - 1]}` : (names[0] ?? 'none');
        return { done: sim.done, description: `${names.length} simulated nodes (${range})` };
      },
    });
  } else {
    components.push({
      name: 'kubelet',
      async start(signal) {
        const kubelet = await startKubelet({
          kubeConfig,
          nodeName,
          nodeIP: values['node-ip'],
          port: portOf(values.port, 10250, '--port'),
          dataDir,
          tls: clusterCA ? { clientCA: clusterCA } : undefined,
          clusterDNS: values['cluster-dns'] ? [values['cluster-dns']] : undefined,
          clusterDomain: values['cluster-domain'],
          signal,
        });
        return {
          done: kubelet.done,
          description: `kubelet of node ${kubelet.nodeName} (logs on ${kubelet.nodeIP}:${kubelet.port})`,
        };
      },
    });
    if (proxyMode !== 'none')
      components.push({
        name: 'service proxy',
        async start(signal) {
          const proxy = await startProxy({
            client: clientFor(proxyAccess, { userAgent: 'kube-proxy' }),
            nodeName,
            nodeIPs: values['node-ip'] ? [values['node-ip']] : undefined,
            mode: proxyMode as ProxyMode | 'auto',
            signal,
            log: (line) => console.error(line),
          });
          const backend = proxy.iptablesBackend ? ` (${proxy.iptablesBackend} iptables)` : '';
          return { done: proxy.stopped, description: `service proxy in ${proxy.mode} mode${backend}` };
        },
      });
  }

  const controller = new AbortController();
  let stopping = false;
  const running: Promise<void>[] = [];
  onShutdown(async () => {
    stopping = true;
    controller.abort();
    await Promise.all(running);
  });
  for (const component of components) {
    const started = await component.start(controller.signal);
    console.log(`Kubicle agent: ${started.description} started`);
    running.push(
      started.done.then(() => {
        if (!stopping) fail(`${component.name} stopped unexpectedly`);
      }),
    );
  }
  await Promise.all(running);
}

/** The CA a static kubeconfig trusts, if it names one. */
function clusterCaOf(access: ClusterAccess): string | undefined {
  const ca = access instanceof StaticClusterAccess ? access.config.ca : undefined;
  if (!ca) return undefined;
  return 'file' in ca ? fs.readFileSync(ca.file, 'utf8') : Buffer.from(ca.data, 'base64').toString('utf8');
}

/**
 * Wrong credentials would otherwise only show as every informer and sync retrying forever: the agent
 * stops at once instead. The check is what any node may do, read its own Node (404 before it
 * registers is fine). An unreachable server is not an error here; the components wait for it.
 */
async function checkCredentials(kubeConfig: ClusterAccess, nodeName: string): Promise<void> {
  try {
    await clientFor(kubeConfig, { userAgent: 'kubicle-agent' }).get('v1', 'Node', undefined, nodeName);
  } catch (err) {
    if (err instanceof ApiStatusError && (err.code === 401 || err.code === 403))
      fail(
        `the API server refused this agent's credentials (${err.code} ${err.reason}): ` +
          `check --kubeconfig, or that the node's identity (system:node:${nodeName}) may read its Node; ` +
          `with --token, removing the data dir's pki/ makes the agent ask for new certificates`,
      );
  }
}

export const agentCommand: Command = {
  summary: 'Run the node agent (kubelet on Docker, or simulated nodes) against an API server',
  run,
};
