import { kubeletSubjectAltName } from './serving-certificate.js';

describe('kubeletSubjectAltName', () => {
  it.each([
    [{ nodeName: 'n1', addresses: ['10.0.0.2'] }, 'DNS:n1,IP:10.0.0.2'],
    [{ nodeName: 'n1', addresses: ['10.0.0.2', undefined, 'n1', '0.0.0.0', '::'] }, 'DNS:n1,IP:10.0.0.2'],
    [
      { nodeName: 'N1', addresses: ['node.example', '::1', '10.0.0.2'] },
      'DNS:n1,DNS:node.example,IP:10.0.0.2,IP:::1',
    ],
    [{ nodeName: 'n1', addresses: [] }, 'DNS:n1'],
  ])('names %j as %s', (names, san) => {
    expect(kubeletSubjectAltName(names)).toBe(san);
  });
});
