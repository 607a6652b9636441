/**
 * Endpoint choice for the userspace proxy, kept pure (time and randomness come from the caller) so
 * it behaves exactly as the iptables rules do and can be tested without sockets.
 *
 * Contract:
 * - `random` picks each ready endpoint with probability 1/n, as the `statistic` rules do;
 *   `round-robin` cycles through them in address order, as upstream's userspace proxy did.
 * - With ClientIP affinity, a client keeps its endpoint while it reconnects within the timeout,
 *   counted from its last connection (iptables `recent --rcheck --seconds`, refreshed by `--set`);
 *   the entry goes when it expires, when the endpoint leaves the service, or on `forget`.
 * - `exclude` lets a caller retry after a failed connect without landing on the same endpoint.
 * - Service ports are keyed by `key` (the caller's choice, e.g. `ns/name:port/tcp`).
 */

export type BalancingMode = 'random' | 'round-robin';

export interface BalancedServicePort {
  readonly key: string;
  /** Ready endpoints as `ip:port`. */
  readonly endpoints: readonly string[];
  readonly affinityTimeoutSeconds?: number;
}

interface Affinity {
  readonly endpoint: string;
  lastUsedMs: number;
}

interface PortState {
  endpoints: readonly string[];
  affinityTimeoutMs: number | undefined;
  next: number;
  readonly affinity: Map<string, Affinity>;
}

export class EndpointBalancer {
  private readonly ports = new Map<string, PortState>();

  constructor(
    private readonly mode: BalancingMode = 'random',
    private readonly random: () => number = Math.random,
  ) {}

  /** Replaces the set of service ports; affinity survives for endpoints that are still there. */
  update(servicePorts: readonly BalancedServicePort[], nowMs: number): void {
    const seen = new Set<string>();
    for (const sp of servicePorts) {
      seen.add(sp.key);
      const affinityTimeoutMs =
        sp.affinityTimeoutSeconds !== undefined ? sp.affinityTimeoutSeconds * 1000 : undefined;
      const state = this.ports.get(sp.key);
      if (!state) {
        this.ports.set(sp.key, { endpoints: sp.endpoints, affinityTimeoutMs, next: 0, affinity: new Map() });
        continue;
      }
      state.endpoints = sp.endpoints;
      state.affinityTimeoutMs = affinityTimeoutMs;
      if (affinityTimeoutMs === undefined) state.affinity.clear();
      const present = new Set(sp.endpoints);
      for (const [client, entry] of state.affinity) {
        if (!present.has(entry.endpoint) || expired(entry, affinityTimeoutMs, nowMs))
          state.affinity.delete(client);
      }
    }
    for (const key of this.ports.keys()) if (!seen.has(key)) this.ports.delete(key);
  }

  /** The endpoint for a new connection from `clientIP`, or undefined when none is left. */
  pick(key: string, clientIP: string, nowMs: number, exclude?: ReadonlySet<string>): string | undefined {
    const state = this.ports.get(key);
    if (!state) return undefined;
    const candidates = exclude ? state.endpoints.filter((e) => !exclude.has(e)) : state.endpoints;
    if (candidates.length === 0) return undefined;
    if (state.affinityTimeoutMs !== undefined) {
      const entry = state.affinity.get(clientIP);
      if (entry && !expired(entry, state.affinityTimeoutMs, nowMs) && candidates.includes(entry.endpoint)) {
        entry.lastUsedMs = nowMs;
        return entry.endpoint;
      }
    }
    const endpoint = this.choose(state, candidates);
    if (state.affinityTimeoutMs !== undefined) state.affinity.set(clientIP, { endpoint, lastUsedMs: nowMs });
    return endpoint;
  }

  /** Drops a client's affinity, e.g. after its endpoint refused a connection. */
  forget(key: string, clientIP: string): void {
    this.ports.get(key)?.affinity.delete(clientIP);
  }

  /** How many clients currently have an affinity entry for the service port. */
  affinityCount(key: string): number {
    return this.ports.get(key)?.affinity.size ?? 0;
  }

  private choose(state: PortState, candidates: readonly string[]): string {
    if (this.mode === 'random') {
      return candidates[Math.min(candidates.length - 1, Math.floor(this.random() * candidates.length))];
    }
    const endpoint = candidates[state.next % candidates.length];
    state.next = (state.next + 1) % Math.max(1, state.endpoints.length);
    return endpoint;
  }
}

function expired(entry: Affinity, timeoutMs: number | undefined, nowMs: number): boolean {
  return timeoutMs !== undefined && nowMs - entry.lastUsedMs > timeoutMs;
}
