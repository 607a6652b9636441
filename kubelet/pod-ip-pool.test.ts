import { PodIpPool, simulatedNodeIP, simulatedPodCidr } from './pod-ip-pool.js';

describe('simulated addresses', () => {
  it.each([
    [0, '10.128.0.0/24', '100.64.0.1'],
    [1, '10.128.1.0/24', '100.64.0.2'],
    [256, '10.129.0.0/24', '100.64.1.1'],
    [999, '10.131.231.0/24', '100.64.3.232'],
  ])('gives node %i the pod range %s and the address %s', (index, cidr, ip) => {
    expect(simulatedPodCidr(index)).toBe(cidr);
    expect(simulatedNodeIP(index)).toBe(ip);
  });

  it('refuses indexes it cannot place', () => {
    expect(() => simulatedPodCidr(-1)).toThrow();
    expect(() => simulatedPodCidr(128 * 256)).toThrow();
  });
});

describe('PodIpPool', () => {
  it('hands out the lowest free address from .2 and reuses released ones', () => {
    const pool = new PodIpPool('10.128.3.0/24');
    expect(pool.allocate()).toBe('10.128.3.2');
    expect(pool.allocate()).toBe('10.128.3.3');
    pool.release('10.128.3.2');
    expect(pool.allocate()).toBe('10.128.3.2');
    expect(pool.size).toBe(2);
  });

  it('reserves addresses found in use, but not foreign or taken ones', () => {
    const pool = new PodIpPool('10.128.3.0/24');
    expect(pool.reserve('10.128.3.2')).toBe(true);
    expect(pool.reserve('10.128.3.2')).toBe(false);
    expect(pool.reserve('10.128.4.9')).toBe(false);
    expect(pool.allocate()).toBe('10.128.3.3');
  });

  it('runs dry after 253 addresses', () => {
    const pool = new PodIpPool('10.128.0.0/24');
    for (let i = 0; i < 253; i++) expect(pool.allocate()).toBeDefined();
    expect(pool.allocate()).toBeUndefined();
  });
});
