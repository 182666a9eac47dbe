/** Small helpers for AbortSignal-driven cancellation. */

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. Leaves no listener behind. */
export async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  // If the abort wins, `promise` is abandoned; its later rejection must not surface as unhandled.
  promise.catch(() => undefined);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
