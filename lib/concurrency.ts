/** Concurrency helpers for batches of asynchronous work. */

/**
 * fn over every item, at most `limit` calls in flight at a time, each item taken in
 * order as a call ends; the results in the items' order.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  }));
  return results;
}
