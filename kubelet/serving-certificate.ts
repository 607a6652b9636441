/**
 * The kubelet's serving certificate when it is given none: self-signed, for the node's name and
 * addresses, as upstream's kubelet makes under `<root-dir>/pki` (kubelet.crt, kubelet.key). The API
 * server does not verify it (as upstream without `--kubelet-certificate-authority`); it exists so
 * the kubelet's endpoint can speak TLS and see the API server's client certificate.
 *
 * Contract: `ensureKubeletServingCertificate` reuses the certificate in `dir` while it is unexpired
 * and was made for the same names; otherwise it makes a new key and certificate with the `openssl`
 * command (Node can read certificates but not issue them). The key is written 0600.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface KubeletServingNames {
  nodeName: string;
  /** IP addresses or DNS names the kubelet is reached at, such as the node's InternalIP. */
  addresses: readonly (string | undefined)[];
}

export interface KubeletServingCertificate {
  cert: string;
  key: string;
}

/** Unbound addresses name no host, so they have no place in a certificate. */
const UNSPECIFIED = new Set(['0.0.0.0', '::', '']);

/** The subjectAltName extension value for the node's names, in a stable order. Pure. */
export function kubeletSubjectAltName(names: KubeletServingNames): string {
  const all = [names.nodeName, ...names.addresses]
    .filter((n): n is string => n !== undefined && !UNSPECIFIED.has(n))
    .map((n) => n.toLowerCase());
  const dns = [...new Set(all.filter((n) => net.isIP(n) === 0))].sort().map((n) => `DNS:${n}`);
  const ips = [...new Set(all.filter((n) => net.isIP(n) !== 0))].sort().map((n) => `IP:${n}`);
  return [...dns, ...ips].join(',');
}

/** Unexpired, and the key is the certificate's (a pair half-replaced by a crash is not). */
function usable(certPem: string, keyPem: string, now: number): boolean {
  try {
    const cert = new crypto.X509Certificate(certPem);
    return Date.parse(cert.validTo) > now && cert.checkPrivateKey(crypto.createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

export function ensureKubeletServingCertificate(
  dir: string,
  names: KubeletServingNames,
): KubeletServingCertificate {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => (fs.existsSync(file(name)) ? fs.readFileSync(file(name), 'utf8') : '');
  const san = kubeletSubjectAltName(names);
  const cert = read('kubelet.crt');
  const key = read('kubelet.key');
  if (cert && key && read('kubelet.san') === san && usable(cert, key, Date.now())) return { cert, key };

  // Written beside the final files and renamed over them, so a reader never sees half a pair.
  const newKey = file('kubelet.key.new');
  const newCert = file('kubelet.crt.new');
  const subject = `/CN=${names.nodeName}@${Math.floor(Date.now() / 1000)}`;
  // prettier-ignore
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', newKey, '-out', newCert, '-days', '365', '-subj', subject,
    '-addext', `subjectAltName=${san}`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext', 'extendedKeyUsage=serverAuth',
  ]);
  fs.chmodSync(newKey, 0o600);
  fs.renameSync(newKey, file('kubelet.key'));
  fs.renameSync(newCert, file('kubelet.crt'));
  fs.writeFileSync(file('kubelet.san'), san);
  return { cert: read('kubelet.crt'), key: read('kubelet.key') };
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
