/** The native tesseract engine. Skipped, with the reason in its title, where the binary is not installed. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchOptionsSchema, splitPages } from '../../src/protocol/worker-protocol.js';
import { silentLogger } from '../../src/logger.js';
import { createDocumentProcessor, type DocumentProcessor } from '../../src/gpu-worker/document/document-processor.js';
import { createFileFetcher } from '../../src/gpu-worker/fetch/file-fetcher.js';
import { createIsolatePool, type IsolatePool } from '../../src/gpu-worker/isolate/isolate-pool.js';
import { createOcrEngines, type OcrEngines } from '../../src/gpu-worker/ocr/ocr-engines.js';
import { createNativeTesseractEngine, probeNativeTesseract } from '../../src/gpu-worker/ocr/tesseract-native-engine.js';
import { cer } from './helpers/cer.js';
import { corpusPath, groundTruth } from './helpers/corpus.js';
import { HAS_PROC, descendants } from './helpers/processes.js';

const native = await probeNativeTesseract();
const title = native
  ? `native tesseract engine (${native.binary})`
  : 'native tesseract engine — SKIPPED: no `tesseract` binary on PATH (Debian: apt-get install tesseract-ocr)';
const logger = silentLogger();

function tesseractChildren(): number {
  return HAS_PROC ? descendants(process.pid).filter((child) => child.name === 'tesseract').length : 0;
}

describe.skipIf(!native)(title, () => {
  let isolates: IsolatePool;
  let engines: OcrEngines;
  let processor: DocumentProcessor;

  beforeAll(() => {
    isolates = createIsolatePool({ size: 1, heapMb: 512, logger });
    engines = createOcrEngines({ choice: 'tesseract', langs: 'eng', poolSize: 2, native, logger });
    processor = createDocumentProcessor({
      fetchers: { file: createFileFetcher() }, isolates, ocrEngines: engines, logger, maxDocumentTimeoutMs: 120_000, ocrPagesAhead: 2,
    });
  });

  afterAll(async () => {
    await isolates.close();
    await engines.close();
  });

  it.each([
    ['synth_clean_2p.pdf', 3, ['gt1', 'gt2'], 0.02],
    ['synth_noisy.pdf', 3, ['gt2'], 0.03],
    // PSM 3 alone reads the table out of order (CER 30 %) and drops paragraphs of the degraded scan (47 %):
    // adaptive segmentation reads those pages again as one block.
    ['images/fax_g4.tif', 3, ['gt3'], 0.03],
    ['synth_hard_150dpi.pdf', 3, ['gt1'], 0.3],
    ['images/noisy.jpg', 3, ['gt2'], 0.03],
  ] as const)('reads %s (PSM %i) within the expected character error rate', { timeout: 60_000 }, async (file, psm, truths, max) => {
    const document = { id: file, name: file, location: { kind: 'file' as const, path: corpusPath(file) } };
    const result = await processor.process(document, batchOptionsSchema.parse({ ocr: { psm } }));
    expect(result).toMatchObject({ status: 'ok', ocrEngine: 'tesseract', ocrPages: truths.length });
    const pages = splitPages(result.text);
    truths.forEach((truth, index) => expect(cer(pages[index] ?? '', groundTruth(truth))).toBeLessThanOrEqual(max));
  });

  it('says which languages it lacks', () => {
    expect(engines.unavailableReason('tesseract', 'eng+zzz')).toContain('zzz');
    expect(engines.unavailableReason('tesseract', 'eng')).toBeNull();
  });

  it('kills the tesseract process of an aborted page and of a closed engine', { timeout: 60_000 }, async () => {
    const engine = createNativeTesseractEngine({ tesseract: native!, poolSize: 2, logger });
    const image = { kind: 'encoded' as const, mimeType: 'image/png' as const, bytes: readFileSync(corpusPath('images/clean_p1.png')) };
    const aborted = new AbortController();
    const first = engine.recognize(image, { langs: 'eng', psm: 3, signal: aborted.signal });
    const second = engine.recognize(image, { langs: 'eng', psm: 3 });
    await expect.poll(tesseractChildren).toBe(2);

    aborted.abort(new Error('stop this page'));
    await expect(first).rejects.toThrow('stop this page');
    await engine.close();
    await expect(second).rejects.toThrow(/tesseract could not read the image/);
    expect(tesseractChildren()).toBe(0);
    await engine.close();
  });

  it('reports an image tesseract cannot read as a failure of that image', async () => {
    const engine = createNativeTesseractEngine({ tesseract: native!, poolSize: 1, logger });
    const garbage = { kind: 'encoded' as const, mimeType: 'image/tiff' as const, bytes: Buffer.from('II*\0 not really a tiff') };
    await expect(engine.recognize(garbage, { langs: 'eng', psm: 3 })).rejects.toThrow(/tesseract could not read the image/);
    await engine.close();
  });
});
