/** An image file, OCR'd: PNG and JPEG are one page; a TIFF may hold many (fax bundles, scanner batches). */
import type { OcrOptions } from '../../protocol/worker-protocol.js';
import { readTiffLayout, tiffPage, type TiffLayout } from '../image/tiff-pages.js';
import type { IsolatePool } from '../isolate/isolate-pool.js';
import { MAX_RENDER_PIXELS, pageErrorFrom } from './ocr-pages.js';
import type { OcrEngine, OcrImage } from '../ocr/ocr-engine.js';
import { mapInLanes } from '../../core/in-lanes.js';
import { enginesUsed, unreadPage, type PageOutcome } from './document-result.js';
import type { DetectedType } from './detect-type.js';
import type { PdfExtraction } from './extract-pdf.js';

export type ImageType = Exclude<DetectedType, 'application/pdf'>;

export interface ImageInput {
  isolates: IsolatePool;
  engine: OcrEngine | null;
  ocr: OcrOptions;
  signal: AbortSignal;
  /** Pages read at once beyond the first (the engine pool decides how many really run). */
  pagesAhead: number;
}

/**
 * PNG and JPEG are decoded (in an isolate) to grayscale and enlarged when coarse; TIFF goes to the engine as
 * it is, because its CCITT fax variants are something only leptonica-based engines decode.
 */
async function ocrInput(bytes: Uint8Array, type: ImageType, input: ImageInput): Promise<OcrImage> {
  if (type === 'image/tiff') return { kind: 'encoded', mimeType: type, bytes };
  const args = { data: bytes.slice(), mimeType: type, targetDpi: input.ocr.dpi, maxPixels: MAX_RENDER_PIXELS };
  const decoded = await input.isolates.run(
    (isolate) => isolate.call('decode-image', args, { signal: input.signal, transfer: [args.data.buffer] }),
    input.signal,
  );
  return { kind: 'gray', ...decoded };
}

function ocrPage(page: number, text: string, confidence: number | null, engine: string): PageOutcome {
  return { page, text, source: 'ocr', ocrConfidence: confidence, ocrEngine: engine, error: null };
}

/** One page of a multi-page TIFF; its failure is that page's, and the other pages are still read. */
async function readTiffPage(bytes: Uint8Array, layout: TiffLayout, index: number, engine: OcrEngine, input: ImageInput): Promise<PageOutcome> {
  const page = index + 1;
  try {
    const image = { kind: 'encoded' as const, mimeType: 'image/tiff' as const, bytes: tiffPage(bytes, layout, index) };
    const output = await engine.recognize(image, { langs: input.ocr.langs, psm: input.ocr.psm, signal: input.signal });
    return ocrPage(page, output.text, output.confidence, output.engine ?? engine.name);
  } catch (error) {
    if (input.signal.aborted) throw error;
    return unreadPage(page, pageErrorFrom(page, error));
  }
}

async function extractTiffPages(bytes: Uint8Array, layout: TiffLayout, engine: OcrEngine, input: ImageInput): Promise<PageOutcome[]> {
  const read = (index: number): Promise<PageOutcome> => readTiffPage(bytes, layout, index, engine, input);
  const pages = await mapInLanes(layout.pages.length, input.pagesAhead + 1, read);
  if (layout.brokenAfterLastPage) {
    const page = layout.pages.length + 1;
    pages.push(unreadPage(page, { page, code: 'corrupt', message: layout.brokenAfterLastPage }));
  }
  return pages;
}

export async function extractImage(bytes: Uint8Array, type: ImageType, input: ImageInput): Promise<PdfExtraction> {
  const layout = type === 'image/tiff' ? readTiffLayout(bytes) : null;
  const pageCount = layout?.pages.length ?? 1;
  if (!input.engine) {
    return { pages: Array.from({ length: pageCount }, (_, index) => unreadPage(index + 1)), ocrEngine: null, extractMs: 0, ocrMs: 0 };
  }
  const started = performance.now();
  if (layout && (layout.pages.length > 1 || layout.brokenAfterLastPage)) {
    const pages = await extractTiffPages(bytes, layout, input.engine, input);
    return { pages, ocrEngine: enginesUsed(pages, input.engine.name), extractMs: 0, ocrMs: performance.now() - started };
  }
  const image = await ocrInput(bytes, type, input);
  const request = { langs: input.ocr.langs, psm: input.ocr.psm, signal: input.signal };
  const output = await input.engine.recognize(image, request);
  const ocrEngine = output.engine ?? input.engine.name;
  return { pages: [ocrPage(1, output.text, output.confidence, ocrEngine)], ocrEngine, extractMs: 0, ocrMs: performance.now() - started };
}
