/**
 * `kubicle proxy`: the service proxy of one node (nftables, iptables or userspace mode), optionally with the
 * cluster DNS; `--cleanup` removes every rule the proxy ever installed and exits.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startClusterDns } from '../../proxy/dns/cluster-dns.js';
import { DEFAULT_DNS_CLUSTER_IP } from '../../proxy/dns/dns-service.js';
import { cleanupProxyRules, startProxy } from '../../proxy/proxy-server.js';
import type { ProxyModeChoice } from '../../proxy/proxy-server.js';
import type { IptablesBackendChoice } from '../../proxy/iptables-backend.js';
import { defaultDataDir, fail, loadClusterConfig, onShutdown, portOf } from '../command-kit.js';
import type { Command } from '../command-kit.js';

const USAGE = `Usage: kubicle proxy [options]

Runs the service proxy of this node: Services' cluster IPs, NodePorts, external and load-balancer
IPs reach their ready endpoints. Runs until interrupted; the rules stay in place when it stops.

Options:
  --kubeconfig FILE        kubeconfig of the cluster (default: $KUBECONFIG, else ${path.join(defaultDataDir(), 'kubeconfig')})
  --server URL             API server URL, instead of a kubeconfig (plain HTTP or TLS without verification)
  --token TOKEN            the cluster's token, with --server
  --node-name NAME         this node's name (default: the host name)
  --node-ip IP[,IP...]     addresses NodePorts answer on (default: the Node's InternalIPs)
  --proxy-mode MODE        nftables, iptables, userspace or auto (default: auto: nftables where nft
                           works and iptables is the nf_tables variant, else iptables, else userspace);
                           --mode is the same
  --iptables-backend B     in iptables mode: auto, system, legacy or nft (default: auto); another
                           value than auto without --proxy-mode selects the iptables mode
  --cluster-cidr CIDR      pod network; traffic from outside it to cluster IPs is masqueraded
  --min-sync-interval MS   least time between two syncs (default: 1000)
  --sync-period MS         time between full resyncs (default: 30000)
  --netns NAME             apply the rules inside this network namespace
  --cluster-dns ADDR[:PORT]  also serve the cluster DNS there and point kube-system/kube-dns at it
  --cluster-dns-ip IP      the kube-dns Service cluster IP (default: ${DEFAULT_DNS_CLUSTER_IP})
  --cluster-domain DOMAIN  (default: cluster.local)
  --cleanup                remove every rule, chain and table the proxy installed (any mode), then exit
  -h, --help               show this help`;

const MODES = ['nftables', 'iptables', 'userspace', 'auto'];
const BACKENDS = ['auto', 'system', 'legacy', 'nft'];

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      'node-name': { type: 'string' },
      'node-ip': { type: 'string' },
      mode: { type: 'string' },
      'proxy-mode': { type: 'string' },
      'iptables-backend': { type: 'string' },
      'cluster-cidr': { type: 'string' },
      'min-sync-interval': { type: 'string' },
      'sync-period': { type: 'string' },
      netns: { type: 'string' },
      'cluster-dns': { type: 'string' },
      'cluster-dns-ip': { type: 'string' },
      'cluster-domain': { type: 'string' },
      cleanup: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (values.cleanup) {
    const cleaned = await cleanupProxyRules({ netns: values.netns, log: (line) => console.log(line) });
    if (cleaned.length === 0) console.log('no proxy rules found: nothing to clean up');
    return;
  }
  const mode = values['proxy-mode'] ?? values.mode;
  if (mode !== undefined && !MODES.includes(mode))
    fail(`--proxy-mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const backend = values['iptables-backend'] ?? 'auto';
  if (!BACKENDS.includes(backend)) fail(`--iptables-backend must be one of ${BACKENDS.join(', ')}`);

  const kubeConfig = loadClusterConfig(values.kubeconfig, values.server, values.token);
  const controller = new AbortController();
  const stopped: Promise<void>[] = [];
  onShutdown(async () => {
    controller.abort();
    await Promise.all(stopped);
  });
  const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  const nodeIPs = values['node-ip']?.split(',').filter(Boolean);
  const proxy = await startProxy({
    kubeConfig,
    nodeName: values['node-name'] ?? os.hostname(),
    nodeIPs,
    mode: mode as ProxyModeChoice | undefined,
    iptablesBackend: backend as IptablesBackendChoice,
    netns: values.netns,
    clusterCIDR: values['cluster-cidr'],
    minSyncIntervalMs: milliseconds(values['min-sync-interval'], '--min-sync-interval'),
    syncPeriodMs: milliseconds(values['sync-period'], '--sync-period'),
    signal: controller.signal,
    log,
  });
  stopped.push(proxy.stopped);
  if (values['cluster-dns']) {
    const [address, portText] = values['cluster-dns'].split(':');
    const dns = await startClusterDns({
      kubeConfig,
      listen: { address, port: portOf(portText, 53, '--cluster-dns') },
      clusterDomain: values['cluster-domain'],
      service: {
        clusterIP: values['cluster-dns-ip'],
        endpointIP: address === '0.0.0.0' ? nodeIPs?.[0] : address,
      },
      signal: controller.signal,
      log,
    });
    stopped.push(dns.stopped);
  }
  console.log(
    `Kubicle proxy is running in ${proxy.mode} mode${proxy.iptablesBackend ? ` (${proxy.iptablesBackend} iptables)` : ''}`,
  );
}

function milliseconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0)
    fail(`${flag} must be a number of milliseconds, got ${JSON.stringify(value)}`);
  return ms;
}

export const proxyCommand: Command = {
  summary: 'Run the service proxy of this node (nftables, iptables or userspace), optionally the cluster DNS',
  run,
};
