/**
 * Runs a real kubectl binary against a test cluster, with a private discovery cache dir so tests
 * never see each other's (or a stale) cache.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const SDK_BIN = '/usr/lib/google-cloud-sdk/bin';

/** The kubectl binaries to test with: the default one and the versioned ones that exist here. */
export function kubectlBinaries(versions: string[]): { name: string; path: string }[] {
  const found: { name: string; path: string }[] = [];
  const defaultKubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => fs.existsSync(p));
  if (defaultKubectl) found.push({ name: 'kubectl', path: defaultKubectl });
  for (const v of versions) {
    const p = path.join(SDK_BIN, `kubectl.${v}`);
    if (fs.existsSync(p)) found.push({ name: `kubectl ${v}`, path: p });
  }
  return found;
}

export function kubectl(
  binary: string,
  args: string[],
  opts: {
    kubeconfig: string;
    cacheDir: string;
    stdin?: string;
    timeoutMs?: number;
    env?: Record<string, string>;
  },
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      binary,
      [`--kubeconfig=${opts.kubeconfig}`, `--cache-dir=${opts.cacheDir}`, ...args],
      {
        env: { ...process.env, KUBECONFIG: opts.kubeconfig, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** The output of a kubectl run that must have succeeded; otherwise an error with all it said. */
export function succeeded(result: KubectlResult): string {
  if (result.code !== 0)
    throw new Error(`kubectl exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export function spawnKubectl(binary: string, args: string[], opts: { kubeconfig: string; cacheDir: string }) {
  return spawn(binary, [`--kubeconfig=${opts.kubeconfig}`, `--cache-dir=${opts.cacheDir}`, ...args], {
    env: { ...process.env, KUBECONFIG: opts.kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
