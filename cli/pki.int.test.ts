import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureServingCertificate, servingNames, subjectAltName } from './pki.js';

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
