import type { KubeObject } from '../apiserver/api-object.js';
import { ApiStatusError } from './api-status-error.js';
import { FakeClock } from './clock.js';
import { LeaderElector } from './leader-election.js';
import type { Lease, LeaderElectionOptions } from './leader-election.js';

/** Leases in memory with the API server's optimistic concurrency on resourceVersion. */
class FakeLeases {
  private leases = new Map<string, Lease>();
  private revision = 0;
  down = false;
  writes = 0;

  lease(): Lease | undefined {
    return this.leases.get('kube-system/lock');
  }

  private check(): void {
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  }

  async get<T extends KubeObject>(_v: string, _k: string, ns: string | undefined, name: string) {
    this.check();
    const found = this.leases.get(`${ns}/${name}`);
    if (!found) throw new ApiStatusError(404, 'NotFound', `leases "${name}" not found`);
    return structuredClone(found) as T;
  }

  async create<T extends KubeObject>(_v: string, _k: string, ns: string | undefined, obj: object) {
    this.check();
    const lease = structuredClone(obj) as Lease;
    const key = `${ns}/${lease.metadata.name}`;
    if (this.leases.has(key)) throw new ApiStatusError(409, 'AlreadyExists', 'already exists');
    lease.metadata.resourceVersion = String(++this.revision);
    this.leases.set(key, lease);
    this.writes++;
    return structuredClone(lease) as T;
  }

  async update<T extends KubeObject>(_v: string, _k: string, ns: string | undefined, obj: KubeObject) {
    this.check();
    const key = `${ns}/${obj.metadata.name}`;
    const current = this.leases.get(key);
    if (!current) throw new ApiStatusError(404, 'NotFound', 'not found');
    if (current.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      throw new ApiStatusError(409, 'Conflict', 'the object has been modified');
    }
    const next = structuredClone(obj) as Lease;
    next.metadata.resourceVersion = String(++this.revision);
    this.leases.set(key, next);
    this.writes++;
    return structuredClone(next) as T;
  }

  /** Writes as if another candidate had taken the lease. */
  steal(identity: string): void {
    const lease = this.lease()!;
    lease.spec = { ...lease.spec, holderIdentity: identity, renewTime: new Date().toISOString() };
    lease.metadata.resourceVersion = String(++this.revision);
  }
}

interface Candidate {
  elector: LeaderElector;
  controller: AbortController;
  running: Promise<void>;
  sessions: { started: number; stopped?: number; signal: AbortSignal }[];
  stoppedCalls: number;
}

function harness() {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const leases = new FakeLeases();
  const start = (identity: string, extra: Partial<LeaderElectionOptions> = {}): Candidate => {
    const candidate = { sessions: [], stoppedCalls: 0 } as unknown as Candidate;
    candidate.elector = new LeaderElector({
      client: leases,
      namespace: 'kube-system',
      name: 'lock',
      identity,
      clock,
      log: () => undefined,
      onStartedLeading: (signal) => {
        const session = { started: clock.now(), signal } as Candidate['sessions'][number];
        candidate.sessions.push(session);
        signal.addEventListener('abort', () => (session.stopped = clock.now()));
      },
      onStoppedLeading: () => candidate.stoppedCalls++,
      ...extra,
    });
    candidate.controller = new AbortController();
    candidate.running = candidate.elector.run(candidate.controller.signal);
    return candidate;
  };
  const stop = async (candidate: Candidate) => {
    candidate.controller.abort();
    await clock.advance(0);
    await candidate.running;
  };
  return { clock, leases, start, stop };
}

describe('LeaderElector', () => {
  it('creates a missing lease, leads, and renews it every retry period', async () => {
    const { clock, leases, start, stop } = harness();
    const a = start('a');
    await clock.advance(0);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.sessions).toHaveLength(1);
    expect(leases.lease()?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
      acquireTime: '2024-01-01T00:00:00.000000Z',
      renewTime: '2024-01-01T00:00:00.000000Z',
    });
    await clock.advance(2000);
    expect(leases.lease()?.spec?.renewTime).toBe('2024-01-01T00:00:02.000000Z');
    expect(leases.lease()?.spec?.acquireTime).toBe('2024-01-01T00:00:00.000000Z');
    await clock.advance(2000);
    expect(leases.lease()?.spec?.renewTime).toBe('2024-01-01T00:00:04.000000Z');
    await stop(a);
  });

  it('lets only one of two candidates lead at any time', async () => {
    const { clock, start, stop } = harness();
    const a = start('a');
    const b = start('b');
    let bothLed = 0;
    let noneLed = 0;
    for (let t = 0; t < 60_000; t += 500) {
      await clock.advance(500);
      if (a.elector.isLeader() && b.elector.isLeader()) bothLed++;
      if (!a.elector.isLeader() && !b.elector.isLeader()) noneLed++;
    }
    expect(bothLed).toBe(0);
    expect(noneLed).toBe(0);
    expect(a.sessions.length + b.sessions.length).toBe(1);
    expect(b.elector.getLeader()).toBe('a');
    await stop(a);
    await stop(b);
  });

  it('takes over a lease whose holder stopped renewing, once it has been unchanged for its duration', async () => {
    const { clock, leases, start, stop } = harness();
    const a = start('a', { releaseOnCancel: false });
    await clock.advance(0);
    const b = start('b');
    await clock.advance(5000);
    await stop(a);
    const lastRenewal = clock.now() - ((clock.now() - Date.UTC(2024, 0, 1)) % 2000);
    expect(leases.lease()?.spec?.holderIdentity).toBe('a');
    // b last saw the record change at a's final renewal; it may take over 15 s after that, not before.
    await clock.advance(lastRenewal + 15_000 - clock.now() - 1);
    expect(b.elector.isLeader()).toBe(false);
    // b reads the lease every 2–4.4 s (jittered): it saw the last renewal within 4.4 s of it, and
    // notices the expiry within 4.4 s of that.
    await clock.advance(9000);
    expect(b.elector.isLeader()).toBe(true);
    expect(leases.lease()?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(a.stoppedCalls).toBe(1);
    expect(a.sessions[0].stopped).toBeDefined();
    await stop(b);
  });

  it('releases the lease on shutdown so a successor takes over within a retry period', async () => {
    const { clock, leases, start, stop } = harness();
    const a = start('a');
    await clock.advance(0);
    const b = start('b');
    await clock.advance(3000);
    await stop(a);
    expect(leases.lease()?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await clock.advance(4500);
    expect(b.elector.isLeader()).toBe(true);
    await stop(b);
  });

  it('stops leading when it cannot renew within the renew deadline, and competes again afterwards', async () => {
    const { clock, leases, start, stop } = harness();
    const a = start('a');
    await clock.advance(0);
    leases.down = true;
    const downAt = clock.now();
    await clock.advance(9000);
    expect(a.elector.isLeader()).toBe(true);
    await clock.advance(4000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.stoppedCalls).toBe(1);
    expect(a.sessions[0].signal.aborted).toBe(true);
    // First failed renewal at +2 s, deadline 10 s later.
    expect(a.sessions[0].stopped! - downAt).toBe(12_000);
    leases.down = false;
    await clock.advance(5000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.sessions).toHaveLength(2);
    await stop(a);
  });

  it('stops leading as soon as it sees another holder on the lease', async () => {
    const { clock, leases, start, stop } = harness();
    const a = start('a');
    await clock.advance(0);
    leases.steal('intruder');
    await clock.advance(2000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.elector.getLeader()).toBe('intruder');
    await stop(a);
  });

  it('waits for the leading work to finish before releasing the lease', async () => {
    const { clock, leases, start, stop } = harness();
    let finishWork!: () => void;
    const a = start('a', {
      onStartedLeading: (signal) =>
        new Promise<void>((resolve) => {
          finishWork = resolve;
          signal.addEventListener('abort', () => undefined);
        }),
    });
    await clock.advance(0);
    a.controller.abort();
    await clock.advance(100);
    expect(leases.lease()?.spec?.holderIdentity).toBe('a');
    finishWork();
    await clock.advance(0);
    await a.running;
    expect(leases.lease()?.spec?.holderIdentity).toBe('');
    await stop(a);
  });

  it.each([
    [
      { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 },
      'leaseDurationMs must be greater than renewDeadlineMs',
    ],
    [
      { renewDeadlineMs: 2_000, retryPeriodMs: 2_000 },
      'renewDeadlineMs must be greater than retryPeriodMs*1.2',
    ],
    [{ leaseDurationMs: 900, renewDeadlineMs: 500, retryPeriodMs: 100 }, 'at least one second'],
  ])('refuses inconsistent durations %j', (durations, message) => {
    expect(
      () =>
        new LeaderElector({
          client: new FakeLeases(),
          namespace: 'kube-system',
          name: 'lock',
          identity: 'a',
          onStartedLeading: () => undefined,
          ...durations,
        }),
    ).toThrow(message);
  });
});
