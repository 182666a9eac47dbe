/**
 * With a seal key the worker speaks only sealed bodies: a plain request is refused unread, answers are encrypted and
 * bound to their request, and the orchestrator's client works through it end to end (and refuses a worker with
 * another key, or one that answers in the clear).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWorker } from '../../src/core/compute/http-worker.js';
import { WorkerLostError } from '../../src/core/engine/ports.js';
import { startWorkerServer, type WorkerServer } from '../../src/gpu-worker/server.js';
import { silentLogger } from '../../src/logger.js';
import { newSealKey, parseSealKey, SEALED_CONTENT_TYPE } from '../../src/protocol/sealed.js';
import { batchOptionsSchema } from '../../src/protocol/worker-protocol.js';
import type { DocumentResult } from '../../src/protocol/worker-protocol.js';
import { api, fileDocument, testConfig, TOKEN } from './helpers/worker-client.js';

const KEY = newSealKey();
let server: WorkerServer;

beforeAll(async () => {
  server = await startWorkerServer({ config: testConfig({ sealKey: parseSealKey(KEY) }) });
});
afterAll(async () => {
  await server.close();
});

function client(sealKey: string | undefined): HttpWorker {
  return new HttpWorker({ id: 'w', label: 'sealed', baseUrl: server.url, token: TOKEN, sealKey, target: { sharesFileSystem: true }, logger: silentLogger(), maxFailures: 2, retryDelayMs: 10 });
}

describe('sealed worker transport', () => {
  it('refuses a plain body without reading it, and answers health only sealed', async () => {
    const plain = await api(server.url).post('/v1/batches', { batchId: 'b1', documents: [fileDocument('1', 'tracemonkey.pdf')] });
    expect(plain.status).toBe(415);
    const health = await fetch(`${server.url}/v1/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(health.headers.get('content-type')).toBe(SEALED_CONTENT_TYPE);
    expect(Buffer.from(await health.arrayBuffer()).toString('latin1')).not.toContain('ocrEngines');
  });

  it('the orchestrator client processes a batch through the seal', async () => {
    const results: DocumentResult[] = [];
    await client(KEY).process(
      { batchId: 'sealed-1', documents: [fileDocument('1', 'tracemonkey.pdf')], options: batchOptionsSchema.parse({ ocr: { engine: 'none' } }) },
      (r) => {
        results.push(r);
        return Promise.resolve();
      },
      new AbortController().signal,
    );
    expect(results).toHaveLength(1);
    expect(results[0]!.text).toContain('Trace-based');
    expect((await client(KEY).health()).ok).toBe(true);
  });

  it('a client with another key, or none, cannot use the worker', async () => {
    await expect(client(newSealKey()).health()).rejects.toThrow();
    const batch = { batchId: 'sealed-2', documents: [fileDocument('1', 'tracemonkey.pdf')], options: batchOptionsSchema.parse({}) };
    await expect(client(newSealKey()).process(batch, () => Promise.resolve(), new AbortController().signal)).rejects.toBeInstanceOf(WorkerLostError);
    await expect(client(undefined).process(batch, () => Promise.resolve(), new AbortController().signal)).rejects.toBeInstanceOf(WorkerLostError);
  });
});
