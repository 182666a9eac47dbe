/**
 * Runs `work` for the indices 0 … count − 1, at most `lanes` at a time, and returns the results in index order.
 * After a failure (or once `signal` aborts) no lane starts more work; the first failure is rethrown, and an
 * abort rejects with the signal's reason — never a result array with holes where work was not done.
 */
export async function mapInLanes<T>(count: number, lanes: number, work: (index: number) => Promise<T>, signal?: AbortSignal): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < count && !failed && !signal?.aborted) {
      const index = next;
      next += 1;
      try {
        results[index] = await work(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(lanes, count)) }, lane));
  signal?.throwIfAborted();
  return results;
}
