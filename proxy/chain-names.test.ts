import {
  isServiceChainName,
  protocolName,
  serviceExternalChainName,
  serviceFirewallChainName,
  servicePortChainName,
  servicePortEndpointChainName,
  servicePortNameString,
} from './chain-names.js';

describe('chain names', () => {
  // Expected values are the chain names kube-proxy itself produces for these inputs (the first is
  // the API server's own service on every Kubernetes node; the others appear in upstream's tests).
  it.each([
    ['default/kubernetes:https', 'tcp', 'KUBE-SVC-NPX46M4PTMTKRN6Y'],
    ['ns1/svc1:p80', 'tcp', 'KUBE-SVC-XPGD46QRK7WJZT7O'],
    ['kube-system/kube-dns:dns', 'udp', 'KUBE-SVC-TCOU7JCQXEZGVUNU'],
  ])('hashes %s/%s to %s as upstream does', (portName, protocol, expected) => {
    expect(servicePortChainName(portName, protocol)).toBe(expected);
  });

  it('hashes the endpoint into endpoint chains as upstream does', () => {
    expect(servicePortEndpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe(
      'KUBE-SEP-SXIVWICOYRO3J4NJ',
    );
  });

  it('gives the external and firewall chains the service hash with their own prefix', () => {
    expect(serviceExternalChainName('ns1/svc1:p80', 'tcp')).toBe('KUBE-EXT-XPGD46QRK7WJZT7O');
    expect(serviceFirewallChainName('ns1/svc1:p80', 'tcp')).toBe('KUBE-FW-XPGD46QRK7WJZT7O');
  });

  it('is stable across calls and distinguishes protocol, port name and endpoint', () => {
    const names = new Set([
      servicePortChainName('ns/a:p', 'tcp'),
      servicePortChainName('ns/a:p', 'udp'),
      servicePortChainName('ns/a:q', 'tcp'),
      servicePortChainName('ns/a', 'tcp'),
      servicePortEndpointChainName('ns/a:p', 'tcp', '10.0.0.1:80'),
      servicePortEndpointChainName('ns/a:p', 'tcp', '10.0.0.2:80'),
      servicePortEndpointChainName('ns/a:p', 'tcp', '10.0.0.1:81'),
    ]);
    expect(names.size).toBe(7);
    expect(servicePortChainName('ns/a:p', 'tcp')).toBe(servicePortChainName('ns/a:p', 'tcp'));
  });

  it('keeps every name within the 28-character iptables limit', () => {
    expect(servicePortEndpointChainName('x'.repeat(300), 'sctp', '255.255.255.255:65535')).toHaveLength(25);
    expect(serviceFirewallChainName('x', 'tcp').length).toBeLessThanOrEqual(28);
  });

  it.each([
    ['ns', 'svc', 'http', 'ns/svc:http'],
    ['ns', 'svc', '', 'ns/svc'],
    ['ns', 'svc', undefined, 'ns/svc'],
  ])('formats the service port name of %s/%s port %p as %s', (ns, name, port, expected) => {
    expect(servicePortNameString(ns, name, port)).toBe(expected);
  });

  it.each([
    [undefined, 'tcp'],
    ['', 'tcp'],
    ['TCP', 'tcp'],
    ['UDP', 'udp'],
    ['SCTP', 'sctp'],
  ])('lower-cases protocol %p to %s, defaulting to tcp', (protocol, expected) => {
    expect(protocolName(protocol)).toBe(expected);
  });

  it.each([
    ['KUBE-SVC-XPGD46QRK7WJZT7O', true],
    ['KUBE-SEP-SXIVWICOYRO3J4NJ', true],
    ['KUBE-EXT-XPGD46QRK7WJZT7O', true],
    ['KUBE-FW-XPGD46QRK7WJZT7O', true],
    ['KUBE-SVL-XPGD46QRK7WJZT7O', true],
    ['KUBE-SERVICES', false],
    ['KUBE-MARK-MASQ', false],
    ['DOCKER', false],
    ['MY-KUBE-SVC-X', false],
  ])('recognises %s as a per-service chain: %p', (chain, expected) => {
    expect(isServiceChainName(chain)).toBe(expected);
  });
});
