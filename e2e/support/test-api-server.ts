/**
 * An API server for one test file: in-process, on a free port, against the shared test etcd under a
 * key prefix of its own, with a kubeconfig and a kubectl cache dir in a private temp dir. `close`
 * stops it and deletes everything it stored.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { startApiServer } from '../../apiserver/api-server.js';
import type { ApiServerConfig, RunningApiServer } from '../../apiserver/api-server.js';
import { writeKubeconfig } from '../../cli/kubeconfig.js';
import { testEtcdUrl } from './test-etcd.js';

export interface TestApiServer {
  url: string;
  port: number;
  etcdUrl: string;
  prefix: string;
  dir: string;
  kubeconfig: string;
  server: RunningApiServer;
  /** Stops the server only (the data stays), for restart tests. */
  stop(): Promise<void>;
  /** Starts a stopped server again on the same port and data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestApiServer(config: Partial<ApiServerConfig> = {}): Promise<TestApiServer> {
  const etcdUrl = testEtcdUrl();
  const prefix = `/kubicle-test-${randomBytes(6).toString('hex')}/registry`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubicle-test-'));
  const base: Partial<ApiServerConfig> = {
    etcdServers: [etcdUrl],
    etcdPrefix: prefix,
    port: 0,
    compactionIntervalMs: 0,
    log: () => undefined,
    ...config,
  };
  let server = await startApiServer(base);
  const port = server.port;
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, server.url);
  let running = true;
  const handle: TestApiServer = {
    url: server.url,
    port,
    etcdUrl,
    prefix,
    dir,
    kubeconfig,
    server,
    async stop() {
      if (running) await server.close();
      running = false;
    },
    async restart() {
      if (running) await server.close();
      server = await startApiServer({ ...base, port });
      handle.server = server;
      running = true;
    },
    async close() {
      if (running) await server.close();
      running = false;
      const client = new Etcd3({ hosts: [etcdUrl] });
      try {
        await client.delete().prefix(prefix.replace(/\/registry$/, '/'));
      } finally {
        client.close();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
