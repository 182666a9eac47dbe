/**
 * The generated Drive v3 client (`@googleapis/drive`) with our own retries: gaxios's are switched off because it
 * does not retry 403 rate-limit errors and does not back off the way Google asks (truncated exponential backoff
 * with jitter, `min(2^n s + jitter, 64 s)`). Every call counts, so benchmarks and tests can see what listing costs.
 */
import { drive } from '@googleapis/drive';
import type { drive_v3 } from '@googleapis/drive';
import type { OAuth2Client } from 'google-auth-library';
import { AppError } from '../../errors.js';
import type { BackoffPolicy } from '../../engine/backoff.js';
import type { EngineLogger } from '../../engine/types.js';
import { REMOTE_RETRY_POLICY, isNetworkError, parseRetryAfter, withRetry } from '../../retry.js';
import type { RetryDecision } from '../../retry.js';
import { authFailure } from './drive-auth.js';

export type DriveApi = drive_v3.Drive;
export type DriveFile = drive_v3.Schema$File;

export const DEFAULT_ROOT_URL = 'https://www.googleapis.com/';

export interface DriveClientOptions {
  auth: OAuth2Client;
  /** GOOGLE_API_ROOT_URL; default Google's. Tests and proxies point it elsewhere. */
  rootUrl?: string | undefined;
  /** Per request. Default 60 s. */
  timeoutMs?: number | undefined;
  attempts?: number | undefined;
  retryPolicy?: BackoffPolicy | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  logger: EngineLogger;
}

/** Calls counted by kind; `list` is what the 70,000-file budget is about. */
export interface DriveCallCounts {
  list: number;
  get: number;
  changes: number;
  retries: number;
}

/** A Drive client plus the retrying, counting way to call it. */
export class DriveClient {
  readonly api: DriveApi;
  readonly rootUrl: string;
  readonly counts: DriveCallCounts = { list: 0, get: 0, changes: 0, retries: 0 };

  constructor(private readonly options: DriveClientOptions) {
    this.rootUrl = normaliseRootUrl(options.rootUrl);
    this.api = drive({ version: 'v3', auth: options.auth, rootUrl: this.rootUrl, timeout: options.timeoutMs ?? 60_000, retry: false });
  }

  get auth(): OAuth2Client {
    return this.options.auth;
  }

  /** Runs one API call with retries; failures become {@link AppError}s naming `what`. */
  async call<T>(kind: keyof Omit<DriveCallCounts, 'retries'>, what: string, fn: () => Promise<{ data: T }>, signal?: AbortSignal): Promise<T> {
    try {
      const response = await withRetry(
        () => {
          this.counts[kind] += 1;
          return fn();
        },
        {
          attempts: this.options.attempts ?? 6,
          policy: this.options.retryPolicy ?? REMOTE_RETRY_POLICY,
          classify: classifyDriveError,
          signal,
          ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
          onRetry: (error, attempt, delayMs) => {
            this.counts.retries += 1;
            this.options.logger.warn({ what, attempt, delayMs, reason: driveErrorSummary(error) }, 'Drive call failed; retrying');
          },
        },
      );
      return response.data;
    } catch (error) {
      throw toDriveAppError(error, what);
    }
  }
}

export function normaliseRootUrl(rootUrl: string | undefined): string {
  const url = rootUrl ?? DEFAULT_ROOT_URL;
  return url.endsWith('/') ? url : `${url}/`;
}

interface GoogleErrorShape {
  status?: number;
  code?: unknown;
  response?: { status?: number; headers?: Headers | Record<string, string>; data?: unknown };
}

/** HTTP status, Google's reasons and retry-after of a failed call. */
export function driveErrorInfo(error: unknown): { status: number | null; reasons: string[]; retryAfterMs: number | null } {
  const e = (error ?? {}) as GoogleErrorShape;
  const status = e.response?.status ?? e.status ?? null;
  const data = e.response?.data as { error?: { errors?: { reason?: string }[]; status?: string } | string } | undefined;
  const body = typeof data?.error === 'object' ? data.error : undefined;
  const reasons = (body?.errors ?? []).flatMap((x) => (x.reason ? [x.reason] : []));
  if (reasons.length === 0 && body?.status) reasons.push(body.status);
  const headers = e.response?.headers;
  // gaxios hands node-fetch's Headers (not the global class), so look for `get` rather than `instanceof`.
  const retryAfter = typeof (headers as Headers | undefined)?.get === 'function' ? (headers as Headers).get('retry-after') : (headers as Record<string, string> | undefined)?.['retry-after'];
  return { status, reasons, retryAfterMs: parseRetryAfter(retryAfter ?? null) };
}

const RATE_LIMIT_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded', 'RESOURCE_EXHAUSTED']);

/** 429, 5xx, 408, network failures and 403 rate-limit reasons are worth another try; the rest are not. */
export function classifyDriveError(error: unknown): RetryDecision {
  if (authFailure(error)) return { retry: false };
  const { status, reasons, retryAfterMs } = driveErrorInfo(error);
  // No response at all: the network failed or our per-request timeout fired (the caller's own abort is not retried).
  if (status === null) return { retry: isNetworkError(error) || isTimeout(error) };
  if (status === 429 || status === 408 || status >= 500) return { retry: true, afterMs: retryAfterMs };
  if (status === 403 && reasons.some((r) => RATE_LIMIT_REASONS.has(r))) return { retry: true, afterMs: retryAfterMs };
  return { retry: false };
}

/** gaxios wraps node-fetch's AbortError; its signal's reason says whether it was the timeout. */
function isTimeout(error: unknown): boolean {
  const e = error as { error?: { name?: string }; cause?: { name?: string }; config?: { signal?: AbortSignal } };
  const reason = e.config?.signal?.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError' || e.error?.name === 'AbortError' || e.cause?.name === 'AbortError';
}

export function driveErrorSummary(error: unknown): string {
  const { status, reasons } = driveErrorInfo(error);
  const message = (error as Error)?.message ?? String(error);
  return status === null ? message : `HTTP ${status}${reasons.length ? ` (${reasons.join(', ')})` : ''}: ${message}`;
}

/** A failure after retries, as an {@link AppError} a person can act on. */
export function toDriveAppError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const auth = authFailure(error);
  if (auth) return auth;
  const { status } = driveErrorInfo(error);
  const summary = driveErrorSummary(error);
  if (status === 404) {
    return new AppError('drive_not_found', `Google Drive says ${what} does not exist or is not shared with these credentials (${summary}).`, {
      hint: 'Check the folder id, and share the folder (or add the service account to the shared drive) with read access.',
      cause: error,
    });
  }
  if (status === 401 || status === 403) {
    return new AppError('drive_forbidden', `Google Drive refused ${what} (${summary}).`, {
      hint: 'Check the credentials have the Drive read-only scope and access to the folder (docs/cloud.md).',
      cause: error,
    });
  }
  return new AppError('drive_failed', `Google Drive failed on ${what} after retries (${summary}).`, { cause: error });
}
