/**
 * Multi-page TIFFs: every page is read and reported on its own. Before pages were cut apart, tesseract.js read
 * only the first page of a fax bundle and dropped the rest without a word.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createDocumentProcessor, type DocumentProcessor } from '../../src/gpu-worker/document/document-processor.js';
import { createFileFetcher } from '../../src/gpu-worker/fetch/file-fetcher.js';
import { MAX_TIFF_PAGES, readTiffLayout, tiffPage } from '../../src/gpu-worker/image/tiff-pages.js';
import { createIsolatePool, type IsolatePool } from '../../src/gpu-worker/isolate/isolate-pool.js';
import { createOcrEngines, type OcrEngines } from '../../src/gpu-worker/ocr/ocr-engines.js';
import { batchOptionsSchema, splitPages, type DocumentResult } from '../../src/protocol/worker-protocol.js';
import { renderScannedPage } from '../../src/samples/raster-pages.js';
import { writeBilevelTiff } from '../../src/samples/tiff-writer.js';
import { cer } from './helpers/cer.js';
import { corpusPath, groundTruth } from './helpers/corpus.js';
import { joinTiffs } from './helpers/tiff-join.js';

const logger = silentLogger();
const HEADINGS = ['FIRST PAGE HEADING', 'SECOND PAGE HEADING', 'THIRD PAGE HEADING'];
const pages = HEADINGS.map((heading, index) =>
  renderScannedPage([heading, `Exhibit ${index + 1} of the bundle, received by fax.`], { dpi: 200, seed: index + 1, rotationDeg: 0 }),
);

let dir: string;
let isolates: IsolatePool;
let engines: OcrEngines;
let processor: DocumentProcessor;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-tiff-'));
  isolates = createIsolatePool({ size: 1, heapMb: 512, logger });
  engines = createOcrEngines({ choice: 'tesseract-js', langs: 'eng', poolSize: 2, native: null, logger });
  processor = createDocumentProcessor({ fetchers: { file: createFileFetcher() }, isolates, ocrEngines: engines, logger, maxDocumentTimeoutMs: 120_000, ocrPagesAhead: 2 });
});

afterAll(async () => {
  await isolates.close();
  await engines.close();
  rmSync(dir, { recursive: true, force: true });
});

async function processBytes(name: string, bytes: Uint8Array, engine = 'tesseract-js'): Promise<DocumentResult> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return processor.process({ id: name, name, location: { kind: 'file', path } }, batchOptionsSchema.parse({ ocr: { engine } }));
}

/** Overwrites the 4-byte value of field `tag` in the IFD at `ifd` (little-endian files). */
function patchField(bytes: Uint8Array, ifd: number, tag: number, value: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const count = view.getUint16(ifd, true);
  for (let slot = 0; slot < count; slot += 1) {
    const at = ifd + 2 + 12 * slot;
    if (view.getUint16(at, true) === tag) return view.setUint32(at + 8, value, true);
  }
  throw new Error(`no field ${tag}`);
}

function nextPointer(bytes: Uint8Array, ifd: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return ifd + 2 + 12 * view.getUint16(ifd, true);
}

describe('multi-page TIFFs', () => {
  it('reads every page of a bundle, each on its own page', { timeout: 60_000 }, async () => {
    const result = await processBytes('bundle.tif', writeBilevelTiff(pages));
    expect(result).toMatchObject({ status: 'ok', detectedType: 'image/tiff', pages: 3, ocrPages: 3, failedPages: [] });
    splitPages(result.text).forEach((text, index) => expect(text).toContain(HEADINGS[index]));
  });

  it('reads big-endian ("MM") bundles too', { timeout: 60_000 }, async () => {
    const bytes = writeBilevelTiff(pages.slice(0, 2), { littleEndian: false });
    const layout = readTiffLayout(bytes);
    expect(layout).toMatchObject({ littleEndian: false, pages: [expect.any(Number), expect.any(Number)] });
    const result = await processBytes('bundle-mm.tif', bytes);
    expect(result).toMatchObject({ status: 'ok', pages: 2, ocrPages: 2 });
    expect(splitPages(result.text)[1]).toContain(HEADINGS[1]);
  });

  it('keeps a CCITT G4 fax page readable when it is cut out of a bundle', { timeout: 60_000 }, async () => {
    const fax = new Uint8Array(readFileSync(corpusPath('images/fax_g4.tif')));
    const bundle = joinTiffs([writeBilevelTiff([pages[0]!]), fax]);
    const result = await processBytes('fax-bundle.tif', bundle);
    expect(result).toMatchObject({ status: 'ok', pages: 2, ocrPages: 2 });
    const [cover, faxPage] = splitPages(result.text);
    expect(cover).toContain(HEADINGS[0]);
    expect(cer(faxPage ?? '', groundTruth('gt3'))).toBeLessThanOrEqual(0.05);
  });

  it('leaves a single-page TIFF as it is', () => {
    const fax = new Uint8Array(readFileSync(corpusPath('images/fax_g4.tif')));
    expect(readTiffLayout(fax)?.pages).toHaveLength(1);
  });

  it('counts the pages of a bundle even with OCR off', async () => {
    const result = await processBytes('bundle-no-ocr.tif', writeBilevelTiff(pages), 'none');
    expect(result).toMatchObject({ status: 'ok', pages: 3, ocrPages: 0 });
  });

  it('reads the other pages when one page\'s image data lies outside the file', { timeout: 60_000 }, async () => {
    const bytes = writeBilevelTiff(pages);
    const layout = readTiffLayout(bytes)!;
    patchField(bytes, layout.pages[1]!, 273, bytes.length + 10);
    const result = await processBytes('bad-page.tif', bytes);
    expect(result).toMatchObject({ status: 'ok', pages: 3, ocrPages: 2, failedPages: [{ page: 2, code: 'corrupt' }] });
    expect(splitPages(result.text)[2]).toContain(HEADINGS[2]);
  });

  it('reports the missing pages of a bundle cut off in transmission', { timeout: 60_000 }, async () => {
    const bytes = writeBilevelTiff(pages);
    const layout = readTiffLayout(bytes)!;
    // Page 2 points to a page 3 that never arrived.
    new DataView(bytes.buffer).setUint32(nextPointer(bytes, layout.pages[1]!), bytes.length + 100, true);
    const result = await processBytes('cut-off.tif', bytes);
    expect(result).toMatchObject({ status: 'ok', pages: 3, ocrPages: 2, failedPages: [{ page: 3, code: 'corrupt' }] });
    expect(result.failedPages[0]?.message).toContain('ends before page 3');
  });

  it('stops at a chain of pages that loops back on itself', () => {
    const bytes = writeBilevelTiff(pages);
    const layout = readTiffLayout(bytes)!;
    new DataView(bytes.buffer).setUint32(nextPointer(bytes, layout.pages[2]!), layout.pages[0]!, true);
    expect(readTiffLayout(bytes)?.pages).toEqual(layout.pages);
  });

  it('refuses a chain of more pages than any bundle has', () => {
    // A header and MAX_TIFF_PAGES + 1 empty IFDs, each pointing to the next.
    const count = MAX_TIFF_PAGES + 1;
    const bytes = new Uint8Array(8 + 6 * count);
    const view = new DataView(bytes.buffer);
    bytes.set([0x49, 0x49, 42, 0]);
    view.setUint32(4, 8, true);
    for (let index = 0; index < count; index += 1) view.setUint32(8 + 6 * index + 2, index + 1 < count ? 8 + 6 * (index + 1) : 0, true);
    expect(() => readTiffLayout(bytes)).toThrow(expect.objectContaining({ code: 'too_complex' }));
  });

  it('refuses a page whose strips repeat the same data to swell a small file', () => {
    const bytes = writeBilevelTiff(pages.slice(0, 2));
    const layout = readTiffLayout(bytes)!;
    // 20,000 strips, every one the whole file: 20,000 × the file's size if copied.
    const strips = 20_000;
    const table = new Uint8Array(bytes.length + 8 * strips);
    table.set(bytes);
    const view = new DataView(table.buffer);
    for (let index = 0; index < strips; index += 1) {
      view.setUint32(bytes.length + 4 * index, 0, true);
      view.setUint32(bytes.length + 4 * strips + 4 * index, bytes.length, true);
    }
    const ifd = layout.pages[1]!;
    const count = view.getUint16(ifd, true);
    for (let slot = 0; slot < count; slot += 1) {
      const at = ifd + 2 + 12 * slot;
      const tag = view.getUint16(at, true);
      if (tag !== 273 && tag !== 279) continue;
      view.setUint32(at + 4, strips, true);
      view.setUint32(at + 8, bytes.length + (tag === 273 ? 0 : 4 * strips), true);
    }
    expect(() => tiffPage(table, readTiffLayout(table)!, 1)).toThrow(expect.objectContaining({ code: 'too_complex' }));
    expect(tiffPage(table, readTiffLayout(table)!, 0).length).toBeLessThan(bytes.length);
  });

  it('calls a file with no byte-order mark or first page corrupt', () => {
    expect(() => readTiffLayout(Uint8Array.from([0x49, 0x49, 42, 0, 0xff, 0xff, 0, 0]))).toThrow(DocumentError);
    expect(() => readTiffLayout(Uint8Array.from([0x58, 0x58, 42, 0, 8, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });
});
