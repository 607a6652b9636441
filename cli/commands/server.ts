/**
 * `kubicle server`: the API server alone against existing etcd servers, for clusters whose
 * components run on several hosts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from '../../apiserver/api-server.js';
import type { ApiServerConfig, RunningApiServer } from '../../apiserver/api-server.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { apiServerConfig, COMMON_OPTIONS, plainHttpProblem } from '../api-server-options.js';
import { ensureClusterTokens, operatorCopies } from '../cluster-token.js';
import type { ClusterTokens } from '../cluster-token.js';
import { defaultDataDir, describeStartError, fail, onShutdown, portOf } from '../command-kit.js';
import { ensureServingCertificate, servingNames, signClientCertificateRequest } from '../pki.js';
import { apiServerKubeletClient, componentKubeconfig } from '../component-credentials.js';
import { formatJoinToken } from '../join-token.js';
import type { ServingCertificate } from '../pki.js';
import type { Command } from '../command-kit.js';

const USAGE = `Usage: kubicle server --etcd-servers URL[,URL...] [options]

Runs the API server alone, for clusters whose components run on several hosts. It admits the admin
token, client certificates of the cluster CA, and the join secret of DIR/join-token (good only for
a joining agent's node certificates); it keeps only the hashes of its tokens, in the cert dir.

Options:
  --etcd-servers URLS     etcd client URLs (required)
  --port PORT             API server port (default: 6443)
  --bind-address ADDR     API server address (default: 127.0.0.1)
  --tls-san NAMES         more names and addresses for the serving certificate (comma-separated)
  --service-cluster-ip-range CIDR   (default: 10.96.0.0/12)
  --etcd-prefix PREFIX    key prefix of all objects in etcd (default: /registry)
  --encryption-provider-config FILE   encrypt Secrets in etcd as this EncryptionConfiguration
                          (apiserver.config.k8s.io/v1; providers aesgcm and identity)
  --token-auth-file FILE  more users, as CSV lines token,user,uid,"group1,group2" (their rights
                          come from RBAC; the cluster's own token stays the admin)
  --token TOKEN           the admin's bearer token (default: the one in --kubeconfig FILE if the
                          server knows it, else a new random one, written only to --kubeconfig)
  --data-dir DIR          where the join token (DIR/join-token) is written for agents, and the
                          kubeconfigs of the controller manager and the scheduler, each with its
                          own certificate (DIR/controller-manager.kubeconfig, DIR/scheduler.kubeconfig)
                          (default: ${defaultDataDir()})
  --cert-dir DIR          where the cluster CA, the serving certificate and the token hashes are
                          kept, made when missing (default: DIR/pki)
  --kubeconfig FILE       also write the admin kubeconfig for this server (token and CA) to FILE
  --plain-http            serve plain HTTP on 127.0.0.1 with no authentication at all (anyone who
                          can connect may do anything, as upstream's old insecure port)
  -h, --help              show this help`;

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      kubeconfig: { type: 'string' },
      token: { type: 'string' },
      'data-dir': { type: 'string' },
      'cert-dir': { type: 'string' },
      'tls-san': { type: 'string' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const etcdServers = values['etcd-servers']?.split(',').filter(Boolean);
  if (!etcdServers?.length) fail('--etcd-servers is required (e.g. --etcd-servers http://127.0.0.1:2379)');
  const plainHttpRefusal = plainHttpProblem(values);
  if (plainHttpRefusal) fail(plainHttpRefusal);
  const plainHttp = values['plain-http'] === true;
  const port = portOf(values.port, 6443, '--port');
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const certDir = path.resolve(values['cert-dir'] ?? path.join(dataDir, 'pki'));
  const kubeconfigFile = values.kubeconfig ? path.resolve(values.kubeconfig) : undefined;
  const joinTokenFile = path.join(dataDir, 'join-token');
  let server: RunningApiServer | undefined;
  let pki: ServingCertificate | undefined;
  let tokens: ClusterTokens | undefined;
  onShutdown(async () => server?.close());
  try {
    let secured: Partial<ApiServerConfig> = {};
    if (!plainHttp) {
      pki = ensureServingCertificate(
        certDir,
        servingNames([values['bind-address'], ...(values['tls-san']?.split(',') ?? [])]),
      );
      const copies = operatorCopies(kubeconfigFile ?? '', joinTokenFile);
      tokens = ensureClusterTokens({ certDir, ...copies, adminToken: values.token });
      secured = {
        tls: pki,
        caCert: pki.caCert,
        clientCA: pki.caCert,
        tokenHashes: tokens.hashes,
        signClientCertificate: (csr, subject) => signClientCertificateRequest(certDir, csr, subject),
        kubeletClient: apiServerKubeletClient(certDir),
      };
    }
    server = await startApiServer({ ...apiServerConfig(values, etcdServers, port), ...secured });
  } catch (err) {
    fail(describeStartError(err, port));
  }
  if (kubeconfigFile)
    writeKubeconfig(
      kubeconfigFile,
      server.url,
      pki && tokens ? { token: tokens.adminToken, caCert: pki.caCert } : {},
    );
  const controlPlane = ['controller-manager', 'scheduler'] as const;
  if (pki && tokens) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(joinTokenFile, `${formatJoinToken(pki.caCert, tokens.joinSecret)}\n`, { mode: 0o600 });
    // As kubeadm's controller-manager.conf and scheduler.conf: each runs as itself, wherever it runs.
    for (const name of controlPlane) {
      const component = name === 'scheduler' ? 'scheduler' : 'controllerManager';
      const text = componentKubeconfig(certDir, server.url, pki.caCert, component);
      fs.writeFileSync(path.join(dataDir, `${name}.kubeconfig`), text, { mode: 0o600 });
    }
  }
  console.log(
    `Kubicle API server is ready: ${server.url}${kubeconfigFile ? `, kubeconfig ${kubeconfigFile}` : ''}`,
  );
  if (pki && tokens)
    console.log(`  agents join with: kubicle agent --server ${server.url} --token $(cat ${joinTokenFile})`);
  if (pki && tokens)
    for (const name of controlPlane)
      console.log(
        `  the ${name} runs with: kubicle ${name} --kubeconfig ${path.join(dataDir, `${name}.kubeconfig`)}`,
      );
  if (pki && !kubeconfigFile && !values.token)
    console.log('  no admin token was written anywhere: pass --kubeconfig FILE (or --token) for one');
}

export const serverCommand: Command = {
  summary: 'Run the API server alone against etcd',
  run,
};
