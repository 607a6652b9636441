/**
 * CPU accounting for benchmarks that run components on worker threads: the CPU time a thread or a
 * child process has used, read from /proc, and which threads a new worker brought with it. Without
 * /proc every reading is undefined and the benchmarks print n/a.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const CLOCK_TICKS = clockTicksPerSecond();

/** CPU ms (user + system) from a /proc stat line, e.g. `/proc/<pid>/stat` or a thread's. */
export function cpuMs(statPath: string): number | undefined {
  try {
    const stat = fs.readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The CPU ms of several stat files together; undefined if any cannot be read or there are none. */
export function sumCpu(stats: readonly string[]): number | undefined {
  let total = 0;
  for (const stat of stats) {
    const ms = cpuMs(stat);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return stats.length ? total : undefined;
}

/** The ids of this process's threads. */
export function threadIds(): Set<string> {
  try {
    return new Set(fs.readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

/**
 * The stat files of the threads a worker brought: those that appeared between `before` (taken just
 * before the worker was created) and its coming online. Workers must be started one at a time for
 * the attribution to hold.
 */
export async function workerThreadStats(worker: Worker, before: Set<string>): Promise<string[]> {
  await new Promise<void>((resolve) => worker.once('online', () => resolve()));
  return [...threadIds()].filter((id) => !before.has(id)).map((id) => `/proc/self/task/${id}/stat`);
}

export const mainThreadStat = `/proc/self/task/${process.pid}/stat`;
