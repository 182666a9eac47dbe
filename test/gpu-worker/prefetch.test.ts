/**
 * Prefetching through the real worker: while one document is processed the next ones download, bounded by
 * WORKER_PREFETCH_DOCS and WORKER_PREFETCH_MB, and nothing is left on disk afterwards.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrefetchSettings } from '../../src/gpu-worker/config.js';
import { startWorkerServer, type WorkerServer } from '../../src/gpu-worker/server.js';
import { DocumentServer } from './helpers/document-server.js';
import { api, pollUntilFinished, testConfig } from './helpers/worker-client.js';

const FILE = 'bug1937438_from_word.pdf';

let docs: DocumentServer;
const started: WorkerServer[] = [];

async function runWith(prefetch: PrefetchSettings, documents: unknown[]): Promise<{ server: WorkerServer; statuses: string[] }> {
  const server = await startWorkerServer({ config: testConfig({ concurrency: 1, prefetch }), nativeTesseract: null });
  started.push(server);
  const client = api(server.url);
  await client.post('/v1/batches', { batchId: 'prefetch', documents });
  const results = (await pollUntilFinished(client, 'prefetch')).flatMap((state) => state.results);
  return { server, statuses: results.map((result) => result.status) };
}

const fiveDocuments = (withSize = false): unknown[] =>
  Array.from({ length: 5 }, (_, index) => docs.document(`doc-${index}`, FILE, withSize ? docs.sizeOf(FILE) : undefined));

beforeAll(async () => {
  docs = await new DocumentServer().start();
  docs.serve(FILE);
  docs.serve('tracemonkey.pdf');
});

afterAll(async () => {
  await Promise.all(started.map((server) => server.close()));
  await docs.http.stop();
});

beforeEach(() => {
  docs.reset();
  docs.delayMs = 300;
});

describe('prefetching', () => {
  it('downloads the next documents while one is processed', { timeout: 30_000 }, async () => {
    const { server, statuses } = await runWith({ documents: 4, bytes: 64 * 1024 ** 2 }, fiveDocuments());
    expect(statuses).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    // The first document is fetched when it runs; the other four had been fetched ahead, all at once.
    expect(server.prefetchStats()).toMatchObject({ hits: 4, misses: 1, dropped: 0, downloading: 0, ready: 0, bytes: 0 });
    expect(docs.maxInFlight).toBe(5);
    expect(await readdir(server.tempDir)).toEqual([]);
  });

  it('is off with WORKER_PREFETCH_DOCS=0', { timeout: 30_000 }, async () => {
    const { server } = await runWith({ documents: 0, bytes: 64 * 1024 ** 2 }, fiveDocuments());
    expect(server.prefetchStats()).toMatchObject({ hits: 0, misses: 5 });
    expect(docs.maxInFlight).toBe(1);
  });

  it('holds no more than WORKER_PREFETCH_MB when the sizes are known', { timeout: 30_000 }, async () => {
    const bound = Math.round(docs.sizeOf(FILE) * 1.5);
    const { server, statuses } = await runWith({ documents: 4, bytes: bound }, fiveDocuments(true));
    expect(statuses).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(server.prefetchStats()).toMatchObject({ hits: 4, misses: 1, dropped: 0 });
    expect(docs.maxInFlight).toBe(2);
  });

  it('skips a document known to be bigger than the bound, and prefetches the rest', { timeout: 30_000 }, async () => {
    const documents = [docs.document('first', FILE), docs.document('huge', 'tracemonkey.pdf', docs.sizeOf('tracemonkey.pdf')), docs.document('last', FILE, docs.sizeOf(FILE))];
    const { server, statuses } = await runWith({ documents: 4, bytes: 200_000 }, documents);
    expect(statuses).toEqual(['ok', 'ok', 'ok']);
    expect(server.prefetchStats()).toMatchObject({ hits: 1, misses: 2, dropped: 0 });
  });

  it('drops a download of unknown size that outgrows the bound; the document is fetched when it runs', { timeout: 30_000 }, async () => {
    const { server, statuses } = await runWith({ documents: 4, bytes: 10_000 }, fiveDocuments());
    expect(statuses).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(server.prefetchStats()).toMatchObject({ hits: 0, misses: 5, dropped: 4, bytes: 0 });
    expect(await readdir(server.tempDir)).toEqual([]);
  });
});
