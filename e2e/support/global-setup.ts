/**
 * One etcd for the whole integration run, on a private port with its data in a temp dir. Each test
 * file gets its own key prefix from `startTestApiServer`, so files run in parallel without colliding.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// Jest loads global setup through require(), which resolves source files only by their .ts names.
import { startEtcd } from '../../cli/etcd-process.ts';
import { freePort } from './free-port.ts';

export const STATE_FILE = path.join(os.tmpdir(), `kubicle-test-etcd-${process.pid}.json`);

export default async function globalSetup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-test-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const etcd = await startEtcd({ dataDir, clientPort, peerPort });
  process.env.KUBICLE_TEST_ETCD = etcd.url;
  process.env.KUBICLE_TEST_ETCD_STATE = STATE_FILE;
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pid: etcd.child.pid, dataDir }));
  etcd.child.unref();
}
