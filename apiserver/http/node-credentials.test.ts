import { kubeletSubject, parseNodeCredentialsRequest, PROXY_SUBJECT } from './node-credentials.js';

const CSR =
  '-----BEGIN CERTIFICATE REQUEST-----\nMIIBDzCBtgIBADAU\nMRIwEAYDVQQDDAl3\n-----END CERTIFICATE REQUEST-----\n';

describe('parseNodeCredentialsRequest', () => {
  it('takes a node name and two CSRs', () => {
    expect(
      parseNodeCredentialsRequest({ nodeName: 'worker-1.example', kubeletCsr: CSR, proxyCsr: CSR }),
    ).toEqual({
      nodeName: 'worker-1.example',
      kubeletCsr: CSR,
      proxyCsr: CSR,
    });
  });

  it.each([
    ['no object', [], /must be a JSON object/],
    ['no node name', { kubeletCsr: CSR, proxyCsr: CSR }, /nodeName is required/],
    [
      'a node name with capitals',
      { nodeName: 'Worker', kubeletCsr: CSR, proxyCsr: CSR },
      /nodeName "Worker": a lowercase RFC 1123 subdomain/,
    ],
    ['a node name with a slash', { nodeName: 'a/b', kubeletCsr: CSR, proxyCsr: CSR }, /nodeName "a\/b"/],
    [
      'a node name too long',
      { nodeName: 'a'.repeat(254), kubeletCsr: CSR, proxyCsr: CSR },
      /no more than 253/,
    ],
    ['no kubelet CSR', { nodeName: 'a', proxyCsr: CSR }, /kubeletCsr must be one PEM certificate request/],
    [
      'a certificate for a CSR',
      { nodeName: 'a', kubeletCsr: CSR, proxyCsr: CSR.replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE') },
      /proxyCsr/,
    ],
    ['two CSRs in one field', { nodeName: 'a', kubeletCsr: CSR + CSR, proxyCsr: CSR }, /kubeletCsr/],
    [
      'a huge CSR',
      { nodeName: 'a', kubeletCsr: CSR.replace('MIIB', 'A'.repeat(20_000)), proxyCsr: CSR },
      /kubeletCsr/,
    ],
  ])('refuses %s with 400', (_name, body, message) => {
    let thrown: unknown;
    try {
      parseNodeCredentialsRequest(body);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: expect.stringMatching(message),
    });
  });
});

describe('the node identities', () => {
  it('are the kubelet as system:node:<name> in system:nodes and the proxy as system:kube-proxy', () => {
    expect(kubeletSubject('w1')).toEqual({ commonName: 'system:node:w1', organizations: ['system:nodes'] });
    expect(PROXY_SUBJECT).toEqual({ commonName: 'system:kube-proxy', organizations: [] });
  });
});
