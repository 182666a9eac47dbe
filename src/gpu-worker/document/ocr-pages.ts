/**
 * OCR of a PDF's scanned pages: the isolate renders page k+1 while an OCR engine reads page k, with a bounded
 * number of rendered pages waiting (each is ~9 MB of grayscale at 300 dpi).
 */
import type { OcrOptions, PageError } from '../../protocol/worker-protocol.js';
import { DocumentError, coerceError } from '../../core/errors.js';
import type { Isolate } from '../isolate/isolate.js';
import type { RenderedImage } from '../isolate/isolate-messages.js';
import type { OcrEngine, OcrOutput } from '../ocr/ocr-engine.js';

/** Renders above this many pixels are scaled down (an A0 poster at 300 dpi would need 140 MP). */
export const MAX_RENDER_PIXELS = 50_000_000;

export type OcrPageResult = { page: number; output: OcrOutput } | { page: number; error: PageError };

export interface OcrPagesInput {
  isolate: Isolate;
  engine: OcrEngine;
  ocr: OcrOptions;
  signal: AbortSignal;
  /** Rendered pages allowed to wait for an OCR slot. */
  pagesAhead: number;
}

export function pageErrorFrom(page: number, thrown: unknown): PageError {
  const error = coerceError(thrown);
  const code = error instanceof DocumentError ? error.code : 'internal';
  return { page, code, message: error.message };
}

async function render(input: OcrPagesInput, page: number): Promise<RenderedImage | OcrPageResult> {
  try {
    return await input.isolate.call('render-page', { page, dpi: input.ocr.dpi, maxPixels: MAX_RENDER_PIXELS }, input);
  } catch (error) {
    // A dead isolate or the deadline ends the document; a page that cannot be drawn only ends that page.
    if (input.signal.aborted || !input.isolate.alive) throw error;
    return { page, error: pageErrorFrom(page, error) };
  }
}

/** Never rejects: a failed page is a result; an abort is rethrown by the caller once all have settled. */
async function recognize(input: OcrPagesInput, page: number, image: RenderedImage): Promise<OcrPageResult> {
  try {
    const request = { langs: input.ocr.langs, psm: input.ocr.psm, signal: input.signal };
    return { page, output: await input.engine.recognize({ kind: 'gray', ...image }, request) };
  } catch (error) {
    return { page, error: pageErrorFrom(page, error) };
  }
}

export async function ocrPdfPages(input: OcrPagesInput, pages: readonly number[]): Promise<OcrPageResult[]> {
  const settled: OcrPageResult[] = [];
  const running: Array<Promise<OcrPageResult>> = [];
  try {
    for (const page of pages) {
      const rendered = await render(input, page);
      if ('page' in rendered) settled.push(rendered);
      else running.push(recognize(input, page, rendered));
      if (running.length > input.pagesAhead) settled.push(await (running.shift() as Promise<OcrPageResult>));
    }
  } finally {
    settled.push(...(await Promise.all(running)));
  }
  input.signal.throwIfAborted();
  return settled;
}
