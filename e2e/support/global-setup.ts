/**
 * One etcd for the whole integration run, on a private port with its data in a temp dir. Each test
 * file gets its own key prefix from `startTestApiServer`, so files run in parallel without colliding.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as FreePortModule from '../../bench/free-port.js';
import type * as EtcdProcessModule from '../../cli/etcd-process.js';

export const STATE_FILE = path.join(os.tmpdir(), `kubicle-test-etcd-${process.pid}.json`);

export default async function globalSetup(): Promise<void> {
  // Global setup runs outside jest's module system, where only compiled JavaScript can be imported:
  // it uses the built etcd launcher and port finder (`npm test` builds before it runs jest).
  const launcher = path.resolve('dist/cli/etcd-process.js');
  const ports = path.resolve('dist/bench/free-port.js');
  for (const built of [launcher, ports]) {
    if (!fs.existsSync(built)) throw new Error(`${built} is missing: run 'npm run build' first`);
  }
  const { startEtcd } = (await import(launcher)) as typeof EtcdProcessModule;
  const { freePort } = (await import(ports)) as typeof FreePortModule;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-test-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const etcd = await startEtcd({ dataDir, clientPort, peerPort });
  process.env.KUBICLE_TEST_ETCD = etcd.url;
  process.env.KUBICLE_TEST_ETCD_STATE = STATE_FILE;
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pid: etcd.child.pid, dataDir }));
  etcd.child.unref();
}
