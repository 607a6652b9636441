import { caCertificateHash, formatJoinToken, parseJoinToken, verifyCaCertificate } from './join-token.js';

// Two self-signed certificates, fixed so the test needs no openssl; HASH_A is `openssl x509
// -outform DER | sha256sum` of CA_A.
const CA_A = `-----BEGIN CERTIFICATE-----
MIIBfDCCASGgAwIBAgIUU0jNfefh00bxn2iywbUZ+1GITfMwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjMwNzM4MDRaGA8yMTI2MTAzMDA3
MzgwNFowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABJ9YzIqlis/L6Mpa+L4xcgu4I1gNAYfuoTXlzFq1/+cPaXYDGF2hrYx43khN
CU8lIZiOQK3ZIuj9G+kitRF4gVqjUzBRMB0GA1UdDgQWBBRxFgYfiEz1r0xSWjU7
nv5JTrqjSzAfBgNVHSMEGDAWgBRxFgYfiEz1r0xSWjU7nv5JTrqjSzAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCBi/90gsPdEUeTYOi0LOKQdcMa
p2MfUyAcSnnqUJzLPwIhAJwmdVfl6dqDDGsMMIyFeDm4u8OfhJniQZFJed4Zms3t
-----END CERTIFICATE-----
`;
const CA_B = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUavhMnsAC2DeSUc7abAALHsEB/qQwCgYIKoZIzj0EAwIw
EzERMA8GA1UEAwwIb3RoZXItY2EwIBcNMjYxMTIzMDczODA0WhgPMjEyNjEwMzAw
NzM4MDRaMBMxETAPBgNVBAMMCG90aGVyLWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAE0/WDjPYWi0AwrYQA2C3JKTbELBX/cdLGPErKKCat3hqpI2hEOTENETMS
evcd4wHK6EjzIKma+NJjjWLej3bluaNTMFEwHQYDVR0OBBYEFJ0ZXEmTKH+pGCu7
Bs+QO8spFD9cMB8GA1UdIwQYMBaAFJ0ZXEmTKH+pGCu7Bs+QO8spFD9cMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgPBJDPua8xv8AuXbwGOkFghF0
q8ThU6iG9IF0a7XVX3ACIQC/pKgGOanFD/0J0l4EBMpp6bFe+LoaRaQyUkyPDYoE
yA==
-----END CERTIFICATE-----
`;
const HASH_A = 'ad46f1f0f81fc30bd7e5e55292343c71fa271e2667de4f124a029e60192c6e8e';

describe('join tokens', () => {
  it('hash the CA certificate as sha256 of its DER form', () => {
    expect(caCertificateHash(CA_A)).toBe(HASH_A);
  });

  it('round-trip through format and parse', () => {
    const token = formatJoinToken(CA_A, 'kubicle-s3cret');
    expect(token).toBe(`K10${HASH_A}::kubicle-s3cret`);
    expect(parseJoinToken(token)).toEqual({ caHash: HASH_A, secret: 'kubicle-s3cret' });
  });

  it.each([
    ['a bare secret', 'kubicle-s3cret', { secret: 'kubicle-s3cret' }],
    ['a short hash is no CA hash', 'K10abc::x', { secret: 'K10abc::x' }],
    ['surrounding whitespace', `  K10${HASH_A}::x\n`, { caHash: HASH_A, secret: 'x' }],
  ])('parse %s', (_name, token, expected) => {
    expect(parseJoinToken(token)).toEqual(expected);
  });

  it('accept the CA the token names and refuse any other', () => {
    const token = parseJoinToken(formatJoinToken(CA_A, 'x'));
    expect(verifyCaCertificate(token, CA_A)).toEqual({ ok: true, caPem: CA_A });
    const other = verifyCaCertificate(token, CA_B);
    expect(other.ok).toBe(false);
    expect(!other.ok && other.why).toMatch(/is not the one the token names/);
    expect(verifyCaCertificate(token, 'not a certificate')).toEqual({
      ok: false,
      why: 'the server sent no readable CA certificate',
    });
    expect(verifyCaCertificate(parseJoinToken('bare'), CA_A).ok).toBe(false);
  });
});
