/**
 * Keeps etcd from growing without bound: every interval, history older than the revision seen one
 * interval ago is compacted, as upstream's compactor does. Watches and continue tokens from before
 * that point then get 410 and clients relist.
 */
import type { EtcdStorage } from './etcd-storage.js';

export class EtcdCompactor {
  private timer: NodeJS.Timeout | undefined;
  private previousRevision = 0;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly intervalMs: number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    try {
      const current = await this.storage.currentRevision();
      if (this.previousRevision > 0) await this.storage.compact(this.previousRevision);
      this.previousRevision = current;
    } catch (err) {
      this.log(`etcd compaction failed (will retry): ${String(err)}`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
