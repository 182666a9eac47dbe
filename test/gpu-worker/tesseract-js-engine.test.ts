/** The tesseract.js engine: offline models, a warm pool, and workers replaced after an abort or a failure. */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createTesseractJsEngine, missingTesseractJsLangs, tesseractJsModelPath } from '../../src/gpu-worker/ocr/tesseract-js-engine.js';
import { cer } from './helpers/cer.js';
import { corpusPath, groundTruth } from './helpers/corpus.js';

const cleanPng = { kind: 'encoded' as const, mimeType: 'image/png' as const, bytes: readFileSync(corpusPath('images/clean_p1.png')) };

describe('tesseract.js engine', () => {
  const engine = createTesseractJsEngine({ langs: 'eng', poolSize: 1, logger: silentLogger() });

  afterAll(() => engine.close());

  it('finds offline models only for installed language packages', () => {
    expect(tesseractJsModelPath('eng')).toMatch(/@tesseract\.js-data\/eng\/4\.0\.0_best_int\/eng\.traineddata\.gz$/);
    expect(missingTesseractJsLangs('eng+zzz')).toEqual(['zzz']);
  });

  it('reads an image, then reads again after an aborted job replaced its worker', { timeout: 60_000 }, async () => {
    const aborted = new AbortController();
    const job = engine.recognize(cleanPng, { langs: 'eng', psm: 3, signal: aborted.signal });
    aborted.abort(new Error('document timed out'));
    await expect(job).rejects.toThrow('document timed out');

    const output = await engine.recognize(cleanPng, { langs: 'eng', psm: 3 });
    expect(cer(output.text, groundTruth('gt1'))).toBeLessThanOrEqual(0.02);
    expect(output.confidence).toBeGreaterThan(80);
  });

  it('an abort at any moment of a job leaves nothing behind (no late call into a replaced worker)', { timeout: 120_000 }, async () => {
    // Aborts landing while the worker starts, while it takes its settings, and while it reads. A replaced worker
    // called later would make tesseract.js throw an unhandled rejection, which fails this file.
    for (const delayMs of [0, 1, 2, 5, 10, 20, 40, 80, 160]) {
      const aborted = new AbortController();
      const job = engine.recognize(cleanPng, { langs: 'eng', psm: delayMs % 2 === 0 ? 3 : 6, signal: aborted.signal });
      setTimeout(() => aborted.abort(new Error('document timed out')), delayMs);
      await job.then(
        (output) => expect(output.text).toContain('quarterly results'),
        (error: unknown) => expect(error).toMatchObject({ message: 'document timed out' }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await engine.recognize(cleanPng, { langs: 'eng', psm: 3 })).text).toContain('quarterly results');
  });

  it('drops a queued job whose document gave up, and finishes the running one', { timeout: 60_000 }, async () => {
    const running = engine.recognize(cleanPng, { langs: 'eng', psm: 3 });
    const gaveUp = new AbortController();
    const queued = engine.recognize(cleanPng, { langs: 'eng', psm: 3, signal: gaveUp.signal });
    gaveUp.abort(new Error('cancelled while queued'));
    await expect(queued).rejects.toThrow('cancelled while queued');
    expect((await running).text).toContain('quarterly results');
  });

  it('rejects an image it cannot decode without taking the process down', { timeout: 60_000 }, async () => {
    const garbage = { kind: 'encoded' as const, mimeType: 'image/tiff' as const, bytes: Buffer.from('II*\0 not really a tiff') };
    await expect(engine.recognize(garbage, { langs: 'eng', psm: 3 })).rejects.toBeDefined();
    const output = await engine.recognize(cleanPng, { langs: 'eng', psm: 6 });
    expect(output.text).toContain('The committee met on Tuesday');
  });

  it('refuses work once closed', async () => {
    const closed = createTesseractJsEngine({ langs: 'eng', poolSize: 1, logger: silentLogger() });
    await closed.close();
    await closed.close();
    await expect(closed.recognize(cleanPng, { langs: 'eng', psm: 3 })).rejects.toThrow(/closed/);
  });
});
