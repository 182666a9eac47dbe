import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/core/errors.js';
import { fetchUrlToFile } from '../../src/gpu-worker/fetch/url-fetch.js';
import type { UrlFetchOptions } from '../../src/gpu-worker/fetch/url-fetch.js';
import { HttpFake } from '../fakes/http-fake.js';
import type { FakeRequest, FakeResponse } from '../fakes/http-fake.js';

const CONTENT = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 31) % 251));
const SHA = createHash('sha256').update(CONTENT).digest('hex');
const TOKEN = 'ya29.short-lived-read-only';

let server: HttpFake;
let dir: string;
const delays: number[] = [];

/** Serves CONTENT with Range support, like Drive's alt=media. */
function serveFile(req: FakeRequest): FakeResponse {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { error: { code: 401, message: 'Invalid Credentials', status: 'UNAUTHENTICATED' } } };
  const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  if (range) {
    const start = Number(range[1]);
    return { status: 206, headers: { 'content-range': `bytes ${start}-${CONTENT.length - 1}/${CONTENT.length}`, 'accept-ranges': 'bytes' }, body: CONTENT.subarray(start) };
  }
  return { status: 200, headers: { 'accept-ranges': 'bytes' }, body: CONTENT };
}

function googleError(status: number, reason: string): unknown {
  return { error: { code: status, message: reason, errors: [{ domain: 'usageLimits', reason, message: reason }] } };
}

function options(overrides: Partial<UrlFetchOptions> = {}): UrlFetchOptions {
  return {
    maxBytes: 1_000_000,
    tempDir: dir,
    retryPolicy: { baseMs: 1, maxMs: 4, jitter: 0 },
    idleTimeoutMs: 2_000,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  };
}

const location = () => ({ url: `${server.url}/drive/v3/files/abc?alt=media`, headers: { authorization: `Bearer ${TOKEN}` } });

async function failure(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}

beforeAll(async () => {
  server = await new HttpFake('drive-download').on('GET', '/drive/v3/files/:id', serveFile).start();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'url-fetch-'));
  delays.length = 0;
  server.clearFaults();
  server.requests.splice(0);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('fetchUrlToFile', () => {
  it('streams to a temporary file with its size and sha256, sending the per-batch headers; cleanup removes it', async () => {
    const file = await fetchUrlToFile(location(), options());
    expect(file).toMatchObject({ bytes: CONTENT.length, sha256: SHA });
    expect(readFileSync(file.path).equals(CONTENT)).toBe(true);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    await file.cleanup();
    await file.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('retries 429 honouring retry-after, 5xx, resets, hangs and 403 rate-limit reasons', async () => {
    server.inject({ kind: 'rate_limit', retryAfterSeconds: 3 });
    server.inject({ kind: 'status', status: 503 });
    server.inject({ kind: 'reset' });
    server.inject({ kind: 'hang' });
    server.inject({ kind: 'status', status: 403, body: googleError(403, 'userRateLimitExceeded') });
    const file = await fetchUrlToFile(location(), options({ attempts: 6, idleTimeoutMs: 300 }));
    expect(file.sha256).toBe(SHA);
    expect(server.requests.map((r) => r.fault)).toEqual(['rate_limit', 'status', 'reset', 'hang', 'status', null]);
    expect(delays[0]).toBe(3_000);
    expect(delays).toHaveLength(5);
    await file.cleanup();
  });

  it('resumes an interrupted body with Range instead of starting again', async () => {
    server.inject({ kind: 'slow_body', bytesPerChunk: 16_384, delayMs: 600 });
    const file = await fetchUrlToFile(location(), options({ idleTimeoutMs: 250 }));
    expect(file.sha256).toBe(SHA);
    expect(readFileSync(file.path).equals(CONTENT)).toBe(true);
    const second = server.requests[1]!;
    expect(second.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    await file.cleanup();
  });

  it('maps vanished and forbidden files to coded document errors and leaves no temporary file', async () => {
    server.inject({ kind: 'status', status: 404, body: googleError(404, 'notFound') });
    expect(await failure(fetchUrlToFile(location(), options()))).toMatchObject({ code: 'not_found', retryable: false });
    server.inject({ kind: 'status', status: 403, body: googleError(403, 'insufficientFilePermissions') });
    expect(await failure(fetchUrlToFile(location(), options()))).toMatchObject({ code: 'access_denied', retryable: false });
    server.inject({ kind: 'status', status: 403, body: googleError(403, 'exportSizeLimitExceeded') });
    expect(await failure(fetchUrlToFile(location(), options()))).toMatchObject({ code: 'export_too_large' });
    server.inject({ kind: 'status', status: 403, body: googleError(403, 'downloadQuotaExceeded') });
    expect(await failure(fetchUrlToFile(location(), options()))).toMatchObject({ code: 'fetch_failed', retryable: true });
    const expired = await failure(fetchUrlToFile({ ...location(), headers: { authorization: 'Bearer expired' } }, options()));
    expect(expired).toMatchObject({ code: 'access_denied', retryable: true });
    expect(delays).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a file over the cap from its content-length, before reading the body', async () => {
    const error = await failure(fetchUrlToFile(location(), options({ maxBytes: 10_000 })));
    expect(error).toMatchObject({ code: 'too_large' });
    expect(error.message).toContain('50000 bytes');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a file over the cap by counting when the size is not announced', async () => {
    const withoutLength: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return new Response(response.body, { status: response.status, headers });
    };
    const error = await failure(fetchUrlToFile(location(), options({ maxBytes: 20_000, fetch: withoutLength })));
    expect(error).toMatchObject({ code: 'too_large' });
    expect(error.message).toMatch(/stopped after/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up after the attempts (retryable for the engine), and when retry-after is unreasonably long', async () => {
    server.inject({ kind: 'status', status: 500, times: 3 });
    expect(await failure(fetchUrlToFile(location(), options({ attempts: 3 })))).toMatchObject({ code: 'fetch_failed', retryable: true });
    server.inject({ kind: 'rate_limit', retryAfterSeconds: 3600 });
    expect(await failure(fetchUrlToFile(location(), options()))).toMatchObject({ code: 'fetch_failed', retryable: true });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops when its signal aborts, removing the partial file', async () => {
    server.inject({ kind: 'slow_body', bytesPerChunk: 1_000, delayMs: 50 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('batch cancelled')), 150);
    await expect(fetchUrlToFile(location(), options({ signal: controller.signal }))).rejects.toThrow('batch cancelled');
    expect(readdirSync(dir)).toEqual([]);
  });
});
