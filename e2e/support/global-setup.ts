/**
 * One etcd for the whole integration run, on a private port with its data in a temp dir. Each test
 * file gets its own key prefix from `startTestApiServer`, so files run in parallel without colliding.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

export const STATE_FILE = path.join(os.tmpdir(), `kubicle-test-etcd-${process.pid}.json`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup(): Promise<void> {
  // Global setup runs outside jest's module system, where only compiled JavaScript can be imported:
  // it uses the built etcd launcher (`npm test` builds before it runs jest).
  const launcher = path.resolve('dist/cli/etcd-process.js');
  if (!fs.existsSync(launcher)) throw new Error(`${launcher} is missing: run 'npm run build' first`);
  const { startEtcd } = (await import(launcher)) as typeof import('../../cli/etcd-process.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-test-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const etcd = await startEtcd({ dataDir, clientPort, peerPort });
  process.env.KUBICLE_TEST_ETCD = etcd.url;
  process.env.KUBICLE_TEST_ETCD_STATE = STATE_FILE;
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pid: etcd.child.pid, dataDir }));
  etcd.child.unref();
}
