/**
 * `kubicle up`: a whole single-node cluster in this process: etcd as a child process (unless
 * --etcd-servers is given), the API server, controller manager and scheduler, and for this host the
 * kubelet (on Docker), the service proxy and the cluster DNS. Writes DIR/kubeconfig and runs until
 * interrupted.
 *
 * Stopping (Ctrl-C, SIGTERM) stops the control plane and leaves pods and proxy rules in place, as a
 * Kubernetes node does when its kubelet restarts; `up` again adopts them, `kubicle down` removes them.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import type { KubeConfig } from '@kubernetes/client-node';
import { startApiServer } from '../../apiserver/api-server.js';
import type { ApiServerConfig, RunningApiServer } from '../../apiserver/api-server.js';
import { startControllerManager } from '../../controllers/controller-manager.js';
import { ensureLocalImages } from '../../kubelet/images.js';
import { startKubelet } from '../../kubelet/kubelet.js';
import { clientFor } from '../../machinery/api-client.js';
import { startClusterDns } from '../../proxy/dns/cluster-dns.js';
import { DEFAULT_DNS_CLUSTER_IP } from '../../proxy/dns/dns-service.js';
import { startProxy } from '../../proxy/proxy-server.js';
import { startScheduler } from '../../scheduler/scheduler.js';
import { apiServerConfig, COMMON_OPTIONS, plainHttpProblem } from '../api-server-options.js';
import {
  defaultDataDir,
  describeStartError,
  fail,
  loadClusterConfig,
  onShutdown,
  portOf,
} from '../command-kit.js';
import type { Command } from '../command-kit.js';
import { startEtcd } from '../etcd-process.js';
import type { EtcdProcess } from '../etcd-process.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { ensureClusterTokens, operatorCopies } from '../cluster-token.js';
import type { ClusterTokens } from '../cluster-token.js';
import { formatJoinToken } from '../join-token.js';
import { ensureServingCertificate, servingNames, signClientCertificateRequest } from '../pki.js';
import type { ServingCertificate } from '../pki.js';
import { StepReporter } from '../step-reporter.js';
import { apiServerKubeletClient, componentAccess } from '../component-credentials.js';
import type { ComponentName } from '../component-credentials.js';
import { processAlive, readUpState, writeUpState } from '../up-state.js';

const COMPONENTS = ['controllers', 'scheduler', 'kubelet', 'proxy', 'dns'] as const;
type Component = (typeof COMPONENTS)[number];

const USAGE = `Usage: kubicle up [options]

Starts a single-node cluster in this process: etcd (unless --etcd-servers is given), the API server,
the controller manager, the scheduler, and for this host the kubelet (on Docker), the service proxy
(iptables) and the cluster DNS. Writes DIR/kubeconfig and runs until interrupted (Ctrl-C).

Stopping leaves pods running and their Service rules in place; 'up' again on the same DIR resumes the
same cluster, 'kubicle down' removes them. The API server speaks TLS with the cluster's own CA and
admits clients with the admin token (in the kubeconfig, which also trusts the CA; the server keeps
only its hash) or with client certificates of that CA. Another host joins with
'kubicle agent --server URL --token $(cat DIR/join-token)': the join token names the CA and carries
a secret that is good only for getting that node's own certificates.

Options:
  --data-dir DIR          where etcd data, the kubeconfig and pod volumes live
                          (default: ${defaultDataDir()})
  --port PORT             API server port (default: 6443)
  --bind-address ADDR     API server address (default: 127.0.0.1)
  --tls-san NAMES         more names and addresses for the serving certificate (comma-separated)
  --etcd-servers URLS     use these etcd servers instead of starting one (comma-separated)
  --etcd-port PORT        client port of the etcd started by up (default: 2379; peer port is +1)
  --etcd-prefix PREFIX    key prefix of all objects in etcd (default: /registry)
  --encryption-provider-config FILE   encrypt Secrets in etcd as this EncryptionConfiguration
                          (apiserver.config.k8s.io/v1; providers aesgcm and identity)
  --token-auth-file FILE  more users, as CSV lines token,user,uid,"group1,group2" (their rights
                          come from RBAC; the cluster's own token stays the admin)
  --plain-http            serve plain HTTP on 127.0.0.1 with no authentication at all (anyone who
                          can connect may do anything, as upstream's old insecure port)
  --service-cluster-ip-range CIDR   (default: 10.96.0.0/12)
  --node-name NAME        this host's Node (default: the host name, lower-cased)
  --node-ip IP            this host's address (default: the address of the default route)
  --kubelet-port PORT     the kubelet's port, serving container logs (default: 10250; 0: any free)
  --cluster-dns-port PORT where the cluster DNS listens on the node IP (default: 53)
  --disable LIST          components not to run, comma-separated: ${COMPONENTS.join(', ')}
  -h, --help              show this help`;

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      'data-dir': { type: 'string' },
      'etcd-port': { type: 'string' },
      'tls-san': { type: 'string' },
      'node-name': { type: 'string' },
      'node-ip': { type: 'string' },
      'kubelet-port': { type: 'string' },
      'cluster-dns-port': { type: 'string' },
      disable: { type: 'string' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const port = portOf(values.port, 6443, '--port');
  const etcdPort = portOf(values['etcd-port'], 2379, '--etcd-port');
  const kubeletPort = portOf(values['kubelet-port'], 10250, '--kubelet-port');
  const dnsPort = portOf(values['cluster-dns-port'], 53, '--cluster-dns-port');
  const disabled = new Set((values.disable ?? '').split(',').filter(Boolean));
  for (const name of disabled)
    if (!COMPONENTS.includes(name as Component))
      fail(`--disable takes ${COMPONENTS.join(', ')}; got ${JSON.stringify(name)}`);
  const enabled = (name: Component) => !disabled.has(name);
  const nodeName = values['node-name'] ?? os.hostname().toLowerCase();
  const plainHttpRefusal = plainHttpProblem(values);
  if (plainHttpRefusal) fail(plainHttpRefusal);
  const plainHttp = values['plain-http'] === true;

  const previous = readUpState(dataDir);
  if (previous && previous.pid !== process.pid && processAlive(previous.pid))
    fail(`kubicle up is already running on ${dataDir} (pid ${previous.pid}): stop it first (kubicle down)`);

  const progress = new StepReporter(process.stderr);
  let etcd: EtcdProcess | undefined;
  let server: RunningApiServer | undefined;
  let stopping = false;
  // The in-process clients stop first, then the server, then etcd.
  const components = new AbortController();
  // Every informer, lease and probe of every component listens on this one signal.
  setMaxListeners(0, components.signal);
  const running: Promise<unknown>[] = [];
  onShutdown(async () => {
    stopping = true;
    components.abort();
    await Promise.allSettled(running);
    await server?.close();
    await etcd?.stop();
  });
  const stopAfterFailure = async (message: string): Promise<never> => {
    stopping = true;
    components.abort();
    await Promise.allSettled(running);
    await server?.close().catch(() => undefined);
    await etcd?.stop();
    fail(message);
  };
  const componentFailed = (name: string) => (err: unknown) => {
    if (!stopping) fail(`${name} stopped unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
  };
  const log = (line: string) => process.stderr.write(`${line}\n`);

  // 1. etcd, unless the cluster's data lives elsewhere.
  let etcdServers = values['etcd-servers']?.split(',').filter(Boolean);
  if (!etcdServers?.length) {
    try {
      etcd = await progress.step(
        'etcd',
        () =>
          startEtcd({ dataDir: path.join(dataDir, 'etcd'), clientPort: etcdPort, peerPort: etcdPort + 1 }),
        (started) => `${started.url}, data in ${path.join(dataDir, 'etcd')}`,
      );
    } catch (err) {
      return stopAfterFailure(describeEtcdError(err, etcdPort));
    }
    etcd.child.once('exit', (code, signal) => {
      if (!stopping)
        fail(`etcd exited unexpectedly (${signal ?? `code ${code}`}); the cluster cannot run without it`);
    });
    etcdServers = [etcd.url];
  }

  // 2. The API server; everything after it is one of its clients, through the kubeconfig, which
  // carries the admin token. The server keeps only the hashes of its tokens.
  const pkiDir = path.join(dataDir, 'pki');
  const kubeconfigFile = path.join(dataDir, 'kubeconfig');
  const joinTokenFile = path.join(dataDir, 'join-token');
  let pki: ServingCertificate | undefined;
  let tokens: ClusterTokens | undefined;
  if (!plainHttp) {
    try {
      pki = await progress.step('certificates', async () =>
        ensureServingCertificate(
          pkiDir,
          servingNames([values['bind-address'], values['node-ip'], ...(values['tls-san']?.split(',') ?? [])]),
        ),
      );
      tokens = ensureClusterTokens({ certDir: pkiDir, ...operatorCopies(kubeconfigFile, joinTokenFile) });
      // Earlier versions kept the admin token in clear here.
      fs.rmSync(path.join(dataDir, 'token'), { force: true });
    } catch (err) {
      return stopAfterFailure(err instanceof Error ? err.message : String(err));
    }
  } else progress.skip('certificates', 'plain HTTP');
  const secured: Partial<ApiServerConfig> =
    pki && tokens
      ? {
          tls: pki,
          caCert: pki.caCert,
          clientCA: pki.caCert,
          tokenHashes: tokens.hashes,
          signClientCertificate: (csr, subject) => signClientCertificateRequest(pkiDir, csr, subject),
          kubeletClient: apiServerKubeletClient(pkiDir),
        }
      : {};
  try {
    server = await progress.step(
      'API server',
      () => startApiServer({ ...apiServerConfig(values, etcdServers, port), ...secured }),
      (started) => started.url,
    );
  } catch (err) {
    return stopAfterFailure(describeStartError(err, port));
  }
  writeKubeconfig(
    kubeconfigFile,
    server.url,
    pki && tokens ? { token: tokens.adminToken, caCert: pki.caCert } : {},
  );
  // The join token names the CA, so an agent on another host can check it is joining this cluster.
  if (pki && tokens)
    fs.writeFileSync(joinTokenFile, `${formatJoinToken(pki.caCert, tokens.joinSecret)}\n`, { mode: 0o600 });
  const kubeConfig = loadClusterConfig(kubeconfigFile, undefined);
  // Each component runs as itself, with only its own rights; over plain HTTP nobody is checked.
  const access = pki && componentAccess(pkiDir, server.url, pki.caCert, nodeName);
  const kubeConfigFor = (component: ComponentName) => access?.kubeConfigFor(component) ?? kubeConfig;
  // A fixed identity lets a restarted up take its own Leases back at once instead of waiting for them
  // to expire.
  const identity = `${nodeName}_kubicle-up`;

  // 3. The control-plane loops.
  if (enabled('controllers')) {
    await progress.step('controller manager', async () => {
      running.push(
        startControllerManager({
          kubeConfig: kubeConfigFor('controllerManager'),
          signal: components.signal,
          identity,
          log,
        }).catch(componentFailed('controller manager')),
      );
    });
  } else progress.skip('controller manager', 'disabled');
  if (enabled('scheduler')) {
    const scheduler = await progress.step('scheduler', () =>
      startScheduler({ kubeConfig: kubeConfigFor('scheduler'), signal: components.signal, identity, log }),
    );
    running.push(scheduler.done.catch(componentFailed('scheduler')));
  } else progress.skip('scheduler', 'disabled');

  // 4. This host: kubelet, proxy and DNS.
  let nodeIP = values['node-ip'];
  let podNetwork: string | undefined;
  if (enabled('kubelet')) {
    const docker = new Docker();
    const dockerProblem = await docker.ping().then(
      () => undefined,
      (err: Error) => err.message,
    );
    if (dockerProblem) {
      progress.warn(
        `Docker is not reachable (${dockerProblem}): start it (systemctl start docker, or dockerd &); ` +
          `node ${nodeName} stays NotReady until the kubelet can reach it`,
      );
    } else {
      await progress.step(
        'images',
        () => ensureLocalImages(docker),
        (images) => images.map((i) => `${i.reference}${i.built ? ' (built)' : ''}`).join(', '),
      );
      podNetwork = await bridgeSubnet(docker);
    }
    try {
      const kubelet = await progress.step(
        'kubelet',
        () =>
          startKubelet({
            kubeConfig: kubeConfigFor('kubelet'),
            nodeName,
            nodeIP,
            port: kubeletPort,
            dataDir: path.join(dataDir, 'kubelet'),
            tls: pki && { clientCA: pki.caCert },
            clusterDNS: enabled('dns') ? [DEFAULT_DNS_CLUSTER_IP] : undefined,
            signal: components.signal,
            log,
          }),
        (started) => `node ${started.nodeName} at ${started.nodeIP}, logs on port ${started.port}`,
      );
      nodeIP = kubelet.nodeIP;
      running.push(kubelet.done.catch(componentFailed('kubelet')));
    } catch (err) {
      return stopAfterFailure(`the kubelet could not start: ${describeStartError(err, kubeletPort)}`);
    }
  } else progress.skip('kubelet', 'disabled');

  if (enabled('proxy')) {
    try {
      const proxy = await progress.step(
        'service proxy',
        async () => {
          const started = await startProxy({
            kubeConfig: kubeConfigFor('proxy'),
            nodeName,
            nodeIPs: nodeIP ? [nodeIP] : undefined,
            clusterCIDR: podNetwork,
            signal: components.signal,
            log,
          });
          await started.firstSync;
          return started;
        },
        (started) => `${started.mode} mode${started.iptablesBackend ? ` (${started.iptablesBackend})` : ''}`,
      );
      running.push(proxy.stopped);
    } catch (err) {
      return stopAfterFailure(
        `the service proxy could not start: ${err instanceof Error ? err.message : String(err)} ` +
          `(run as root with iptables installed, or pass --disable proxy)`,
      );
    }
  } else progress.skip('service proxy', 'disabled');

  if (enabled('dns')) {
    const address = nodeIP ?? '127.0.0.1';
    try {
      const dns = await progress.step(
        'cluster DNS',
        () =>
          startClusterDns({
            kubeConfig: kubeConfigFor('dns'),
            listen: { address, port: dnsPort },
            service: { clusterIP: DEFAULT_DNS_CLUSTER_IP, endpointIP: address },
            signal: components.signal,
            log,
          }),
        () => `${DEFAULT_DNS_CLUSTER_IP} → ${address}:${dnsPort}`,
      );
      running.push(dns.stopped);
    } catch (err) {
      return stopAfterFailure(`the cluster DNS could not start: ${describeStartError(err, dnsPort)}`);
    }
  } else progress.skip('cluster DNS', 'disabled');

  if (enabled('kubelet')) {
    const ready = await progress.step(
      `node ${nodeName}`,
      () => waitForNodeReady(kubeConfig, nodeName, 10_000, components.signal),
      (state) => (state === true ? 'Ready' : `not Ready yet (${state})`),
    );
    if (ready !== true) progress.warn(`node ${nodeName} is not Ready yet: ${ready}`);
  }

  writeUpState(dataDir, {
    pid: process.pid,
    nodeName,
    apiServer: server.url,
    kubeconfig: kubeconfigFile,
    components: COMPONENTS.filter(enabled),
  });
  console.log(
    `Kubicle is ready: API server ${server.url}, kubeconfig ${kubeconfigFile}\n` +
      `  export KUBECONFIG=${kubeconfigFile}; kubectl get nodes    (or: kubicle get nodes)\n` +
      (plainHttp
        ? '  plain HTTP without authentication: anyone on this host may do anything'
        : `  another host joins with: kubicle agent --server ${server.url} --token $(cat ${joinTokenFile})` +
          (server.url.includes('127.0.0.1') ? ' (start up with --bind-address 0.0.0.0 for that)' : '')),
  );
}

function describeEtcdError(err: unknown, etcdPort: number): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/address already in use/.test(message))
    return (
      `etcd cannot listen on port ${etcdPort} or ${etcdPort + 1}: the port is already in use ` +
      `(another kubicle up or etcd?): stop it or pass --etcd-port`
    );
  return message;
}

/** The pod network the proxy treats as inside the cluster: the Docker bridge's subnet. */
async function bridgeSubnet(docker: Docker): Promise<string | undefined> {
  try {
    const network = (await docker.getNetwork('bridge').inspect()) as {
      IPAM?: { Config?: { Subnet?: string }[] };
    };
    return network.IPAM?.Config?.find((c) => c.Subnet && !c.Subnet.includes(':'))?.Subnet;
  } catch {
    return undefined;
  }
}

/** `true` once the Node reports Ready, else the reason it does not after `timeoutMs`. */
async function waitForNodeReady(
  kubeConfig: KubeConfig,
  nodeName: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<true | string> {
  const client = clientFor(kubeConfig, { userAgent: 'kubicle-up' });
  const deadline = Date.now() + timeoutMs;
  let reason = 'the node is not registered';
  while (!signal.aborted) {
    try {
      const node = (await client.get('v1', 'Node', undefined, nodeName)) as {
        status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
      };
      const condition = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (condition?.status === 'True') return true;
      reason = condition ? `${condition.reason ?? 'NotReady'}: ${condition.message ?? ''}`.trim() : reason;
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) return reason;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 'stopping';
}

export const upCommand: Command = {
  summary:
    'Run a single-node cluster in this process (etcd, API server, controllers, scheduler, kubelet, proxy, DNS)',
  run,
};
