import { EndpointBalancer } from './userspace-balancer.js';

const EPS = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'];

/** A deterministic "random" source cycling through the given values. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('EndpointBalancer', () => {
  it('picks uniformly with random balancing: value v in [0,1) selects endpoint floor(v·n)', () => {
    const balancer = new EndpointBalancer('random', sequence(0, 0.34, 0.67, 0.999));
    balancer.update([{ key: 'web', endpoints: EPS }], 0);
    const picks = [0, 1, 2, 3].map(() => balancer.pick('web', '1.1.1.1', 0));
    expect(picks).toEqual([EPS[0], EPS[1], EPS[2], EPS[2]]);
  });

  it('spreads real random picks over every endpoint', () => {
    const balancer = new EndpointBalancer('random');
    balancer.update([{ key: 'web', endpoints: EPS }], 0);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const ep = balancer.pick('web', `1.1.${i % 250}.${i % 7}`, 0)!;
      counts.set(ep, (counts.get(ep) ?? 0) + 1);
    }
    for (const ep of EPS) expect(counts.get(ep)).toBeGreaterThan(800);
  });

  it('cycles through endpoints with round-robin balancing', () => {
    const balancer = new EndpointBalancer('round-robin');
    balancer.update([{ key: 'web', endpoints: EPS }], 0);
    const picks = Array.from({ length: 6 }, () => balancer.pick('web', '1.1.1.1', 0));
    expect(picks).toEqual([...EPS, ...EPS]);
  });

  it('returns undefined for an unknown service port or one without endpoints', () => {
    const balancer = new EndpointBalancer();
    balancer.update([{ key: 'empty', endpoints: [] }], 0);
    expect(balancer.pick('empty', '1.1.1.1', 0)).toBeUndefined();
    expect(balancer.pick('nope', '1.1.1.1', 0)).toBeUndefined();
  });

  it('keeps a client on its endpoint with ClientIP affinity while it keeps coming back', () => {
    const balancer = new EndpointBalancer('round-robin');
    balancer.update([{ key: 'web', endpoints: EPS, affinityTimeoutSeconds: 10 }], 0);
    const first = balancer.pick('web', '1.1.1.1', 0);
    const other = balancer.pick('web', '2.2.2.2', 0);
    expect(other).not.toBe(first);
    // Each connection refreshes the timer, so 9 s gaps never expire a 10 s affinity.
    for (let t = 9000; t <= 90_000; t += 9000) expect(balancer.pick('web', '1.1.1.1', t)).toBe(first);
  });

  it('lets affinity expire after the timeout without connections', () => {
    const balancer = new EndpointBalancer('round-robin');
    balancer.update([{ key: 'web', endpoints: EPS, affinityTimeoutSeconds: 10 }], 0);
    const first = balancer.pick('web', '1.1.1.1', 0);
    expect(balancer.pick('web', '1.1.1.1', 10_000)).toBe(first);
    expect(balancer.pick('web', '1.1.1.1', 20_001)).not.toBe(first);
  });

  it('drops affinity to an endpoint that left the service, and keeps the others', () => {
    const balancer = new EndpointBalancer('round-robin');
    balancer.update([{ key: 'web', endpoints: EPS, affinityTimeoutSeconds: 60 }], 0);
    const a = balancer.pick('web', 'a', 0)!;
    const b = balancer.pick('web', 'b', 0)!;
    balancer.update(
      [{ key: 'web', endpoints: EPS.filter((e) => e !== a), affinityTimeoutSeconds: 60 }],
      1000,
    );
    expect(balancer.affinityCount('web')).toBe(1);
    expect(balancer.pick('web', 'b', 2000)).toBe(b);
    expect(balancer.pick('web', 'a', 2000)).not.toBe(a);
  });

  it('skips excluded endpoints, for a retry after a failed connect', () => {
    const balancer = new EndpointBalancer('random', () => 0);
    balancer.update([{ key: 'web', endpoints: EPS }], 0);
    expect(balancer.pick('web', 'c', 0, new Set([EPS[0]]))).toBe(EPS[1]);
    expect(balancer.pick('web', 'c', 0, new Set(EPS))).toBeUndefined();
  });

  it('forgets a client on request and forgets service ports that are gone', () => {
    const balancer = new EndpointBalancer('round-robin');
    balancer.update([{ key: 'web', endpoints: EPS, affinityTimeoutSeconds: 60 }], 0);
    balancer.pick('web', 'a', 0);
    balancer.forget('web', 'a');
    expect(balancer.affinityCount('web')).toBe(0);
    balancer.update([], 0);
    expect(balancer.pick('web', 'a', 0)).toBeUndefined();
  });

  it('clears affinity when the service turns it off', () => {
    const balancer = new EndpointBalancer('round-robin');
    balancer.update([{ key: 'web', endpoints: EPS, affinityTimeoutSeconds: 60 }], 0);
    balancer.pick('web', 'a', 0);
    balancer.update([{ key: 'web', endpoints: EPS }], 0);
    expect(balancer.affinityCount('web')).toBe(0);
    const picks = new Set([0, 1, 2].map(() => balancer.pick('web', 'a', 0)));
    expect(picks.size).toBe(3);
  });
});
