/**
 * A worker whose OCR engine is a VLM (OCR_ENGINE=vlm / auto with OCR_VLM_URL), through its HTTP API, against a
 * fake OpenAI-compatible server: scanned pages go to the VLM, text-layer pages never do, and a page the VLM
 * cannot read is read by tesseract — the result says `vlm+tesseract-js`.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { splitPages, workerHealthSchema, workerReadyLineSchema } from '../../src/protocol/worker-protocol.js';
import { startWorkerServer, type WorkerServer } from '../../src/gpu-worker/server.js';
import { cer } from './helpers/cer.js';
import { REPO_ROOT, groundTruth } from './helpers/corpus.js';
import { VlmFake, completion, olmocrAnswer } from './helpers/vlm-fake.js';
import { TOKEN, api, fileDocument, pollUntilFinished, testConfig, type Api } from './helpers/worker-client.js';

let fake: VlmFake;
let server: WorkerServer;
let client: Api;

async function resultsOf(batchId: string, documents: unknown[], options: Record<string, unknown> = {}) {
  expect((await client.post('/v1/batches', { batchId, documents, options })).status).toBe(202);
  return (await pollUntilFinished(client, batchId, 30_000)).flatMap((state) => state.results);
}

beforeAll(async () => {
  fake = await new VlmFake().start();
  const vlm = { url: fake.baseUrl, model: 'allenai/olmOCR-2-7B-1025-FP8', concurrency: 8, apiKey: null, timeoutMs: 10_000 };
  server = await startWorkerServer({
    config: testConfig({ ocrEngine: 'auto', vlm }),
    nativeTesseract: null,
    vlm: { policy: { backoff: { baseMs: 5, maxMs: 20, jitter: 0 } } },
  });
  client = api(server.url);
});

afterAll(async () => {
  await server.close();
  await fake.http.stop();
});

beforeEach(() => fake.reset());

describe('a worker reading scans with a VLM', () => {
  it('offers the VLM first, tesseract.js as well', async () => {
    const health = workerHealthSchema.parse((await client.get('/v1/health')).body);
    expect(health.ocrEngines).toEqual(['vlm', 'tesseract-js', 'none']);
  });

  it('reads a scan with the VLM; the page it cannot read goes to tesseract (vlm+tesseract-js)', { timeout: 90_000 }, async () => {
    // The first question gets an answer; every later one loops until max_tokens.
    fake.answer((_request, index) => (index === 0 ? completion(olmocrAnswer('Read by the model.')) : completion('again and again', 'length')));
    const [result] = await resultsOf('vlm-scan', [fileDocument('scan', 'synth_clean_2p.pdf')]);
    expect(result).toMatchObject({ status: 'ok', pages: 2, ocrPages: 2, ocrEngine: 'vlm+tesseract-js' });
    const pages = splitPages(result?.text ?? '');
    const modelPage = pages.indexOf('Read by the model.');
    expect(modelPage).toBeGreaterThanOrEqual(0);
    const truth = groundTruth(modelPage === 0 ? 'gt2' : 'gt1');
    expect(cer(pages[1 - modelPage] ?? '', truth)).toBeLessThanOrEqual(0.02);
    expect(fake.seen).toHaveLength(1 + 8);
  });

  it('never sends text-layer pages, and honours a batch that asks for tesseract', { timeout: 60_000 }, async () => {
    const [textLayer] = await resultsOf('vlm-text', [fileDocument('paper', 'tracemonkey.pdf')]);
    expect(textLayer).toMatchObject({ status: 'ok', textPages: 14, ocrPages: 0, ocrEngine: null });
    const [asked] = await resultsOf('vlm-asked-tesseract', [fileDocument('image', 'images/clean_p1.png')], { ocr: { engine: 'tesseract-js' } });
    expect(asked).toMatchObject({ status: 'ok', ocrEngine: 'tesseract-js' });
    expect(fake.seen).toHaveLength(0);
  });
});

describe('the worker program with OCR_ENGINE=vlm', () => {
  it('reads an image through the VLM named by OCR_VLM_URL', { timeout: 60_000 }, async () => {
    fake.answer(() => completion(olmocrAnswer('The committee met on Tuesday.')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/gpu-worker/main.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', WORKER_TOKEN: TOKEN, OCR_ENGINE: 'vlm', OCR_VLM_URL: fake.http.url, OCR_POOL_SIZE: '1', WORKER_CONCURRENCY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
      const ready = workerReadyLineSchema.parse(JSON.parse(line));
      const worker = api(`http://${ready.host}:${ready.port}`);
      await worker.post('/v1/batches', { batchId: 'program', documents: [fileDocument('image', 'images/clean_p1.png')] });
      const [result] = (await pollUntilFinished(worker, 'program', 30_000)).flatMap((state) => state.results);
      expect(result).toMatchObject({ status: 'ok', ocrEngine: 'vlm', text: '--- page 1 ---\nThe committee met on Tuesday.' });
      expect(fake.seen[0]?.model).toBe('allenai/olmOCR-2-7B-1025-FP8');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
