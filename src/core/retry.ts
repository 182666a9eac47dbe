/**
 * Retrying calls to remote services: truncated exponential backoff with jitter (the pure {@link backoffDelay}),
 * a server's `retry-after` honoured when it gives one. Adapters decide what is worth retrying; this only waits.
 */
import { backoffDelay } from './engine/backoff.js';
import type { BackoffPolicy } from './engine/backoff.js';

export interface RetryDecision {
  retry: boolean;
  /** What the server asked for (retry-after), in ms; wins over the computed backoff. */
  afterMs?: number | null;
}

export interface RetryOptions {
  /** Total tries, the first included. */
  attempts: number;
  policy: BackoffPolicy;
  classify(error: unknown): RetryDecision;
  signal?: AbortSignal | undefined;
  /** A server's retry-after is honoured up to this; longer waits give up instead. Default 120 s. */
  maxRetryAfterMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Google's and most APIs' advice: 1 s, 2 s, 4 s … up to 64 s, each ± half. */
export const REMOTE_RETRY_POLICY: BackoffPolicy = { baseMs: 1_000, maxMs: 64_000, jitter: 0.5 };

/** Calls `fn` until it succeeds, the error is not worth retrying, or the attempts are spent. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.signal?.aborted || attempt >= options.attempts) throw error;
      const decision = options.classify(error);
      if (!decision.retry) throw error;
      const delay = retryDelay(attempt, decision.afterMs ?? null, options);
      if (delay === null) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

function retryDelay(attempt: number, afterMs: number | null, options: RetryOptions): number | null {
  if (afterMs !== null) return afterMs > (options.maxRetryAfterMs ?? 120_000) ? null : afterMs;
  return backoffDelay(attempt, options.policy, options.random);
}

/** `retry-after` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value == null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Errors that mean the network, not the server, failed (reset, refused, DNS, timeout). */
export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const e = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e.name === 'TimeoutError' || e.name === 'ConnectTimeoutError' || e.name === 'HeadersTimeoutError' || e.name === 'BodyTimeoutError') return true;
    if (typeof e.message === 'string' && /fetch failed|socket hang up|other side closed|terminated/i.test(e.message)) return true;
    current = e.cause;
  }
  return false;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
