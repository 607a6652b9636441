/**
 * The cluster's certificates: a private CA, made once per data dir, and the API server's serving
 * certificate signed by it for every name and address clients use (loopback, the host's names and
 * addresses, the `kubernetes` Service's cluster IP and DNS names). Made with the `openssl` command,
 * as kubeadm's and k3s's are made by Go's x509 package; Node can read certificates but not issue them.
 *
 * Contract: `ensureServingCertificate` reuses what the directory holds while it still covers the
 * requested names; otherwise it issues a new serving certificate from the same CA, so kubeconfigs
 * handed out before (which trust the CA) keep working. Keys are written 0600.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The first address of the default service range, which the `kubernetes` Service gets. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';

export interface ServingCertificate {
  caCert: string;
  cert: string;
  key: string;
}

export interface CertificateNames {
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
}

/** The subjectAltName extension value for these names, in a stable order. Pure. */
export function subjectAltName(names: CertificateNames): string {
  const dns = [...new Set(names.dnsNames)].sort().map((n) => `DNS:${n}`);
  const ips = [...new Set(names.ipAddresses)].sort().map((ip) => `IP:${ip}`);
  return [...dns, ...ips].join(',');
}

/**
 * The names an API server on this host is reached by: loopback, the host's name and addresses, the
 * `kubernetes` Service's cluster IP and DNS names, and `extra` (addresses and names given by flag,
 * such as a load balancer's): each is an IP address or a DNS name.
 */
export function servingNames(extra: readonly (string | undefined)[] = []): CertificateNames {
  const hostAddresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4')
    .map((a) => a!.address);
  const given = extra.filter((a): a is string => !!a && a !== '0.0.0.0');
  return {
    dnsNames: [
      'localhost',
      os.hostname().toLowerCase(),
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      ...given.filter((name) => net.isIP(name) === 0),
    ],
    ipAddresses: [
      '127.0.0.1',
      KUBERNETES_SERVICE_IP,
      ...hostAddresses,
      ...given.filter((a) => net.isIP(a) !== 0),
    ],
  };
}

export function ensureServingCertificate(dir: string, names: CertificateNames): ServingCertificate {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  if (!fs.existsSync(file('ca.crt')) || !fs.existsSync(file('ca.key'))) {
    // prettier-ignore
    openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '3650',
      '-subj', '/CN=kubicle-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    fs.chmodSync(file('ca.key'), 0o600);
  }
  const san = subjectAltName(names);
  const current = fs.existsSync(file('apiserver.san')) ? fs.readFileSync(file('apiserver.san'), 'utf8') : '';
  if (current !== san || !fs.existsSync(file('apiserver.crt')) || !fs.existsSync(file('apiserver.key'))) {
    // prettier-ignore
    openssl([
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', file('apiserver.key'), '-out', file('apiserver.csr'), '-subj', '/CN=kube-apiserver',
    ]);
    fs.chmodSync(file('apiserver.key'), 0o600);
    fs.writeFileSync(
      file('apiserver.ext'),
      `subjectAltName=${san}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    );
    // prettier-ignore
    openssl([
      'x509', '-req', '-in', file('apiserver.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-out', file('apiserver.crt'), '-days', '825', '-extfile', file('apiserver.ext'),
    ]);
    fs.rmSync(file('apiserver.csr'), { force: true });
    fs.writeFileSync(file('apiserver.san'), san);
  }
  return {
    caCert: fs.readFileSync(file('ca.crt'), 'utf8'),
    cert: fs.readFileSync(file('apiserver.crt'), 'utf8'),
    key: fs.readFileSync(file('apiserver.key'), 'utf8'),
  };
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error('openssl is not installed: install the Debian package openssl', { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString('utf8').trim() ?? e.message}`, {
      cause: err,
    });
  }
}
