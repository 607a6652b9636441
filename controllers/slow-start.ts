/**
 * slowStartBatch: runs `fn` `count` times in batches that start at `initialBatchSize` and double,
 * stopping after the first batch in which any call failed, as upstream's slowStartBatch. A controller
 * that cannot create (no quota, bad template) then fails after a handful of calls instead of hammering
 * the API server with hundreds of doomed requests and as many events.
 *
 * Returns how many calls succeeded, and the first error if a batch failed. Calls after the failing
 * batch are never made; the caller must account for them (e.g. lower its expectations).
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0].reason };
    remaining -= batch;
  }
  return { successes };
}
