/** A PDF, page by page: the text layer where there is one, OCR for pages that are scans. */
import type { OcrOptions } from '../../protocol/worker-protocol.js';
import type { Isolate } from '../isolate/isolate.js';
import type { PageReading } from '../isolate/isolate-messages.js';
import type { OcrEngine } from '../ocr/ocr-engine.js';
import { enginesUsed, type Extraction, type PageOutcome } from './document-result.js';
import { ocrPdfPages, type OcrPageResult } from './ocr-pages.js';

export interface PdfInput {
  isolate: Isolate;
  engine: OcrEngine | null;
  ocr: OcrOptions;
  passwords: string[];
  signal: AbortSignal;
  pagesAhead: number;
}

export interface PdfExtraction extends Extraction {
  extractMs: number;
  ocrMs: number;
}

/** Bytes in a buffer of their own, so they can be moved (not copied) into the isolate. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

function textOutcome(reading: PageReading): PageOutcome {
  const error = reading.error ? { page: reading.page, ...reading.error } : null;
  const source = !error && reading.chars > 0 ? 'text' : 'none';
  return { page: reading.page, text: reading.text, source, ocrConfidence: null, ocrEngine: null, error };
}

function withOcr(outcome: PageOutcome, result: OcrPageResult, engine: OcrEngine): PageOutcome {
  if ('error' in result) return { ...outcome, error: result.error };
  const { output } = result;
  const text = output.text.trim() || outcome.text;
  return { ...outcome, text, source: 'ocr', ocrConfidence: output.confidence, ocrEngine: output.engine ?? engine.name, error: null };
}

export async function extractPdf(bytes: Uint8Array, input: PdfInput): Promise<PdfExtraction> {
  const started = performance.now();
  const data = ownBuffer(bytes);
  const { isolate, signal } = input;
  await isolate.call('open-pdf', { data, passwords: input.passwords }, { signal, transfer: [data.buffer as ArrayBuffer] });
  const findScans = input.engine !== null;
  const readings = await isolate.call('read-pages', { minTextChars: input.ocr.minTextChars, findScans }, { signal });
  const extractMs = performance.now() - started;

  const outcomes = readings.map(textOutcome);
  const scans = readings.filter((reading) => reading.needsOcr).map((reading) => reading.page);
  if (!input.engine || scans.length === 0) return { pages: outcomes, ocrEngine: null, extractMs, ocrMs: 0 };

  const ocrStarted = performance.now();
  const results = await ocrPdfPages({ ...input, engine: input.engine }, scans);
  for (const result of results) {
    const index = result.page - 1;
    const outcome = outcomes[index];
    if (outcome) outcomes[index] = withOcr(outcome, result, input.engine);
  }
  const ocrEngine = enginesUsed(outcomes, input.engine.name);
  return { pages: outcomes, ocrEngine, extractMs, ocrMs: performance.now() - ocrStarted };
}
