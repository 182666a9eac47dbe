/**
 * The VLM OCR engine against a fake OpenAI-compatible server: olmOCR's request shape, the temperature ladder on
 * answers that loop (finish_reason "length") or lack front matter, 5xx, slow answers, rotation, a bounded number
 * of requests in flight, and the fall back to tesseract (real tesseract.js) when the tries are spent or the
 * server is down.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import type { VlmSettings } from '../../src/gpu-worker/config.js';
import { Isolate } from '../../src/gpu-worker/isolate/isolate.js';
import type { GrayImage, OcrEngine } from '../../src/gpu-worker/ocr/ocr-engine.js';
import { createOcrEngines, type OcrEngines } from '../../src/gpu-worker/ocr/ocr-engines.js';
import type { VlmRetryPolicy } from '../../src/gpu-worker/ocr/vlm/vlm-engine.js';
import { cer } from './helpers/cer.js';
import { corpusPath, groundTruth } from './helpers/corpus.js';
import { VlmFake, completion, olmocrAnswer, sleep } from './helpers/vlm-fake.js';

const logger = silentLogger();
const FAST: Partial<VlmRetryPolicy> = { backoff: { baseMs: 5, maxMs: 20, jitter: 0 }, unreachableWaits: 2, circuitThreshold: 3, circuitCooldownMs: 600_000 };
const LADDER = [0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0];

let fake: VlmFake;
let scan: GrayImage;

/** A white page with a black square in its top-left corner: where the square ends up shows how it was turned. */
function markedPage(width = 600, height = 800): GrayImage {
  const pixels = new Uint8Array(width * height).fill(255);
  for (let y = 20; y < 120; y += 1) for (let x = 20; x < 120; x += 1) pixels[y * width + x] = 0;
  return { kind: 'gray', width, height, pixels, dpi: 72 };
}

function darkShare(image: { width: number; height: number; pixels: Uint8Array }, x0: number, y0: number, x1: number, y1: number): number {
  let dark = 0;
  for (let y = Math.floor(y0 * image.height); y < Math.floor(y1 * image.height); y += 1) {
    for (let x = Math.floor(x0 * image.width); x < Math.floor(x1 * image.width); x += 1) if ((image.pixels[y * image.width + x] ?? 255) < 128) dark += 1;
  }
  return dark / ((x1 - x0) * image.width * (y1 - y0) * image.height);
}

function settings(overrides: Partial<VlmSettings> = {}): VlmSettings {
  return { url: fake.baseUrl, model: 'allenai/olmOCR-2-7B-1025-FP8', concurrency: 4, apiKey: null, timeoutMs: 5_000, ...overrides };
}

function engines(vlm: VlmSettings, policy: Partial<VlmRetryPolicy> = FAST): OcrEngines {
  return createOcrEngines({ choice: 'vlm', langs: 'eng', poolSize: 1, native: null, vlm, logger, vlmOptions: { policy } });
}

const open: OcrEngines[] = [];
function vlmEngine(vlm = settings(), policy?: Partial<VlmRetryPolicy>): OcrEngine {
  const registry = engines(vlm, policy);
  open.push(registry);
  return registry.get('vlm') as OcrEngine;
}

beforeAll(async () => {
  fake = await new VlmFake().start();
  const isolate = new Isolate({ heapMb: 512, logger });
  const data = new Uint8Array(readFileSync(corpusPath('images/clean_p1.png')));
  const decoded = await isolate.call('decode-image', { data, mimeType: 'image/png', targetDpi: 300, maxPixels: 50_000_000 }, { transfer: [data.buffer as ArrayBuffer] });
  scan = { kind: 'gray', ...decoded };
  await isolate.terminate();
});

afterAll(async () => {
  await Promise.all(open.map((registry) => registry.close()));
  await fake.http.stop();
});

beforeEach(() => {
  fake.reset();
  fake.answer(() => completion(olmocrAnswer('fake page text')));
});

describe('VLM engine', () => {
  it('asks like olmOCR: its prompt, a 1288 px PNG, max_tokens 8000, temperature 0.1, log-probabilities', async () => {
    const output = await vlmEngine(settings({ apiKey: 'hosted-key-123' })).recognize(scan, { langs: 'eng', psm: 3 });
    expect(output).toEqual({ text: 'fake page text', confidence: 95.1, engine: 'vlm' });
    const [request] = fake.seen;
    expect(request).toMatchObject({ model: 'allenai/olmOCR-2-7B-1025-FP8', temperature: 0.1, maxTokens: 8000, logprobs: true, authorization: 'Bearer hosted-key-123' });
    expect(request?.prompt).toContain('front matter section on top specifying values for the primary_language, is_rotation_valid');
    expect(Math.max(request?.image.width ?? 0, request?.image.height ?? 0)).toBe(1288);
    expect((request?.image.width ?? 0) / (request?.image.height ?? 1)).toBeCloseTo(scan.width / scan.height, 2);
  });

  it('asks again, hotter each time, while answers loop into max_tokens or lack front matter', async () => {
    fake.answer((_request, index) => {
      if (index < 2) return completion('the the the the', 'length');
      if (index === 2) return completion('no front matter at all');
      if (index === 3) return completion(olmocrAnswer('x', { rotation_correction: 45 }));
      return completion(olmocrAnswer('finally'));
    });
    const output = await vlmEngine().recognize(markedPage(), { langs: 'eng', psm: 3 });
    expect(output).toMatchObject({ text: 'finally', engine: 'vlm' });
    expect(fake.seen.map((request) => request.temperature)).toEqual(LADDER.slice(0, 5));
  });

  it('falls back to tesseract after 8 tries that never finish, and says so', { timeout: 60_000 }, async () => {
    fake.answer(() => completion('loop loop loop', 'length'));
    const output = await vlmEngine().recognize(scan, { langs: 'eng', psm: 3 });
    expect(fake.seen.map((request) => request.temperature)).toEqual(LADDER);
    expect(output.engine).toBe('tesseract-js');
    expect(cer(output.text, groundTruth('gt1'))).toBeLessThanOrEqual(0.02);
  });

  it('counts a 500 as a try, waits out 503s and 429s without counting them', async () => {
    fake.http.inject({ kind: 'status', status: 500, match: { path: /completions/ } });
    fake.http.inject({ kind: 'status', status: 503, match: { path: /completions/ } });
    fake.http.inject({ kind: 'rate_limit', retryAfterSeconds: 0, match: { path: /completions/ } });
    const output = await vlmEngine(settings(), { ...FAST, unreachableWaits: 3 }).recognize(markedPage(), { langs: 'eng', psm: 3 });
    expect(output).toMatchObject({ text: 'fake page text', engine: 'vlm' });
    expect(fake.http.requests.map((request) => request.status)).toEqual([500, 503, 429, 200]);
    expect(fake.seen.at(-1)?.temperature).toBe(0.1);
  });

  it('gives up on an answer slower than its timeout and asks again', async () => {
    fake.answer(async (_request, index) => {
      if (index === 0) await sleep(1_500);
      return completion(olmocrAnswer('after a slow one'));
    });
    const output = await vlmEngine(settings({ timeoutMs: 300 })).recognize(markedPage(), { langs: 'eng', psm: 3 });
    expect(output.text).toBe('after a slow one');
    expect(fake.seen).toHaveLength(2);
  });

  it('turns a page the model says is not upright by its rotation_correction and asks again', async () => {
    fake.answer((_request, index) => completion(index === 0 ? olmocrAnswer('', { is_rotation_valid: false, rotation_correction: 90 }) : olmocrAnswer('upright now')));
    const output = await vlmEngine().recognize(markedPage(), { langs: 'eng', psm: 3 });
    expect(output.text).toBe('upright now');
    const [first, second] = fake.seen.map((request) => request.image);
    expect([first?.width, first?.height]).toEqual([966, 1288]);
    expect([second?.width, second?.height]).toEqual([1288, 966]);
    // Turned counter-clockwise (as olmOCR does with PIL): the top-left square is now at the bottom left.
    expect(darkShare(first!, 0, 0, 0.25, 0.2)).toBeGreaterThan(0.2);
    expect(darkShare(second!, 0, 0.75, 0.2, 1)).toBeGreaterThan(0.2);
    expect(darkShare(second!, 0, 0, 0.25, 0.25)).toBe(0);
  });

  it('refused requests (400) go to the fallback at once', { timeout: 60_000 }, async () => {
    fake.http.inject({ kind: 'status', status: 400, body: { error: 'image too large' }, match: { path: /completions/ } });
    const output = await vlmEngine().recognize(scan, { langs: 'eng', psm: 3 });
    expect(output.engine).toBe('tesseract-js');
    expect(fake.http.requests).toHaveLength(1);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    fake.answer(async () => {
      await sleep(50);
      return completion(olmocrAnswer('page'));
    });
    const engine = vlmEngine(settings({ concurrency: 2 }));
    const outputs = await Promise.all(Array.from({ length: 7 }, () => engine.recognize(markedPage(), { langs: 'eng', psm: 3 })));
    expect(outputs.every((output) => output.text === 'page')).toBe(true);
    expect(fake.maxInFlight).toBe(2);
  });

  it('stops waiting when the document gives up', async () => {
    fake.answer(async () => {
      await sleep(2_000);
      return completion(olmocrAnswer('too late'));
    });
    const controller = new AbortController();
    const reading = vlmEngine().recognize(markedPage(), { langs: 'eng', psm: 3, signal: controller.signal });
    await expect.poll(() => fake.seen.length).toBe(1);
    controller.abort(new Error('document timed out'));
    await expect(reading).rejects.toThrow('document timed out');
  });

  it('reads with tesseract when the server is down', { timeout: 60_000 }, async () => {
    const down = await new VlmFake().start();
    const url = down.baseUrl;
    await down.http.stop();
    const output = await vlmEngine(settings({ url })).recognize(scan, { langs: 'eng', psm: 3 });
    expect(output.engine).toBe('tesseract-js');
    expect(cer(output.text, groundTruth('gt1'))).toBeLessThanOrEqual(0.02);
  });

  it('stops asking a server that keeps dropping connections, for a while (circuit breaker)', { timeout: 60_000 }, async () => {
    fake.http.inject({ kind: 'reset', times: 100, match: { path: /completions/ } });
    const engine = vlmEngine();
    const first = await engine.recognize(markedPage(), { langs: 'eng', psm: 3 });
    expect(first.engine).toBe('tesseract-js');
    // One try and two waits, and three failures in a row open the circuit…
    expect(fake.http.requests).toHaveLength(3);
    // …so the next pages go straight to tesseract.
    const next = await Promise.all([engine.recognize(markedPage(), { langs: 'eng', psm: 3 }), engine.recognize(markedPage(), { langs: 'eng', psm: 3 })]);
    expect(next.map((output) => output.engine)).toEqual(['tesseract-js', 'tesseract-js']);
    expect(fake.http.requests).toHaveLength(3);
  });
});
