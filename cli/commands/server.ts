/**
 * `kubicle server`: the API server alone against existing etcd servers, for clusters whose
 * components run on several hosts.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startApiServer } from '../../apiserver/api-server.js';
import type { RunningApiServer } from '../../apiserver/api-server.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { apiServerConfig, COMMON_OPTIONS } from '../api-server-options.js';
import { defaultDataDir, describeStartError, fail, onShutdown, portOf } from '../command-kit.js';
import { ensureServingCertificate, servingNames } from '../pki.js';
import { formatJoinToken } from '../join-token.js';
import type { ServingCertificate } from '../pki.js';
import type { Command } from '../command-kit.js';

const USAGE = `Usage: kubicle server --etcd-servers URL[,URL...] [options]

Runs the API server alone, for clusters whose components run on several hosts.

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
  --token TOKEN           the bearer token clients must present (default: a new random one,
                          printed in a join token that also names the CA, for kubicle agent)
  --cert-dir DIR          where the cluster CA and the serving certificate are kept, made when
                          missing (default: ${path.join(defaultDataDir(), 'pki')})
  --kubeconfig FILE       also write a kubeconfig for this server (with the token and CA) to FILE
  -h, --help              show this help`;

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      kubeconfig: { type: 'string' },
      token: { type: 'string' },
      'cert-dir': { type: 'string' },
      'tls-san': { type: 'string' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const etcdServers = values['etcd-servers']?.split(',').filter(Boolean);
  if (!etcdServers?.length) fail('--etcd-servers is required (e.g. --etcd-servers http://127.0.0.1:2379)');
  const port = portOf(values.port, 6443, '--port');
  const token = values.token ?? `kubicle-${randomBytes(24).toString('hex')}`;
  let server: RunningApiServer | undefined;
  let pki: ServingCertificate;
  onShutdown(async () => server?.close());
  try {
    pki = ensureServingCertificate(
      path.resolve(values['cert-dir'] ?? path.join(defaultDataDir(), 'pki')),
      servingNames([values['bind-address'], ...(values['tls-san']?.split(',') ?? [])]),
    );
    server = await startApiServer({
      ...apiServerConfig(values, etcdServers, port),
      tokens: [token],
      caCert: pki.caCert,
      tls: pki,
    });
  } catch (err) {
    fail(describeStartError(err, port));
  }
  if (values.kubeconfig)
    writeKubeconfig(path.resolve(values.kubeconfig), server.url, { token, caCert: pki.caCert });
  console.log(
    `Kubicle API server is ready: ${server.url}${values.kubeconfig ? `, kubeconfig ${values.kubeconfig}` : ''}`,
  );
  if (!values.token)
    console.log(`  agents join with: --server ${server.url} --token ${formatJoinToken(pki.caCert, token)}`);
}

export const serverCommand: Command = {
  summary: 'Run the API server alone against etcd',
  run,
};
