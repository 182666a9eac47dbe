/** Retry timing, as pure functions (table-tested). */

export interface BackoffPolicy {
  /** Delay before the second attempt. */
  baseMs: number;
  /** No delay exceeds this. */
  maxMs: number;
  /** Fraction of the delay randomised, 0..1 ("equal jitter" at 0.5). */
  jitter: number;
}

export const DOCUMENT_RETRY_POLICY: BackoffPolicy = { baseMs: 2_000, maxMs: 60_000, jitter: 0.5 };

/**
 * Exponential backoff with jitter: attempt 1 waits about `baseMs`, attempt 2 about twice that, … capped at `maxMs`.
 * `random` is injectable so tests are exact.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const ideal = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const fixed = ideal * (1 - policy.jitter);
  return Math.round(fixed + ideal * policy.jitter * random());
}

/** Whether a document that has failed `attempts` times may try again. */
export function mayRetry(attempts: number, maxAttempts: number, retryable: boolean): boolean {
  return retryable && attempts < maxAttempts;
}
