/**
 * The private cluster a benchmark measures against: a temp dir, one etcd member on free ports with
 * its data in that dir, and the API server in this process. `close` stops whatever was started and
 * deletes the dir; it may be called at any point, Ctrl-C during start-up included.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { startApiServer, waitForEtcd } from '../apiserver/api-server.js';
import type { ApiServerConfig, RunningApiServer } from '../apiserver/api-server.js';
import { startEtcd } from '../cli/etcd-process.js';
import type { EtcdProcess } from '../cli/etcd-process.js';
import { freePort } from './free-port.js';

export interface BenchEtcd {
  url: string;
  version: string;
  /** A client of the bench's own, closed by the cluster. */
  client: Etcd3;
  /** The etcd process's /proc stat file, for its CPU. */
  statFile: string;
}

export class BenchCluster {
  /** The temp dir: etcd's data is in its `etcd` subdir, the rest is the benchmark's. */
  readonly dataDir: string;
  private etcdProcess: EtcdProcess | undefined;
  private etcdClient: Etcd3 | undefined;
  private server: RunningApiServer | undefined;

  constructor(
    dirPrefix: string,
    private readonly log: (line: string) => void,
  ) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
  }

  /** Starts etcd and waits until it answers. */
  async startEtcd(): Promise<BenchEtcd> {
    this.etcdProcess = await startEtcd({
      dataDir: path.join(this.dataDir, 'etcd'),
      clientPort: await freePort(),
      peerPort: await freePort(),
    });
    const client = new Etcd3({ hosts: [this.etcdProcess.url] });
    this.etcdClient = client;
    await waitForEtcd(client, 30_000);
    return {
      url: this.etcdProcess.url,
      version: (await client.maintenance.status()).version,
      client,
      statFile: `/proc/${this.etcdProcess.child.pid}/stat`,
    };
  }

  /**
   * The API server on a free loopback port against this etcd. Compaction is off unless `config` says
   * otherwise: a run is shorter than its interval, and a compaction mid-phase would skew it.
   */
  async startApiServer(config: Partial<ApiServerConfig> = {}): Promise<RunningApiServer> {
    if (!this.etcdProcess) throw new Error('etcd is not started');
    this.server = await startApiServer({
      etcdServers: [this.etcdProcess.url],
      port: 0,
      bindAddress: '127.0.0.1',
      compactionIntervalMs: 0,
      ...config,
    });
    return this.server;
  }

  async close(): Promise<void> {
    await this.server?.close().catch((err: unknown) => this.log(`server close: ${String(err)}`));
    this.etcdClient?.close();
    await this.etcdProcess?.stop().catch((err: unknown) => this.log(`etcd stop: ${String(err)}`));
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
