/**
 * Resource arithmetic for scheduling: quantities as plain integers (CPU in millicores, memory in bytes,
 * pods as a count), and the pod's effective request computed as upstream's resource helper does.
 *
 * Contract:
 * - `milliValue`/`value` round up like resource.Quantity's MilliValue()/Value(); malformed or missing
 *   quantities count as 0 (the API server rejects them before they reach the scheduler).
 * - `podRequests` = max(sum of app containers + sidecars, the largest init container step) + overhead,
 *   per resource, with sidecars (init containers with restartPolicy Always) running alongside later init
 *   containers and the app containers.
 * - With `nonZero`, a container that names no CPU or memory request counts as 100m / 200Mi, the defaults
 *   upstream uses for spreading scores so that best-effort pods are not free.
 */

import { parseQuantity } from '../apiserver/admission/quantity.js';
import type { Container, Node, Pod, ResourceList } from './api-types.js';

export interface Resources {
  milliCpu: number;
  memory: number;
}

export interface Allocatable extends Resources {
  pods: number;
}

/** schedutil.DefaultMilliCPURequest and DefaultMemoryRequest. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_UNIT = 1_000_000_000n;

// The same few quantity strings ("100m", "128Mi") repeat across thousands of pods, and each pod is read
// again when it is assumed and when its binding comes back; parsing and BigInt division are the
// expensive part, so the rounded results are memoised. The bound keeps a stream of unique strings from
// growing the memos.
const MEMO_LIMIT = 10_000;
const milliMemo = new Map<string | number, number>();
const unitMemo = new Map<string | number, number>();

function divideRoundingUp(numerator: bigint, denominator: bigint): number {
  // BigInt division truncates toward zero, which already rounds negative values up.
  const quotient = numerator > 0n ? (numerator + denominator - 1n) / denominator : numerator / denominator;
  return Number(quotient);
}

function rounded(
  memo: Map<string | number, number>,
  quantity: string | number | undefined,
  denominator: bigint,
): number {
  if (quantity === undefined) return 0;
  const known = memo.get(quantity);
  if (known !== undefined) return known;
  const result = divideRoundingUp(parseQuantity(quantity) ?? 0n, denominator);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(quantity, result);
  return result;
}

/** Quantity.MilliValue(): the amount in thousandths, rounded up ("1" → 1000, "0.5m" → 1). */
export function milliValue(quantity: string | number | undefined): number {
  return rounded(milliMemo, quantity, NANOS_PER_MILLI);
}

/** Quantity.Value(): the amount in whole units, rounded up ("1Ki" → 1024, "1.5" → 2). */
export function value(quantity: string | number | undefined): number {
  return rounded(unitMemo, quantity, NANOS_PER_UNIT);
}

function hasOwn(list: ResourceList, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(list, key);
}

function containerRequests(container: Container, nonZero: boolean): Resources {
  const requests = container.resources?.requests ?? {};
  const hasCpu = hasOwn(requests, 'cpu');
  const hasMemory = hasOwn(requests, 'memory');
  return {
    milliCpu: hasCpu ? milliValue(requests.cpu) : nonZero ? DEFAULT_MILLI_CPU_REQUEST : 0,
    memory: hasMemory ? value(requests.memory) : nonZero ? DEFAULT_MEMORY_REQUEST : 0,
  };
}

/**
 * The pod's effective CPU and memory request. Worked example: app containers of 1 and 2 CPU, init
 * containers of 2 and 3 CPU: the pod needs max(1 + 2, 2, 3) = 3 CPU, plus overhead.
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const spec = pod.spec ?? {};
  let milliCpu = 0;
  let memory = 0;
  for (const container of spec.containers ?? []) {
    const r = containerRequests(container, nonZero);
    milliCpu += r.milliCpu;
    memory += r.memory;
  }

  let sidecarCpu = 0;
  let sidecarMemory = 0;
  let initMaxCpu = 0;
  let initMaxMemory = 0;
  for (const container of spec.initContainers ?? []) {
    const r = containerRequests(container, nonZero);
    let stepCpu: number;
    let stepMemory: number;
    if (container.restartPolicy === 'Always') {
      // A sidecar keeps running next to every later init container and the app containers.
      milliCpu += r.milliCpu;
      memory += r.memory;
      sidecarCpu += r.milliCpu;
      sidecarMemory += r.memory;
      stepCpu = sidecarCpu;
      stepMemory = sidecarMemory;
    } else {
      stepCpu = r.milliCpu + sidecarCpu;
      stepMemory = r.memory + sidecarMemory;
    }
    initMaxCpu = Math.max(initMaxCpu, stepCpu);
    initMaxMemory = Math.max(initMaxMemory, stepMemory);
  }

  milliCpu = Math.max(milliCpu, initMaxCpu);
  memory = Math.max(memory, initMaxMemory);

  const overhead = spec.overhead;
  if (overhead) {
    if (hasOwn(overhead, 'cpu')) milliCpu += milliValue(overhead.cpu);
    if (hasOwn(overhead, 'memory')) memory += value(overhead.memory);
  }
  return { milliCpu, memory };
}

/**
 * What the node offers to pods. Upstream reads only status.allocatable; capacity is a fallback for nodes
 * that report capacity alone, so such a node is not mistaken for one that fits zero pods.
 */
export function nodeAllocatable(node: Node): Allocatable {
  const list = node.status?.allocatable ?? node.status?.capacity ?? {};
  return {
    milliCpu: milliValue(list.cpu),
    memory: value(list.memory),
    pods: value(list.pods),
  };
}
