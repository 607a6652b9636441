/**
 * What the kubelet reports about its host: reads /etc/os-release, /proc and the network interfaces
 * once at start, and the pressure signals on every node status update. Everything it reads that is
 * missing is reported as empty, never as a failure: a node must register even in a minimal container.
 */
import fs from 'node:fs';
import os from 'node:os';
import { defaultRouteInterface, goArch, parseOsRelease, primaryIPv4 } from './node-status.js';

export interface HostInfo {
  hostname: string;
  /** The address other hosts reach this one at (InternalIP). */
  nodeIP: string;
  cpus: number;
  memoryBytes: number;
  kernelVersion: string;
  osImage: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  operatingSystem: string;
  architecture: string;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function readHostInfo(nodeIP?: string): HostInfo {
  const release = parseOsRelease(readText('/etc/os-release'));
  const detected = primaryIPv4(os.networkInterfaces(), defaultRouteInterface(readText('/proc/net/route')));
  return {
    hostname: os.hostname(),
    nodeIP: nodeIP ?? detected ?? '127.0.0.1',
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernelVersion: os.release(),
    osImage: release.PRETTY_NAME ?? `${os.type()} ${os.release()}`,
    machineID: readText('/etc/machine-id').trim(),
    systemUUID: readText('/sys/class/dmi/id/product_uuid').trim(),
    bootID: readText('/proc/sys/kernel/random/boot_id').trim(),
    operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
    architecture: goArch(os.arch()),
  };
}

/** Upstream's default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%. */
const MEMORY_PRESSURE_BYTES = 100 * 1024 * 1024;
const DISK_PRESSURE_RATIO = 0.1;

export function hostPressure(dataDir: string): { memoryPressure: boolean; diskPressure: boolean } {
  let diskPressure = false;
  try {
    const stat = fs.statfsSync(dataDir);
    diskPressure = stat.blocks > 0 && stat.bavail / stat.blocks < DISK_PRESSURE_RATIO;
  } catch {
    // No data dir yet: nothing to be under pressure.
  }
  return { memoryPressure: os.freemem() < MEMORY_PRESSURE_BYTES, diskPressure };
}
