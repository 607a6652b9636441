/**
 * Hairpin mode on the pod bridge's ports, so a pod can reach itself through its own Service: the
 * proxy rewrites such a packet to the pod's own address and sends it back out of the port it came
 * in on, which a Linux bridge drops unless that port is in hairpin mode (upstream's kubelet does the
 * same for the veths of its bridge).
 *
 * Contract: `enableHairpin` turns the mode on for every port of `bridge` that lacks it and returns
 * how many it changed. It never throws: without the bridge or the rights to write sysfs there is
 * nothing it could do, and the pod still works for every other kind of traffic.
 */
import fs from 'node:fs';
import path from 'node:path';

export function enableHairpin(bridge: string, sysfs = '/sys/class/net'): number {
  let changed = 0;
  let ports: string[];
  try {
    ports = fs.readdirSync(path.join(sysfs, bridge, 'brif'));
  } catch {
    return 0;
  }
  for (const port of ports) {
    const file = path.join(sysfs, bridge, 'brif', port, 'hairpin_mode');
    try {
      if (fs.readFileSync(file, 'utf8').trim() === '1') continue;
      fs.writeFileSync(file, '1');
      changed++;
    } catch {
      // The port went away meanwhile, or sysfs is read-only here.
    }
  }
  return changed;
}
