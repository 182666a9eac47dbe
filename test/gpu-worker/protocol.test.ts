/** The worker protocol over real HTTP, against the worker running in-process (OCR off: text-layer PDFs only). */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerHealthSchema, type BatchRequestInput } from '../../src/protocol/worker-protocol.js';
import { startWorkerServer, type WorkerServer } from '../../src/gpu-worker/server.js';
import { corpusPath } from './helpers/corpus.js';
import {
  TOKEN,
  api,
  asState,
  countingFileFetcher,
  fileDocument,
  pollUntilFinished,
  testConfig,
  type Api,
} from './helpers/worker-client.js';

const BODY_LIMIT = 64 * 1024;

describe('worker protocol', () => {
  let server: WorkerServer;
  let client: Api;
  let scratch: string;
  const fetches = countingFileFetcher();

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpu-worker-protocol-'));
    server = await startWorkerServer({
      config: testConfig({ maxBodyBytes: BODY_LIMIT }),
      fetchers: { file: fetches.fetcher },
      nativeTesseract: null,
    });
    client = api(server.url);
  });

  afterAll(async () => {
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  });

  describe('authentication', () => {
    const routes = [
      ['GET', '/v1/health'],
      ['POST', '/v1/batches'],
      ['GET', '/v1/batches/any'],
      ['DELETE', '/v1/batches/any'],
    ] as const;
    const credentials = [
      ['no header', null],
      ['a wrong token', 'Bearer wrong-token-0123456789abcdef'],
      ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
      ['the token with a suffix', `Bearer ${TOKEN}x`],
      ['another scheme', `Basic ${TOKEN}`],
    ] as const;
    const cases = routes.flatMap(([method, route]) => credentials.map(([label, header]) => [method, route, label, header] as const));

    it.each(cases)('%s %s with %s → 401', async (method, route, _label, header) => {
      const reply = await api(server.url, null).request(method, route, { headers: header ? { authorization: header } : {} });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
      expect(reply.body).toMatchObject({ error: 'unauthorized' });
    });

    it('serves /livez without a token', async () => {
      const reply = await api(server.url, null).get('/livez');
      expect(reply).toMatchObject({ status: 200, body: 'ok' });
    });
  });

  describe('validation', () => {
    const valid: BatchRequestInput = { batchId: 'valid', documents: [fileDocument('a', 'tracemonkey.pdf')] };
    const invalidBodies: Array<[string, unknown, string]> = [
      ['no documents', { batchId: 'b1', documents: [] }, 'documents'],
      ['a batch id with a slash', { ...valid, batchId: 'a/b' }, 'batchId'],
      ['a location without a path', { batchId: 'b2', documents: [{ id: 'a', name: 'a', location: { kind: 'file' } }] }, 'documents.0.location.path'],
      ['an unknown location kind', { batchId: 'b3', documents: [{ id: 'a', name: 'a', location: { kind: 'ftp', path: 'x' } }] }, 'documents.0.location.kind'],
      ['a dpi out of range', { ...valid, options: { ocr: { dpi: 5000 } } }, 'options.ocr.dpi'],
      ['a url location that is not http(s)', { batchId: 'b4', documents: [{ id: 'a', name: 'a', location: { kind: 'url', url: 'ftp://example.org/a.pdf' } }] }, 'documents.0.location.url'],
      ['an OCR engine this worker lacks', { ...valid, options: { ocr: { engine: 'vlm' } } }, 'options.ocr.engine'],
    ];

    it.each(invalidBodies)('refuses %s with 400 naming %s', async (_label, body, field) => {
      const reply = await client.post('/v1/batches', body);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ error: 'invalid_request', details: expect.arrayContaining([expect.objectContaining({ path: field })]) });
    });

    it('refuses a body that is not JSON', async () => {
      const reply = await client.request('POST', '/v1/batches', { body: '{"batchId":', headers: { 'content-type': 'application/json' } });
      expect(reply).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    });

    it('refuses a body over the size limit with 413', async () => {
      const documents = Array.from({ length: 2_000 }, (_, index) => fileDocument(`doc-${index}`, 'tracemonkey.pdf'));
      const reply = await client.post('/v1/batches', { batchId: 'huge', documents });
      expect(reply).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
      expect((await client.get('/v1/batches/huge')).status).toBe(404);
    });

    it.each([
      ['after=-1', 'after'],
      ['waitMs=-5', 'waitMs'],
      ['waitMs=soon', 'waitMs'],
    ])('refuses a poll with %s', async (query, field) => {
      const reply = await client.get(`/v1/batches/valid?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ details: [expect.objectContaining({ path: field })] });
    });

    it('answers unknown batches and routes with 404, wrong methods with 405', async () => {
      expect((await client.get('/v1/batches/never-submitted')).status).toBe(404);
      expect((await client.delete('/v1/batches/never-submitted')).status).toBe(404);
      expect((await client.get('/v1/nothing-here')).status).toBe(404);
      expect((await client.request('PUT', '/v1/batches/x')).status).toBe(405);
      expect((await client.get('/v1/batches')).status).toBe(405);
      expect((await client.get('/v1/batches/%E0%A4%A')).status).toBe(404);
    });
  });

  it('reports its health in the protocol shape', async () => {
    const reply = await client.get('/v1/health');
    expect(reply.status).toBe(200);
    const health = workerHealthSchema.parse(reply.body);
    expect(health).toMatchObject({ ok: true, protocol: 1, workerId: 'test-worker', ocrEngines: ['none', 'tesseract-js'] });
    expect(health.load.cpus).toBeGreaterThan(0);
  });

  it('never processes a batch twice, even when the same batchId is posted again', { timeout: 60_000 }, async () => {
    const file = path.join(scratch, 'once.pdf');
    await copyFile(corpusPath('tracemonkey.pdf'), file);
    const request = { batchId: 'idempotent-1', documents: [fileDocument('once', file), fileDocument('twice', 'pdkids.pdf')] };
    const before = fetches.count();
    expect((await client.post('/v1/batches', request)).status).toBe(202);
    const again = await client.post('/v1/batches', request);
    expect(again.status).toBe(202);
    expect(asState(again).total).toBe(2);
    await pollUntilFinished(client, 'idempotent-1');
    await rm(file);

    const afterDone = asState(await client.post('/v1/batches', request));
    expect(afterDone).toMatchObject({ status: 'done', total: 2, next: 2 });
    expect(afterDone.results.map((result) => [result.id, result.status])).toEqual(
      expect.arrayContaining([['once', 'ok'], ['twice', 'ok']]),
    );
    expect(fetches.count() - before).toBe(2);
  });

  it('refuses a batchId reused for other documents with 409', async () => {
    const first = { batchId: 'reused', documents: [fileDocument('a', 'tracemonkey.pdf')] };
    expect((await client.post('/v1/batches', first)).status).toBe(202);
    const other = { batchId: 'reused', documents: [fileDocument('b', 'pdkids.pdf')] };
    expect(await client.post('/v1/batches', other)).toMatchObject({ status: 409, body: { error: 'batch_conflict' } });
    await pollUntilFinished(client, 'reused');
  });

  it('long polls: each poll returns the results beyond `after` as they complete', { timeout: 60_000 }, async () => {
    // One document at a time, the quick one first: the first poll wakes while the slow one still runs.
    const documents = [fileDocument('quick', 'tracemonkey.pdf'), fileDocument('slow', 'freeculture.pdf'), fileDocument('last', 'pdkids.pdf')];
    await client.post('/v1/batches', { batchId: 'incremental', documents });
    const states = await pollUntilFinished(client, 'incremental', 30_000);

    expect(states[0]?.results.map((result) => result.id)).toEqual(['quick']);
    expect(states[0]?.status).toBe('running');
    expect(states.flatMap((state) => state.results.map((result) => result.id))).toEqual(['quick', 'slow', 'last']);
    states.forEach((state, index) => expect(state.next).toBe((states[index - 1]?.next ?? 0) + state.results.length));
    expect(states.at(-1)?.status).toBe('done');
  });

  it('answers a poll with nothing new once waitMs has passed', async () => {
    await client.post('/v1/batches', { batchId: 'quiet', documents: [fileDocument('slow', 'freeculture.pdf')] });
    const state = asState(await client.get('/v1/batches/quiet?after=0&waitMs=50'));
    expect(state).toMatchObject({ status: 'running', results: [], next: 0, total: 1 });
    await pollUntilFinished(client, 'quiet');
  });

  it('cancels what has not started; what had started still reports', { timeout: 60_000 }, async () => {
    const documents = ['freeculture.pdf', 'tracemonkey.pdf', 'pdkids.pdf', 'TAMReview.pdf'].map((file, index) => fileDocument(`d${index}`, file));
    const before = fetches.count();
    await client.post('/v1/batches', { batchId: 'cancel-me', documents });
    await expect.poll(() => fetches.count() - before).toBe(1);

    const cancelled = await client.delete('/v1/batches/cancel-me');
    expect(cancelled.status).toBe(200);
    expect(asState(cancelled)).toMatchObject({ status: 'cancelled', total: 4 });
    const states = await pollUntilFinished(client, 'cancel-me');

    expect(states.flatMap((state) => state.results.map((result) => result.id))).toEqual(['d0']);
    expect(fetches.count() - before).toBe(1);
    expect(asState(await client.delete('/v1/batches/cancel-me')).status).toBe('cancelled');
    const health = workerHealthSchema.parse((await client.get('/v1/health')).body);
    expect(health.load).toMatchObject({ activeDocuments: 0, queuedDocuments: 0 });
  });
});

describe('worker start-up', () => {
  it('refuses an OCR engine this machine does not have', async () => {
    const start = startWorkerServer({ config: testConfig({ ocrEngine: 'tesseract' }), nativeTesseract: null });
    await expect(start).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringContaining('OCR_ENGINE') });
  });

  it('fails cleanly when its port is taken, and close() is idempotent', async () => {
    const first = await startWorkerServer({ config: testConfig(), nativeTesseract: null });
    const second = startWorkerServer({ config: testConfig({ port: first.port }), nativeTesseract: null });
    await expect(second).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
    await first.close();
  });
});
