/**
 * Downloads a `url` location (e.g. a Drive file with a per-batch read-only access token) to a temporary file:
 * streamed, never whole in memory; refused early when over the size cap; retried on transient failures (network,
 * timeouts, 408/429/5xx and Google's 403 rate-limit reasons) with backoff and jitter, honouring `retry-after`, and
 * resumed with `Range` where the server allows it. Every temporary file is removed on every failure path; on
 * success the caller removes it with `cleanup()`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DocumentError } from '../../core/errors.js';
import type { BackoffPolicy } from '../../core/engine/backoff.js';
import { REMOTE_RETRY_POLICY, isNetworkError, parseRetryAfter, withRetry } from '../../core/retry.js';

export interface UrlLocation {
  url: string;
  /** Per-batch headers (an access token); never logged. */
  headers?: Record<string, string> | undefined;
}

export interface UrlFetchOptions {
  /** Refuse (`too_large`) anything bigger: before reading when the server says the size, else when the count passes it. */
  maxBytes: number;
  /** Where the temporary file goes; it must exist. */
  tempDir: string;
  signal?: AbortSignal | undefined;
  /** Total tries per download. Default 5. */
  attempts?: number;
  retryPolicy?: BackoffPolicy;
  /** No byte (or no response) for this long counts as a transient failure. Default 60 s. */
  idleTimeoutMs?: number;
  /** A server's retry-after longer than this fails the document (it is retried later by the engine). Default 120 s. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Told the bytes on disk after every chunk (and 0 when a download restarts), e.g. to bound prefetching. */
  onProgress?: (bytes: number) => void;
}

export interface FetchedFile {
  path: string;
  bytes: number;
  /** Hex sha256 of the whole content. */
  sha256: string;
  /** Removes the temporary file. Idempotent. */
  cleanup(): Promise<void>;
}

/** Worth another try within this download. */
class TransientFetchError extends Error {
  constructor(
    message: string,
    readonly afterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What has been written so far; kept across attempts so a resumable download continues where it stopped. */
interface Progress {
  handle: FileHandle;
  written: number;
  hash: Hash;
  resumable: boolean;
}

const RATE_LIMIT_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded']);

/** Downloads `location` to a file under `options.tempDir`. Throws {@link DocumentError} with a code on failure. */
export async function fetchUrlToFile(location: UrlLocation, options: UrlFetchOptions): Promise<FetchedFile> {
  const path = join(options.tempDir, `download-${randomUUID()}.part`);
  const handle = await open(path, 'w', 0o600);
  const progress: Progress = { handle, written: 0, hash: createHash('sha256'), resumable: false };
  let closed = false;
  try {
    await withRetry(() => downloadOnce(location, options, progress), {
      attempts: options.attempts ?? 5,
      policy: options.retryPolicy ?? REMOTE_RETRY_POLICY,
      classify: (error) => (error instanceof TransientFetchError ? { retry: true, afterMs: error.afterMs } : { retry: false }),
      maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
      signal: options.signal,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    await handle.close();
    closed = true;
    return { path, bytes: progress.written, sha256: progress.hash.digest('hex'), cleanup: () => rm(path, { force: true }) };
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw finalError(error, options.signal);
  }
}

async function downloadOnce(location: UrlLocation, options: UrlFetchOptions, progress: Progress): Promise<void> {
  const controller = new AbortController();
  const idle = new IdleTimer(controller, options.idleTimeoutMs ?? 60_000);
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await request(location, progress, options.fetch ?? fetch, controller.signal);
    idle.touch();
    await acceptStatus(response, progress, options.maxBytes);
    await stream(response, progress, options, idle);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (error instanceof DocumentError || error instanceof TransientFetchError) throw error;
    if (idle.fired || isNetworkError(error)) {
      const reason = idle.fired ? `no data for ${options.idleTimeoutMs ?? 60_000} ms` : (error as Error).message;
      throw new TransientFetchError(`download interrupted: ${reason}`, null, { cause: error });
    }
    throw error;
  } finally {
    idle.stop();
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function request(location: UrlLocation, progress: Progress, fetchImpl: typeof fetch, signal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { ...(location.headers ?? {}) };
  if (progress.written > 0 && progress.resumable) headers.range = `bytes=${progress.written}-`;
  return fetchImpl(location.url, { headers, signal, redirect: 'follow' });
}

/** Decides from the status and headers whether to read the body, and where in the file it goes. */
async function acceptStatus(response: Response, progress: Progress, maxBytes: number): Promise<void> {
  const { status } = response;
  if (status === 200) {
    if (progress.written > 0) await restart(progress);
    progress.resumable = response.headers.get('accept-ranges') === 'bytes';
    refuseOversize(contentLength(response), maxBytes, response);
    return;
  }
  if (status === 206 && rangeStart(response) === progress.written) {
    refuseOversize(progress.written + (contentLength(response) ?? 0), maxBytes, response);
    return;
  }
  if (status === 206 || status === 416) {
    await response.body?.cancel().catch(() => undefined);
    // The server did not resume where we asked: start again from the first byte.
    await restart(progress);
    progress.resumable = false;
    throw new TransientFetchError(`the server could not resume the download (HTTP ${status})`);
  }
  throw await statusError(response);
}

async function statusError(response: Response): Promise<Error> {
  const { status } = response;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  if (status !== 403) await response.body?.cancel().catch(() => undefined);
  if (status === 404 || status === 410) return new DocumentError('not_found', `the file is gone (HTTP ${status}): deleted, or no longer shared`);
  if (status === 401) {
    // Usually an access token that expired during a long batch; the engine retries with a fresh one.
    return new DocumentError('access_denied', 'the download credentials were refused (HTTP 401); retrying with new ones', { retryable: true });
  }
  if (status === 403) return forbidden(await reasonsOf(response), retryAfter);
  if (status === 408 || status === 429 || status >= 500) return new TransientFetchError(`HTTP ${status}`, retryAfter);
  return new DocumentError('fetch_failed', `the download was refused (HTTP ${status})`, { retryable: false });
}

function forbidden(reasons: string[], retryAfter: number | null): Error {
  const reason = reasons.join(', ') || 'forbidden';
  if (reasons.some((r) => RATE_LIMIT_REASONS.has(r))) return new TransientFetchError(`rate limited (${reason})`, retryAfter);
  if (reasons.includes('exportSizeLimitExceeded')) {
    return new DocumentError('export_too_large', 'Google refuses to export this document: the PDF would be over its ~10 MB export limit');
  }
  if (reasons.includes('downloadQuotaExceeded')) {
    return new DocumentError('fetch_failed', "the file's daily download quota is used up; it will be tried again later", { retryable: true });
  }
  if (reasons.includes('cannotDownloadAbusiveFile')) {
    return new DocumentError('access_denied', 'Google flagged this file as abusive; only its owner can download it');
  }
  return new DocumentError('access_denied', `access to the file was denied (HTTP 403: ${reason})`);
}

/** Google's error reasons (`error.errors[].reason`, or `error.status`), from a small error body. */
async function reasonsOf(response: Response): Promise<string[]> {
  try {
    const body = (await response.text()).slice(0, 65_536);
    const parsed = JSON.parse(body) as { error?: { errors?: { reason?: string }[]; status?: string } };
    const reasons = (parsed.error?.errors ?? []).flatMap((e) => (e.reason ? [e.reason] : []));
    return reasons.length > 0 ? reasons : parsed.error?.status ? [parsed.error.status] : [];
  } catch {
    return [];
  }
}

async function stream(response: Response, progress: Progress, options: UrlFetchOptions, idle: IdleTimer): Promise<void> {
  if (!response.body) return;
  const { maxBytes } = options;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    idle.touch();
    if (progress.written + chunk.byteLength > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooLarge(`over the ${maxBytes} byte limit (stopped after ${progress.written + chunk.byteLength} bytes)`);
    }
    await progress.handle.write(chunk, 0, chunk.byteLength, progress.written);
    progress.hash.update(chunk);
    progress.written += chunk.byteLength;
    options.onProgress?.(progress.written);
    // An abort between chunks (e.g. from onProgress) must end the download here: after the last chunk, the
    // body's iterator would otherwise wait forever.
    options.signal?.throwIfAborted();
  }
}

async function restart(progress: Progress): Promise<void> {
  await progress.handle.truncate(0);
  progress.written = 0;
  progress.hash = createHash('sha256');
}

function contentLength(response: Response): number | null {
  const value = response.headers.get('content-length');
  const n = value === null ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function rangeStart(response: Response): number | null {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : null;
}

function refuseOversize(size: number | null, maxBytes: number, response: Response): void {
  if (size === null || size <= maxBytes) return;
  void response.body?.cancel().catch(() => undefined);
  throw tooLarge(`${size} bytes, over the ${maxBytes} byte limit`);
}

function tooLarge(detail: string): DocumentError {
  return new DocumentError('too_large', `document is ${detail}`);
}

function finalError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted || error instanceof DocumentError) return error;
  if (error instanceof TransientFetchError) {
    return new DocumentError('fetch_failed', `download failed after retries: ${error.message}`, { retryable: true, cause: error });
  }
  return new DocumentError('fetch_failed', `download failed: ${(error as Error).message}`, { retryable: true, cause: error });
}

/** Aborts the request when neither a response nor a byte arrives for `ms`. */
class IdleTimer {
  fired = false;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly controller: AbortController,
    private readonly ms: number,
  ) {
    this.timer = this.arm();
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    return setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error('idle timeout'));
    }, this.ms);
  }
}
