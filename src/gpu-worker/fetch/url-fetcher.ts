/**
 * The `url` location kind: HTTPS downloads with per-batch headers (a short-lived read-only Drive token), through
 * {@link fetchUrlToFile}: streamed to a file in the worker's temporary folder, size-capped, retried, resumed.
 * The headers are secrets: they go to the server and nowhere else (never into a log line or an error message).
 */
import { readFile } from 'node:fs/promises';
import type { BackoffPolicy } from '../../core/engine/backoff.js';
import type { DocumentFetcher, StagedDocument, StageContext, LocationOf } from './document-fetcher.js';
import { fetchUrlToFile, type UrlFetchOptions } from './url-fetch.js';

export interface UrlFetcherOptions {
  /** The worker's temporary folder (see temp-space.ts). */
  tempDir: string;
  /** Tries per download. Default 5. */
  attempts?: number;
  retryPolicy?: BackoffPolicy;
  /** No byte for this long: the try failed. Default 60 s. */
  idleTimeoutMs?: number;
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
}

function downloadOptions(options: UrlFetcherOptions, context: StageContext): UrlFetchOptions {
  return {
    maxBytes: context.maxBytes,
    tempDir: options.tempDir,
    signal: context.signal,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: options.maxRetryAfterMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
  };
}

async function stage(location: LocationOf<'url'>, context: StageContext, options: UrlFetcherOptions): Promise<StagedDocument> {
  const file = await fetchUrlToFile({ url: location.url, headers: location.headers }, downloadOptions(options, context));
  return {
    bytes: file.bytes,
    read: () => readFile(file.path),
    discard: () => file.cleanup(),
  };
}

export function createUrlFetcher(options: UrlFetcherOptions): DocumentFetcher<'url'> {
  return {
    kind: 'url',
    stage: (location, context) => stage(location, context, options),
    async fetch(location, context) {
      const staged = await stage(location, context, options);
      try {
        return await staged.read();
      } finally {
        // The bytes are in memory now; the file is not needed even if the document later crashes its isolate.
        await staged.discard();
      }
    },
  };
}
