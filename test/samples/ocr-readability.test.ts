/**
 * The OCR samples are only useful if an OCR engine can read them back: read each with tesseract.js and the
 * bundled English model (the engine every machine has) and compare with the text the manifest says was drawn.
 */
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createWorker } from 'tesseract.js';
import type { Worker } from 'tesseract.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTiffLayout, tiffPage } from '../../src/gpu-worker/image/tiff-pages.js';
import { makeSamples } from '../../src/samples/make-samples.js';
import type { SampleManifest } from '../../src/samples/make-samples.js';
import { openPdf, renderPagePng } from './pdf-reader.js';

const require = createRequire(import.meta.url);
const LANG_PATH = path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
const LSTM_ONLY = 1;
/** "Nearly perfectly": at most two characters in a hundred wrong. */
const MAX_CHARACTER_ERROR_RATE = 0.02;

let root: string;
let manifest: SampleManifest;
let worker: Worker;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'aseagi-samples-ocr-'));
  manifest = await makeSamples(root);
  // Offline: the model comes from the installed package, never from a CDN.
  worker = await createWorker('eng', LSTM_ONLY, { langPath: LANG_PATH, cacheMethod: 'none', gzip: true });
});

afterAll(async () => {
  await worker?.terminate();
  await rm(root, { recursive: true, force: true });
});

describe('OCR samples read back with tesseract', () => {
  it('scanned-notice.pdf, rendered at 300 dpi, reads as the drawn text', async () => {
    const page = manifest.files['scanned-notice.pdf']!.expected.pages[0]!;
    const text = await ocrPdfPage('scanned-notice.pdf', 1);
    expect(text).toContain(page.snippet);
    expect(characterErrorRate(text, page.drawnText!)).toBeLessThanOrEqual(MAX_CHARACTER_ERROR_RATE);
  });

  it('mixed.pdf page 2 reads as the drawn text', async () => {
    const page = manifest.files['mixed.pdf']!.expected.pages[1]!;
    const text = await ocrPdfPage('mixed.pdf', 2);
    expect(text).toContain(page.snippet);
    expect(characterErrorRate(text, page.drawnText!)).toBeLessThanOrEqual(MAX_CHARACTER_ERROR_RATE);
  });

  it.each([1, 2])('faxed-exhibits.tif page %i, cut out of the bundle, reads as the drawn text', async (pageNumber) => {
    const page = manifest.files['faxed-exhibits.tif']!.expected.pages[pageNumber - 1]!;
    const bytes = new Uint8Array(await readFile(path.join(root, 'faxed-exhibits.tif')));
    const { data } = await worker.recognize(Buffer.from(tiffPage(bytes, readTiffLayout(bytes)!, pageNumber - 1)));
    expect(data.text).toContain(page.snippet);
    expect(characterErrorRate(data.text, page.drawnText!)).toBeLessThanOrEqual(MAX_CHARACTER_ERROR_RATE);
  });

  it('photo-of-page.png reads as the drawn text', async () => {
    const page = manifest.files['photo-of-page.png']!.expected.pages[0]!;
    const { data } = await worker.recognize(await readFile(path.join(root, 'photo-of-page.png')));
    expect(data.text).toContain(page.snippet);
    expect(characterErrorRate(data.text, page.drawnText!)).toBeLessThanOrEqual(MAX_CHARACTER_ERROR_RATE);
  });
});

describe('characterErrorRate', () => {
  it.each([
    ['same text, different line breaks', 'a b\n\nc', 'a b c', 0],
    ['one substitution in ten', 'abcdefghiX', 'abcdefghij', 0.1],
    ['nothing read', '', 'abcd', 1],
  ])('%s', (_name, read, truth, rate) => {
    expect(characterErrorRate(read, truth)).toBeCloseTo(rate, 5);
  });
});

async function ocrPdfPage(file: string, pageNumber: number): Promise<string> {
  const pdf = await openPdf(await readFile(path.join(root, file)));
  try {
    const png = await renderPagePng(pdf, pageNumber, 300);
    const { data } = await worker.recognize(png);
    return data.text;
  } finally {
    await pdf.destroy();
  }
}

/** Edit distance over the reference length, after collapsing all whitespace (line breaks are layout). */
function characterErrorRate(read: string, truth: string): number {
  const a = read.replace(/\s+/g, ' ').trim();
  const b = truth.replace(/\s+/g, ' ').trim();
  return editDistance(a, b) / Math.max(1, b.length);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
