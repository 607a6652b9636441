/**
 * Leader election over a real Lease: one leader among two candidates, takeover when the leader stops
 * renewing, fast handover when it releases the lease. Short durations keep it quick.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { startTestApiServer } from '../e2e/support/test-api-server.js';
import type { TestApiServer } from '../e2e/support/test-api-server.js';
import { waitFor } from '../e2e/support/wait-for.js';
import { clientFor } from './api-client.js';
import type { ApiClient } from './api-client.js';
import { LeaderElector } from './leader-election.js';
import type { Lease } from './leader-election.js';

let api: TestApiServer;
let client: ApiClient;

beforeAll(async () => {
  api = await startTestApiServer();
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  client = clientFor(kc);
});
afterAll(async () => {
  await api?.close();
});

interface Candidate {
  identity: string;
  elector: LeaderElector;
  controller: AbortController;
  running: Promise<void>;
  led: number;
  stopped: number;
}

function candidate(lease: string, identity: string, releaseOnCancel = true): Candidate {
  const c = { identity, led: 0, stopped: 0, controller: new AbortController() } as Candidate;
  c.elector = new LeaderElector({
    client,
    namespace: 'kube-system',
    name: lease,
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 600,
    retryPeriodMs: 200,
    releaseOnCancel,
    log: () => undefined,
    onStartedLeading: () => {
      c.led++;
    },
    onStoppedLeading: () => {
      c.stopped++;
    },
  });
  c.running = c.elector.run(c.controller.signal);
  return c;
}

async function stopCandidate(c: Candidate): Promise<void> {
  c.controller.abort();
  await c.running;
}

const holder = async (lease: string) =>
  (await client.get<Lease>('coordination.k8s.io/v1', 'Lease', 'kube-system', lease)).spec?.holderIdentity;

describe('LeaderElector against the API server', () => {
  it('lets exactly one of two candidates lead, and the other takes over when the leader stops renewing', async () => {
    const a = candidate('crashy', 'a', false);
    const b = candidate('crashy', 'b', false);
    const first = await waitFor(() => [a, b].find((c) => c.elector.isLeader()), { what: 'a leader' });
    const second = first === a ? b : a;
    // Over a few renewals, the follower never leads.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      expect(a.elector.isLeader() && b.elector.isLeader()).toBe(false);
      expect(second.elector.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await holder('crashy')).toBe(first.identity);
    expect(second.elector.getLeader()).toBe(first.identity);

    // The leader goes away without releasing: the follower must wait for the lease to expire.
    await stopCandidate(first);
    const stoppedAt = Date.now();
    expect(await holder('crashy')).toBe(first.identity);
    await waitFor(() => second.elector.isLeader(), { what: 'the takeover', timeoutMs: 5000 });
    // Not at once: the lease (1 s) must run out first, counted from the follower's last sight of a renewal.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(500);
    const lease = await client.get<Lease>('coordination.k8s.io/v1', 'Lease', 'kube-system', 'crashy');
    expect(lease.spec).toMatchObject({
      holderIdentity: second.identity,
      leaseDurationSeconds: 1,
      leaseTransitions: 1,
    });
    expect(lease.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(first.stopped).toBe(1);
    await stopCandidate(second);
  });

  it('hands over at once when the leader releases the lease on shutdown', async () => {
    const a = candidate('polite', 'a');
    await waitFor(() => a.elector.isLeader(), { what: 'a to lead' });
    const b = candidate('polite', 'b');
    await new Promise((r) => setTimeout(r, 300));
    expect(b.elector.isLeader()).toBe(false);
    await stopCandidate(a);
    expect(await holder('polite')).toBe('');
    const releasedAt = Date.now();
    await waitFor(() => b.elector.isLeader(), { what: 'b to lead' });
    // Within a jittered retry period (at most 440 ms), rather than after the lease ran out.
    expect(Date.now() - releasedAt).toBeLessThan(1000);
    await stopCandidate(b);
  });

  it('gives up leading when the API server goes away, and leads again when it is back', async () => {
    const a = candidate('outage', 'a');
    await waitFor(() => a.elector.isLeader(), { what: 'a to lead' });
    await api.stop();
    try {
      await waitFor(() => !a.elector.isLeader(), { what: 'a to step down', timeoutMs: 3000 });
      expect(a.stopped).toBe(1);
    } finally {
      await api.restart();
    }
    await waitFor(() => a.elector.isLeader(), { what: 'a to lead again', timeoutMs: 5000 });
    expect(a.led).toBe(2);
    await stopCandidate(a);
  });
});
