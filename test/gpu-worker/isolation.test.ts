/**
 * A hostile document (operator_list_cycle.pdf: rendering runs away, then runs out of memory) must not stop the
 * worker: it keeps answering /v1/health during the runaway, finishes the batch's other documents, and the
 * hostile one ends as a coded error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerHealthSchema, type BatchState } from '../../src/protocol/worker-protocol.js';
import { startWorkerServer, type WorkerServer } from '../../src/gpu-worker/server.js';
import { api, asState, fileDocument, pollUntilFinished, testConfig, type Api } from './helpers/worker-client.js';

describe('a worker under a hostile document', () => {
  let server: WorkerServer;
  let client: Api;

  beforeAll(async () => {
    // With a 1 GB heap the runaway lasts ~15 s before the isolate runs out of memory: long enough to watch.
    const config = testConfig({ concurrency: 2, documentHeapMb: 1024 });
    server = await startWorkerServer({ config, nativeTesseract: null });
    client = api(server.url);
  });

  afterAll(() => server.close());

  const hostileDone = (state: BatchState): boolean => state.results.some((result) => result.id === 'hostile');

  it('keeps serving while the hostile document runs away', { timeout: 120_000 }, async () => {
    const documents = [
      fileDocument('hostile', 'operator_list_cycle.pdf'),
      fileDocument('a', 'tracemonkey.pdf'),
      fileDocument('b', 'pdkids.pdf'),
      fileDocument('c', 'TAMReview.pdf'),
    ];
    // The runaway is in building the page's operator list, which only a run with an OCR engine does (to find scans).
    const options = { documentTimeoutMs: 60_000, ocr: { engine: 'tesseract-js' } };
    await client.post('/v1/batches', { batchId: 'hostile-batch', documents, options });

    let healthyAnswersDuringRunaway = 0;
    let state = asState(await client.get('/v1/batches/hostile-batch'));
    while (!hostileDone(state) && state.results.length < 3) {
      const health = workerHealthSchema.parse((await client.get('/v1/health')).body);
      state = asState(await client.get('/v1/batches/hostile-batch?waitMs=200'));
      if (!hostileDone(state) && health.load.activeDocuments > 0) healthyAnswersDuringRunaway += 1;
    }

    expect(healthyAnswersDuringRunaway).toBeGreaterThan(0);

    const final = (await pollUntilFinished(client, 'hostile-batch', 30_000)).flatMap((poll) => poll.results);
    const others = final.filter((result) => result.id !== 'hostile');
    expect(others.map((result) => [result.id, result.status]).sort()).toEqual([['a', 'ok'], ['b', 'ok'], ['c', 'ok']]);
    const hostile = final.find((result) => result.id === 'hostile');
    expect(hostile?.status).toBe('error');
    expect(['timeout', 'too_complex']).toContain(hostile?.error?.code);
  });

  it('replaces the killed isolate and goes on working', { timeout: 60_000 }, async () => {
    await client.post('/v1/batches', { batchId: 'after-hostile', documents: [fileDocument('next', 'tracemonkey.pdf')] });
    const [result] = (await pollUntilFinished(client, 'after-hostile')).flatMap((poll) => poll.results);
    expect(result).toMatchObject({ id: 'next', status: 'ok', pages: 14 });
  });
});
