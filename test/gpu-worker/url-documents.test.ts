/**
 * Batches of `url` locations through the real worker HTTP API, against a fake document host: per-batch secret
 * headers (sent, never logged), 404, 429 with retry-after, 5xx, a slow body, a file over the size cap, and no
 * temporary file left behind on any path — success, failure, an isolate killed by its deadline, a cancelled
 * batch, a worker stopped mid-download, or a worker that died earlier.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentResult } from '../../src/protocol/worker-protocol.js';
import { startWorkerServer, type WorkerServer } from '../../src/gpu-worker/server.js';
import { BATCH_SECRET, DocumentServer, capturingLogger } from './helpers/document-server.js';
import { api, pollUntilFinished, testConfig, type Api } from './helpers/worker-client.js';

const FAST_RETRIES = { retryPolicy: { baseMs: 10, maxMs: 40, jitter: 0 }, idleTimeoutMs: 3_000 };

let docs: DocumentServer;
let server: WorkerServer;
let client: Api;
const logs = capturingLogger();

async function runBatch(batchId: string, documents: unknown[], options: Record<string, unknown> = {}): Promise<Map<string, DocumentResult>> {
  const posted = await client.post('/v1/batches', { batchId, documents, options });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const results = (await pollUntilFinished(client, batchId)).flatMap((state) => state.results);
  return new Map(results.map((result) => [result.id, result]));
}

const tempFiles = (): Promise<string[]> => readdir(server.tempDir);

beforeAll(async () => {
  docs = await new DocumentServer().start();
  for (const file of ['tracemonkey.pdf', 'pdkids.pdf', 'TAMReview.pdf', 'bug1937438_from_word.pdf', 'operator_list_cycle.pdf', 'freeculture.pdf']) docs.serve(file);
  server = await startWorkerServer({ config: testConfig({ concurrency: 2 }), nativeTesseract: null, logger: logs.logger, urlFetch: FAST_RETRIES });
  client = api(server.url);
});

afterAll(async () => {
  await server.close();
  await docs.http.stop();
});

beforeEach(() => docs.reset());

describe('a worker fetching documents by URL', () => {
  it('downloads with the batch headers; a 404, a 429, a 5xx and a slow body each end as they should', { timeout: 60_000 }, async () => {
    docs.http.inject({ kind: 'rate_limit', retryAfterSeconds: 1, match: { path: /pdkids/ } });
    docs.http.inject({ kind: 'status', status: 503, match: { path: /TAMReview/ }, times: 2 });
    docs.http.inject({ kind: 'slow_body', bytesPerChunk: 64 * 1024, delayMs: 20, match: { path: /tracemonkey/ } });
    const results = await runBatch('url-faults', [
      docs.document('plain', 'bug1937438_from_word.pdf'),
      docs.document('rate-limited', 'pdkids.pdf'),
      docs.document('flaky', 'TAMReview.pdf'),
      docs.document('slow', 'tracemonkey.pdf'),
      docs.document('missing', 'no-such-file.pdf'),
    ]);

    expect(results.get('plain')).toMatchObject({ status: 'ok', pages: 1, bytes: docs.sizeOf('bug1937438_from_word.pdf') });
    expect(results.get('rate-limited')).toMatchObject({ status: 'ok', pages: 55 });
    expect(results.get('flaky')).toMatchObject({ status: 'ok', pages: 23 });
    expect(results.get('slow')).toMatchObject({ status: 'ok', pages: 14 });
    expect(results.get('missing')).toMatchObject({ status: 'error', error: { code: 'not_found', retryable: false } });

    const downloads = docs.http.requestsTo('GET', /^\/files\//);
    expect(downloads.every((request) => request.headers.authorization === `Bearer ${BATCH_SECRET}`)).toBe(true);
    expect(docs.http.requestsTo('GET', /pdkids/).map((request) => request.status)).toEqual([429, 200]);
    expect(docs.http.requestsTo('GET', /TAMReview/).map((request) => request.status)).toEqual([503, 503, 200]);
    expect(logs.text()).toContain('batch accepted');
    expect(logs.text()).not.toContain(BATCH_SECRET);
    expect(await tempFiles()).toEqual([]);
  });

  it('fails a file over the size cap with too_large, keeping none of it', async () => {
    const results = await runBatch('url-too-large', [docs.document('big', 'tracemonkey.pdf'), docs.document('small', 'bug1937438_from_word.pdf')], {
      maxDocumentBytes: 100_000,
    });
    expect(results.get('big')).toMatchObject({ status: 'error', error: { code: 'too_large' } });
    expect(results.get('small')).toMatchObject({ status: 'ok' });
    expect(await tempFiles()).toEqual([]);
  });

  it('leaves nothing behind when a document\'s isolate is killed at its deadline', { timeout: 60_000 }, async () => {
    // A one-page neighbour: under a loaded machine a long one could itself outlast the short deadline.
    const results = await runBatch('url-hostile', [docs.document('hostile', 'operator_list_cycle.pdf'), docs.document('fine', 'bug1937438_from_word.pdf')], {
      documentTimeoutMs: 3_000,
      // The runaway is in building the page's operator list, which only a run with an OCR engine does.
      ocr: { engine: 'tesseract-js' },
    });
    expect(['timeout', 'too_complex']).toContain(results.get('hostile')?.error?.code);
    expect(results.get('fine')).toMatchObject({ status: 'ok' });
    expect(await tempFiles()).toEqual([]);
  });

  it('stops the downloads of a cancelled batch and deletes what they wrote', { timeout: 60_000 }, async () => {
    // About 3 s per download.
    for (let index = 0; index < 6; index += 1) docs.http.inject({ kind: 'slow_body', bytesPerChunk: 16 * 1024, delayMs: 50, match: { path: /tracemonkey/ } });
    const documents = Array.from({ length: 6 }, (_, index) => docs.document(`paper-${index}`, 'tracemonkey.pdf'));
    await client.post('/v1/batches', { batchId: 'url-cancel', documents });
    // Two running, four prefetching: six downloads under way.
    await expect.poll(() => docs.http.requestsTo('GET', /tracemonkey/).length, { timeout: 20_000 }).toBe(6);
    await expect.poll(() => server.prefetchStats().downloading).toBe(4);
    expect((await client.delete('/v1/batches/url-cancel')).status).toBe(200);
    const results = (await pollUntilFinished(client, 'url-cancel', 30_000)).flatMap((state) => state.results);
    expect(results.map((result) => [result.id, result.status]).sort()).toEqual([['paper-0', 'ok'], ['paper-1', 'ok']]);
    await expect.poll(tempFiles, { timeout: 10_000 }).toEqual([]);
    expect(server.prefetchStats()).toMatchObject({ downloading: 0, ready: 0, bytes: 0 });
  });
});

describe('the worker\'s temporary folder', () => {
  it('is removed when the worker stops, even in the middle of a download', { timeout: 30_000 }, async () => {
    const worker = await startWorkerServer({ config: testConfig(), nativeTesseract: null, urlFetch: FAST_RETRIES });
    docs.http.inject({ kind: 'slow_body', bytesPerChunk: 8 * 1024, delayMs: 100, match: { path: /freeculture/ } });
    await api(worker.url).post('/v1/batches', { batchId: 'stopped', documents: [docs.document('book', 'freeculture.pdf')] });
    await expect.poll(async () => (await readdir(worker.tempDir)).length).toBe(1);
    await worker.close();
    expect(existsSync(worker.tempDir)).toBe(false);
  });

  it('of a worker that died is removed by the next one to start', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'worker-temp-root-'));
    const exited = spawnSync(process.execPath, ['-e', '0']);
    const stale = path.join(root, `aseagi-worker-${exited.pid}-1700000000000-abc123`);
    await mkdir(stale);
    await writeFile(path.join(stale, 'download-1.part'), 'half a document');
    const unrelated = path.join(root, 'someone-else');
    await mkdir(unrelated);

    const worker = await startWorkerServer({ config: testConfig(), nativeTesseract: null, tempRoot: root });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(unrelated)).toBe(true);
    expect(path.dirname(worker.tempDir)).toBe(root);
    await worker.close();
    await rm(root, { recursive: true, force: true });
  });
});
