/** A single image (PNG, JPEG, TIFF): one page, OCR'd. */
import type { OcrOptions } from '../../protocol/worker-protocol.js';
import type { IsolatePool } from '../isolate/isolate-pool.js';
import { MAX_RENDER_PIXELS } from './ocr-pages.js';
import type { OcrEngine, OcrImage } from '../ocr/ocr-engine.js';
import type { DetectedType } from './detect-type.js';
import type { PdfExtraction } from './extract-pdf.js';

export type ImageType = Exclude<DetectedType, 'application/pdf'>;

export interface ImageInput {
  isolates: IsolatePool;
  engine: OcrEngine | null;
  ocr: OcrOptions;
  signal: AbortSignal;
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

export async function extractImage(bytes: Uint8Array, type: ImageType, input: ImageInput): Promise<PdfExtraction> {
  if (!input.engine) {
    const blank = { page: 1, text: '', source: 'none' as const, ocrConfidence: null, ocrEngine: null, error: null };
    return { pages: [blank], ocrEngine: null, extractMs: 0, ocrMs: 0 };
  }
  const started = performance.now();
  const image = await ocrInput(bytes, type, input);
  const request = { langs: input.ocr.langs, psm: input.ocr.psm, signal: input.signal };
  const output = await input.engine.recognize(image, request);
  const ocrEngine = output.engine ?? input.engine.name;
  const page = { page: 1, text: output.text, source: 'ocr' as const, ocrConfidence: output.confidence, ocrEngine, error: null };
  return { pages: [page], ocrEngine, extractMs: 0, ocrMs: performance.now() - started };
}
