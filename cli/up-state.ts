/**
 * What a running `kubicle up` leaves in its data dir for `kubicle down` and for a later `up`: its
 * pid and the names under which it created things outside the data dir (the node whose containers
 * the kubelet owns). Written when up is ready; kept after it stops, since its pods keep running.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface UpState {
  pid: number;
  nodeName: string;
  apiServer: string;
  kubeconfig: string;
  /** The components this up ran; `down` only cleans up after those. */
  components: string[];
}

export function upStateFile(dataDir: string): string {
  return path.join(dataDir, 'up.json');
}

export function writeUpState(dataDir: string, state: UpState): void {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(upStateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function readUpState(dataDir: string): UpState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(upStateFile(dataDir), 'utf8')) as Partial<UpState>;
    if (typeof state.pid !== 'number' || typeof state.nodeName !== 'string') return undefined;
    return {
      pid: state.pid,
      nodeName: state.nodeName,
      apiServer: state.apiServer ?? '',
      kubeconfig: state.kubeconfig ?? '',
      components: Array.isArray(state.components) ? state.components : [],
    };
  } catch {
    return undefined;
  }
}

/** True while a process with this pid runs (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
