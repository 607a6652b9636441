/**
 * Addresses for simulated nodes and their pods, which need no real network: each node gets a /24 of
 * its own out of 10.128.0.0/9 for pods (node index i → 10.(128 + i/256).(i mod 256).0/24) and an
 * InternalIP out of the shared-address space 100.64.0.0/10, so no simulated address can be mistaken
 * for a reachable one.
 */

const MAX_NODES = 128 * 256;

function ipOf(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function simulatedPodCidr(index: number): string {
  if (index < 0 || index >= MAX_NODES) throw new Error(`simulated node index ${index} out of range`);
  return `10.${128 + (index >> 8)}.${index & 255}.0/24`;
}

export function simulatedNodeIP(index: number): string {
  if (index < 0 || index >= MAX_NODES) throw new Error(`simulated node index ${index} out of range`);
  return ipOf(((100 << 24) >>> 0) + (64 << 16) + index + 1);
}

/** Hands out .2–.254 of a /24 (.1 is the gateway a real bridge would hold); lowest free first. */
export class PodIpPool {
  private readonly prefix: string;
  private readonly used = new Set<number>();

  constructor(cidr: string) {
    const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
    if (!match) throw new Error(`only /24 pod ranges are supported, got ${cidr}`);
    this.prefix = match[1];
  }

  get size(): number {
    return this.used.size;
  }

  allocate(): string | undefined {
    for (let host = 2; host <= 254; host++) {
      if (!this.used.has(host)) {
        this.used.add(host);
        return `${this.prefix}.${host}`;
      }
    }
    return undefined;
  }

  /** Marks an address already in use (a pod found running after a restart); false if not ours or taken. */
  reserve(ip: string): boolean {
    const host = this.hostOf(ip);
    if (host === undefined || this.used.has(host)) return false;
    this.used.add(host);
    return true;
  }

  release(ip: string | undefined): void {
    const host = ip === undefined ? undefined : this.hostOf(ip);
    if (host !== undefined) this.used.delete(host);
  }

  private hostOf(ip: string): number | undefined {
    if (!ip.startsWith(`${this.prefix}.`)) return undefined;
    const host = Number(ip.slice(this.prefix.length + 1));
    return Number.isInteger(host) && host >= 2 && host <= 254 ? host : undefined;
  }
}
