import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  clientCertificateStillGood,
  ensureClientCertificate,
  ensureServingCertificate,
  newKeyAndCertificateRequest,
  opensslSubject,
  servingNames,
  signClientCertificateRequest,
  subjectAltName,
} from './pki.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

describe('opensslSubject', () => {
  it.each([
    [
      { commonName: 'kubicle-admin', organizations: ['system:masters'] },
      '/O=system:masters/CN=kubicle-admin',
    ],
    [{ commonName: 'system:kube-proxy', organizations: [] }, '/CN=system:kube-proxy'],
    [{ commonName: 'a/b=c+d', organizations: ['x', 'y'] }, '/O=x/O=y/CN=a\\/b\\=c\\+d'],
  ])('%p → %s', (subject, expected) => {
    expect(opensslSubject(subject)).toBe(expected);
  });
});

describe('subjectAltName', () => {
  it('lists DNS names, then IP addresses, sorted and without repeats', () => {
    expect(
      subjectAltName({
        dnsNames: ['localhost', 'kubernetes', 'localhost'],
        ipAddresses: ['127.0.0.1', '10.96.0.1'],
      }),
    ).toBe('DNS:kubernetes,DNS:localhost,IP:10.96.0.1,IP:127.0.0.1');
  });
});

describe('servingNames', () => {
  it('covers loopback, the kubernetes Service and the extra names, split into addresses and names', () => {
    const names = servingNames(['192.0.2.10', 'api.example.com', '0.0.0.0', undefined]);
    expect(names.ipAddresses).toEqual(expect.arrayContaining(['127.0.0.1', '10.96.0.1', '192.0.2.10']));
    expect(names.ipAddresses).not.toContain('0.0.0.0');
    expect(names.dnsNames).toEqual(
      expect.arrayContaining(['localhost', 'kubernetes.default.svc', 'api.example.com']),
    );
    expect(names.dnsNames).not.toContain('192.0.2.10');
  });
});

describe('ensureServingCertificate', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('issues a serving certificate, signed by its CA, for every name asked for', () => {
    const issued = ensureServingCertificate(dir, {
      dnsNames: ['localhost', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1', '10.96.0.1'],
    });
    const ca = new X509Certificate(issued.caCert);
    const cert = new X509Certificate(issued.cert);
    expect(ca.ca).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkHost('kubernetes.default.svc')).toBe('kubernetes.default.svc');
    expect(cert.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(cert.checkIP('192.0.2.99')).toBeUndefined();
    expect(fs.statSync(path.join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'apiserver.key')).mode & 0o777).toBe(0o600);
  });

  it('keeps the certificate while the names are the same, and reissues it from the same CA when they change', () => {
    const names = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
    const first = ensureServingCertificate(dir, names);
    expect(ensureServingCertificate(dir, names)).toEqual(first);
    const second = ensureServingCertificate(dir, { ...names, ipAddresses: ['127.0.0.1', '192.0.2.7'] });
    expect(second.caCert).toBe(first.caCert);
    expect(second.cert).not.toBe(first.cert);
    expect(new X509Certificate(second.cert).checkIP('192.0.2.7')).toBe('192.0.2.7');
  });
});

describe('client certificates', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-client-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const publicKeyOf = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });

  it('issues a clientAuth certificate for the subject from the CA, reused while the subject is the same', () => {
    const subject = { commonName: 'kubicle-admin', organizations: ['system:masters', 'team'] };
    const issued = ensureClientCertificate(dir, 'admin', subject);
    const cert = new X509Certificate(issued.cert);
    const ca = new X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt')));
    expect(cert.subject).toBe('O=system:masters\nO=team\nCN=kubicle-admin');
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(cert.ca).toBe(false);
    expect(publicKeyOf(issued.cert)).toEqual(
      createPublicKey(createPrivateKey(issued.key)).export({ type: 'spki', format: 'der' }),
    );
    expect(fs.statSync(path.join(dir, 'admin.key')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'admin.crt'), 'utf8')).toBe(issued.cert);

    expect(ensureClientCertificate(dir, 'admin', subject)).toEqual(issued);
    const other = ensureClientCertificate(dir, 'admin', { commonName: 'kubicle-admin', organizations: [] });
    expect(new X509Certificate(other.cert).subject).toBe('CN=kubicle-admin');
    expect(other.key).not.toBe(issued.key);
  });

  it('signs a CSR for the subject the signer decides, never the one the CSR asks for', () => {
    const asked = newKeyAndCertificateRequest({ commonName: 'evil', organizations: ['system:masters'] });
    expect(asked.csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    ensureServingCertificate(dir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const pem = signClientCertificateRequest(dir, asked.csr, {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes'],
    });
    const cert = new X509Certificate(pem);
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:worker-1');
    expect(cert.issuer).toBe('CN=kubicle-ca');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(publicKeyOf(pem)).toEqual(
      createPublicKey(createPrivateKey(asked.key)).export({ type: 'spki', format: 'der' }),
    );
    const ca = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    const node = { commonName: 'system:node:worker-1', organizations: ['system:nodes'] };
    expect(clientCertificateStillGood(pem, ca, node, Date.now())).toBe(true);
    expect(
      clientCertificateStillGood(pem, ca, { ...node, commonName: 'system:node:other' }, Date.now()),
    ).toBe(false);
    expect(clientCertificateStillGood(pem, ca, node, Date.now() + 366 * 24 * 3600 * 1000)).toBe(false);
    const days2 = signClientCertificateRequest(dir, asked.csr, node, 2);
    expect(clientCertificateStillGood(days2, ca, node, Date.now())).toBe(true);
    expect(clientCertificateStillGood(days2, ca, node, Date.now() + 24 * 3600 * 1000)).toBe(false);
  });

  it('refuses what is not a CSR', () => {
    ensureClientCertificate(dir, 'x', { commonName: 'x', organizations: [] });
    expect(() =>
      signClientCertificateRequest(
        dir,
        '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
        {
          commonName: 'y',
          organizations: [],
        },
      ),
    ).toThrow(/openssl x509 failed/);
  });
});
