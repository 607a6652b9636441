/**
 * ClusterIP and NodePort allocation for Services, kept in etcd as one key per allocated value
 * (`<prefix>/ranges/serviceips/<ip>`, `<prefix>/ranges/servicenodeports/<port>`). A Service write
 * carries "this key does not exist yet" compares and the puts for its new allocations, plus the deletes
 * for released ones, in its own transaction: two concurrent creates can never get the same IP, and a
 * failed write leaks nothing.
 */
import { randomInt } from 'node:crypto';
import type { ICompare, IRequestOp } from 'etcd3';
import type { KubeObject } from '../api-object.js';
import { isPlainObject } from '../api-object.js';
import type { StatusCause } from '../api-error.js';
import type { TxnExtras } from '../storage/etcd-storage.js';

export interface ServiceRanges {
  /** e.g. 10.96.0.0/12 */
  clusterIpRange: string;
  nodePortMin: number;
  nodePortMax: number;
}

export const DEFAULT_SERVICE_RANGES: ServiceRanges = {
  clusterIpRange: '10.96.0.0/12',
  nodePortMin: 30000,
  nodePortMax: 32767,
};

export interface Cidr {
  base: number;
  size: number;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseCidr(cidr: string): Cidr {
  const [ip, bitsText] = cidr.split('/');
  const addr = ipToInt(ip);
  const bits = Number(bitsText);
  if (addr === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) {
    throw new Error(`invalid service CIDR ${cidr}: an IPv4 range between /8 and /30 is required`);
  }
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), size };
}

/** The first usable address of the range: upstream gives it to the `kubernetes` Service. */
export function firstServiceIp(cidr: string): string {
  return intToIp(parseCidr(cidr).base + 1);
}

/** Whether `ip` may be allocated: inside the range, not the network or broadcast address. */
export function ipInRange(range: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n !== undefined && n > range.base && n < range.base + range.size - 1;
}

export function pickFree(
  count: number,
  isTaken: (offset: number) => boolean,
  random: (n: number) => number = randomInt,
): number | undefined {
  // Random probing first (cheap while the range is sparse), then a scan from a random start.
  for (let i = 0; i < 32; i++) {
    const candidate = random(count);
    if (!isTaken(candidate)) return candidate;
  }
  const start = random(count);
  for (let i = 0; i < count; i++) {
    const candidate = (start + i) % count;
    if (!isTaken(candidate)) return candidate;
  }
  return undefined;
}

export interface ServiceAllocation {
  clusterIp?: string;
  nodePorts: number[];
}

/** What a Service holds: its ClusterIP (unless headless) and the node ports of its ports. */
export function allocationsOf(service: KubeObject | undefined): ServiceAllocation {
  const spec = service && isPlainObject(service.spec) ? service.spec : {};
  const clusterIp =
    typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None' && spec.clusterIP
      ? spec.clusterIP
      : undefined;
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  const nodePorts = ports
    .map((p) => (isPlainObject(p) && typeof p.nodePort === 'number' ? p.nodePort : 0))
    .filter((p) => p > 0);
  return { clusterIp, nodePorts };
}

export function needsNodePorts(service: KubeObject): boolean {
  const spec = isPlainObject(service.spec) ? service.spec : {};
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

export interface AllocationPlan {
  service: KubeObject;
  extras: TxnExtras;
}

export class ServiceAllocator {
  private readonly range: Cidr;

  constructor(
    private readonly prefix: string,
    private readonly ranges: ServiceRanges,
    private readonly listAllocated: (prefix: string) => Promise<string[]>,
  ) {
    this.range = parseCidr(ranges.clusterIpRange);
  }

  ipKey(ip: string): string {
    return `${this.prefix}/ranges/serviceips/${ip}`;
  }

  portKey(port: number): string {
    return `${this.prefix}/ranges/servicenodeports/${port}`;
  }

  /**
   * Fills in `spec.clusterIP(s)` and node ports the service needs and does not have, checks the ones
   * it asked for, and returns the transaction parts that claim new values and release dropped ones.
   * Throws a list of causes (for a 422) when a requested value is out of range.
   */
  async plan(next: KubeObject, current: KubeObject | undefined, owner: string): Promise<AllocationPlan> {
    const held = allocationsOf(current);
    const spec: Record<string, unknown> = isPlainObject(next.spec) ? { ...next.spec } : {};
    const causes: StatusCause[] = [];
    const claims: Buffer[] = [];
    const puts: IRequestOp[] = [];
    const value = Buffer.from(owner);
    const claim = (key: string) => {
      claims.push(Buffer.from(key));
      puts.push({ request_put: { key: Buffer.from(key), value } });
    };

    // ClusterIP
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
      const requested = typeof spec.clusterIP === 'string' && spec.clusterIP ? spec.clusterIP : undefined;
      if (requested && requested !== held.clusterIp) {
        if (!ipInRange(this.range, requested)) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            message: `Invalid value: ["${requested}"]: failed to allocate IP ${requested}: provided IP is not in the valid range. The range of valid IPs is ${this.ranges.clusterIpRange}`,
          });
        } else claim(this.ipKey(requested));
      } else if (!requested) {
        const taken = new Set(await this.listAllocated(`${this.prefix}/ranges/serviceips/`));
        const offset = pickFree(this.range.size - 2, (o) => taken.has(intToIp(this.range.base + 1 + o)));
        if (offset === undefined) throw new RangeFullError('failed to allocate a serviceIP: range is full');
        const ip = intToIp(this.range.base + 1 + offset);
        spec.clusterIP = ip;
        claim(this.ipKey(ip));
      }
      spec.clusterIPs = [spec.clusterIP];
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
    }

    // NodePorts
    const ports = Array.isArray(spec.ports) ? spec.ports.map((p) => (isPlainObject(p) ? { ...p } : p)) : [];
    if (needsNodePorts({ ...next, spec })) {
      let taken: Set<string> | undefined;
      const inUse = new Set<number>();
      for (const [i, port] of ports.entries()) {
        if (!isPlainObject(port)) continue;
        const requested = typeof port.nodePort === 'number' && port.nodePort > 0 ? port.nodePort : undefined;
        if (requested !== undefined) {
          if (requested < this.ranges.nodePortMin || requested > this.ranges.nodePortMax) {
            causes.push({
              reason: 'FieldValueInvalid',
              field: `spec.ports[${i}].nodePort`,
              message: `Invalid value: ${requested}: provided port is not in the valid range. The range of valid ports is ${this.ranges.nodePortMin}-${this.ranges.nodePortMax}`,
            });
          } else if (!held.nodePorts.includes(requested) && !inUse.has(requested)) {
            claim(this.portKey(requested));
          }
          inUse.add(requested);
          continue;
        }
        taken ??= new Set(await this.listAllocated(`${this.prefix}/ranges/servicenodeports/`));
        const count = this.ranges.nodePortMax - this.ranges.nodePortMin + 1;
        const offset = pickFree(count, (o) => {
          const p = this.ranges.nodePortMin + o;
          return inUse.has(p) || taken!.has(String(p));
        });
        if (offset === undefined) throw new RangeFullError('failed to allocate a nodePort: range is full');
        const allocated = this.ranges.nodePortMin + offset;
        port.nodePort = allocated;
        inUse.add(allocated);
        claim(this.portKey(allocated));
      }
    } else {
      for (const port of ports) if (isPlainObject(port)) delete port.nodePort;
    }
    if (causes.length) throw new AllocationInvalid(causes);
    spec.ports = ports;

    const service: KubeObject = { ...next, spec };
    const kept = allocationsOf(service);
    const releases: IRequestOp[] = [];
    if (held.clusterIp && held.clusterIp !== kept.clusterIp) {
      releases.push({ request_delete_range: { key: Buffer.from(this.ipKey(held.clusterIp)) } });
    }
    for (const port of held.nodePorts) {
      if (!kept.nodePorts.includes(port))
        releases.push({ request_delete_range: { key: Buffer.from(this.portKey(port)) } });
    }
    const compares: ICompare[] = claims.map((key) => ({
      key,
      target: 'Create',
      result: 'Equal',
      create_revision: 0,
    }));
    return { service, extras: { compares, operations: [...puts, ...releases] } };
  }

  /** The transaction parts that free everything a deleted service held. */
  releaseAll(service: KubeObject): TxnExtras {
    const held = allocationsOf(service);
    const keys = [
      ...(held.clusterIp ? [this.ipKey(held.clusterIp)] : []),
      ...held.nodePorts.map((p) => this.portKey(p)),
    ];
    return {
      compares: [],
      operations: keys.map((key) => ({ request_delete_range: { key: Buffer.from(key) } })),
    };
  }

  /** Reports which requested values were already taken, to explain a failed transaction. */
  async takenAmong(service: KubeObject, current: KubeObject | undefined): Promise<StatusCause[]> {
    const held = allocationsOf(current);
    const wanted = allocationsOf(service);
    const causes: StatusCause[] = [];
    const ips = new Set(await this.listAllocated(`${this.prefix}/ranges/serviceips/`));
    if (wanted.clusterIp && wanted.clusterIp !== held.clusterIp && ips.has(wanted.clusterIp)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIPs',
        message: `Invalid value: ["${wanted.clusterIp}"]: failed to allocate IP ${wanted.clusterIp}: provided IP is already allocated`,
      });
    }
    const ports = new Set(await this.listAllocated(`${this.prefix}/ranges/servicenodeports/`));
    for (const port of wanted.nodePorts) {
      if (!held.nodePorts.includes(port) && ports.has(String(port))) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: 'spec.ports.nodePort',
          message: `Invalid value: ${port}: provided port is already allocated`,
        });
      }
    }
    return causes;
  }
}

export class AllocationInvalid extends Error {
  constructor(readonly causes: StatusCause[]) {
    super(causes.map((c) => c.message).join(', '));
  }
}

export class RangeFullError extends Error {}
