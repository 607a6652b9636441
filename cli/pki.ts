/**
 * The cluster's certificates: a private CA, made once per data dir, and the API server's serving
 * certificate signed by it for every name and address clients use (loopback, the host's names and
 * addresses, the `kubernetes` Service's cluster IP and DNS names). Made with the `openssl` command,
 * as kubeadm's and k3s's are made by Go's x509 package; Node can read certificates but not issue them.
 *
 * Client certificates, which the API server maps to user = subject CN and groups = every subject O,
 * come from the same CA.
 *
 * Contract:
 * - `ensureServingCertificate` reuses what the directory holds while it still covers the requested
 *   names; otherwise it issues a new serving certificate from the same CA, so kubeconfigs handed out
 *   before (which trust the CA) keep working. Keys are written 0600.
 * - `ensureClientCertificate` does the same for a client certificate, keyed by its subject.
 * - `signClientCertificateRequest` signs a CSR for the subject the caller decides: the CSR gives only
 *   its public key (its signature proves the requester holds the private key), never its subject or
 *   extensions. Every client certificate has the clientAuth extended key usage and no other.
 * - `newKeyAndCertificateRequest` makes a key and a CSR in memory, for a host whose key never leaves it.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
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

/** Who a client certificate names: its subject's CN and O values. */
export interface CertificateSubject {
  commonName: string;
  organizations: readonly string[];
}

/** A client certificate's validity, from when it is signed. */
const CLIENT_CERTIFICATE_DAYS = 365;

const CLIENT_EXTENSIONS = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/**
 * `subject` in openssl's `-subj` form, O values first as kubeadm writes them. Pure. Backslashes
 * escape the characters `-subj` would otherwise split on.
 */
export function opensslSubject(subject: CertificateSubject): string {
  const escape = (value: string) => value.replace(/[\\/+=]/g, (c) => `\\${c}`);
  if (!subject.commonName) throw new Error('a client certificate needs a common name');
  const parts = [...subject.organizations.map((o) => `O=${escape(o)}`), `CN=${escape(subject.commonName)}`];
  return `/${parts.join('/')}`;
}

/** `subject` as Node's `X509Certificate.subject` prints it, to compare with a certificate's. Pure. */
export function x509SubjectText(subject: CertificateSubject): string {
  return [...subject.organizations.map((o) => `O=${o}`), `CN=${subject.commonName}`].join('\n');
}

export function ensureServingCertificate(dir: string, names: CertificateNames): ServingCertificate {
  ensureCertificateAuthority(dir);
  const file = (name: string) => path.join(dir, name);
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

/** The cluster CA in `dir`, made when missing; its certificate (PEM). */
export function ensureCertificateAuthority(dir: string): string {
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
  return fs.readFileSync(file('ca.crt'), 'utf8');
}

/**
 * `<dir>/<baseName>.crt` and `.key`: a client certificate for `subject` from the CA in `dir` (made
 * when missing). Reused while it names the same subject, is signed by that CA and has a day left.
 */
export function ensureClientCertificate(
  dir: string,
  baseName: string,
  subject: CertificateSubject,
): { cert: string; key: string } {
  const caPem = ensureCertificateAuthority(dir);
  const certFile = path.join(dir, `${baseName}.crt`);
  const keyFile = path.join(dir, `${baseName}.key`);
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const cert = fs.readFileSync(certFile, 'utf8');
    if (clientCertificateStillGood(cert, caPem, subject, Date.now()))
      return { cert, key: fs.readFileSync(keyFile, 'utf8') };
  }
  const request = newKeyAndCertificateRequest(subject);
  const cert = signClientCertificateRequest(dir, request.csr, subject);
  fs.writeFileSync(keyFile, request.key, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  fs.writeFileSync(certFile, cert, { mode: 0o600 });
  return { cert, key: request.key };
}

/**
 * Whether `certPem` names `subject`, chains to `caPem` and stays valid for `minRemainingMs` more
 * from `now` (ms; default a day). An unreadable certificate is not good. Pure.
 */
export function clientCertificateStillGood(
  certPem: string,
  caPem: string | undefined,
  subject: CertificateSubject,
  now: number,
  minRemainingMs = 24 * 60 * 60 * 1000,
): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (cert.subject !== x509SubjectText(subject)) return false;
    if (caPem !== undefined && !cert.verify(new X509Certificate(caPem).publicKey)) return false;
    return Date.parse(cert.validTo) - now > minRemainingMs;
  } catch {
    return false;
  }
}

/**
 * A client certificate (PEM) for `subject`, signed by the CA in `dir`, for the key of `csrPem`.
 * The CSR's signature is checked (openssl refuses a CSR whose signature does not verify); its
 * subject and requested extensions are ignored.
 */
export function signClientCertificateRequest(
  dir: string,
  csrPem: string,
  subject: CertificateSubject,
  days = CLIENT_CERTIFICATE_DAYS,
): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-sign-'));
  try {
    fs.writeFileSync(path.join(work, 'client.ext'), CLIENT_EXTENSIONS);
    // prettier-ignore
    return openssl([
      'x509', '-req', '-in', '-', '-subj', opensslSubject(subject),
      '-CA', path.join(dir, 'ca.crt'), '-CAkey', path.join(dir, 'ca.key'),
      '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', String(days),
      '-extfile', path.join(work, 'client.ext'),
    ], csrPem);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A new EC P-256 key and a CSR for it, both PEM; nothing touches the disk but a private temp dir. */
export function newKeyAndCertificateRequest(subject: CertificateSubject): { key: string; csr: string } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-csr-'));
  try {
    const keyFile = path.join(work, 'client.key');
    // prettier-ignore
    const csr = openssl([
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-subj', opensslSubject(subject),
    ]);
    return { key: fs.readFileSync(keyFile, 'utf8'), csr };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function openssl(args: string[], input?: string): string {
  try {
    return execFileSync('openssl', args, {
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('openssl is not installed: install the Debian package openssl', { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`, {
      cause: err,
    });
  }
}
