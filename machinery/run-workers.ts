/**
 * The worker loop every controller runs over its WorkQueue, as in sample-controller's
 * runWorker/processNextWorkItem.
 *
 * Contract:
 * - `count` workers each loop `get` → `sync(key)` → `done(key)` until the queue shuts down; the queue
 *   guarantees no two of them hold the same key.
 * - `sync` resolving means the key is converged: its rate-limit history is forgotten. `sync` throwing
 *   means "try again later": the error is logged and the key re-added with `addRateLimited`. A sync that
 *   must not be retried (say, an invalid spec) logs and returns instead of throwing.
 * - Aborting `signal` shuts the queue down (without drain); the returned promise resolves once every
 *   worker has finished its current sync. It never rejects.
 */
import type { WorkQueue } from './workqueue.js';

export interface RunWorkersOptions {
  signal: AbortSignal;
  /** Prefixes log lines, e.g. the controller name. */
  name?: string;
  log?: (line: string) => void;
}

export async function runWorkers<T extends NonNullable<unknown>>(
  queue: WorkQueue<T>,
  count: number,
  sync: (key: T) => Promise<void>,
  { signal, name = 'worker', log = (line) => console.error(line) }: RunWorkersOptions,
): Promise<void> {
  const stop = () => queue.shutDown();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });

  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (err) {
        log(`${name}: error syncing ${String(key)}, requeuing: ${errorText(err)}`);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, count) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
