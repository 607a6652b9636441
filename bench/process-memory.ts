/**
 * The resident memory of a process as the kernel reports it in /proc/<pid>/status: VmRSS now and
 * VmHWM, its peak so far. Linux only; NaN for a field the kernel does not report.
 */
import fs from 'node:fs';

export interface ProcessMemory {
  rssKiB: number;
  hwmKiB: number;
}

export function processMemory(pid: number): ProcessMemory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}
