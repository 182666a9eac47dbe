/**
 * Builds the protocol's DocumentResult from what extraction found per page. Pure, so the counting rules
 * (what is a text page, when a document as a whole has failed) are tested on their own.
 */
import {
  countWords,
  joinPages,
  type DocumentErrorInfo,
  type DocumentResult,
  type PageError,
} from '../../protocol/worker-protocol.js';
import { DocumentError, coerceError } from '../../core/errors.js';

/** Where a page's text came from: its own text layer, OCR, or nowhere (blank, or OCR switched off). */
export type PageSource = 'text' | 'ocr' | 'none';

export interface PageOutcome {
  page: number;
  text: string;
  source: PageSource;
  /** 0–100 for OCR'd pages (when the engine reports one), else null. */
  ocrConfidence: number | null;
  /** The engine that read an OCR'd page, else null. */
  ocrEngine: string | null;
  error: PageError | null;
}

/** A page with no text: nothing to read there, or (with `error`) it could not be read. */
export function unreadPage(page: number, error: PageError | null = null): PageOutcome {
  return { page, text: '', source: 'none', ocrConfidence: null, ocrEngine: null, error };
}

export interface DocumentFacts {
  id: string;
  bytes: number;
  sha256: string | null;
  detectedType: string | null;
}

export interface Timings {
  fetchMs: number;
  extractMs: number;
  ocrMs: number;
  totalMs: number;
}

export interface Extraction {
  pages: PageOutcome[];
  /** The engines that OCR'd pages, joined by '+' (e.g. `vlm+tesseract`), else null. */
  ocrEngine: string | null;
}

/**
 * Which engines read the pages, the one asked for first: `vlm+tesseract` when tesseract read the pages the VLM
 * gave up on. Null when no page was OCR'd.
 */
export function enginesUsed(pages: readonly PageOutcome[], asked: string | null): string | null {
  const names = [...new Set(pages.flatMap((page) => (page.source === 'ocr' && page.ocrEngine ? [page.ocrEngine] : [])))];
  if (names.length === 0) return null;
  names.sort((a, b) => Number(b === asked) - Number(a === asked));
  return names.join('+');
}

function emptyResult(facts: DocumentFacts, timings: Timings): DocumentResult {
  return {
    ...facts,
    status: 'ok',
    error: null,
    pages: 0,
    textPages: 0,
    ocrPages: 0,
    failedPages: [],
    chars: 0,
    words: 0,
    ocrConfidence: null,
    ocrEngine: null,
    timings: roundTimings(timings),
    text: '',
  };
}

function roundTimings(timings: Timings): Timings {
  const round = (ms: number): number => Math.max(0, Math.round(ms));
  return {
    fetchMs: round(timings.fetchMs),
    extractMs: round(timings.extractMs),
    ocrMs: round(timings.ocrMs),
    totalMs: round(timings.totalMs),
  };
}

/** Any throw as the protocol's error: coded errors keep their code, anything else is `internal`. */
export function toErrorInfo(thrown: unknown): DocumentErrorInfo {
  const error = coerceError(thrown);
  if (error instanceof DocumentError) return error.toJSON();
  return new DocumentError('internal', error.message || 'unexpected failure').toJSON();
}

export function errorResult(facts: DocumentFacts, timings: Timings, thrown: unknown): DocumentResult {
  return { ...emptyResult(facts, timings), status: 'error', error: toErrorInfo(thrown) };
}

function meanConfidence(pages: readonly PageOutcome[]): number | null {
  const scores = pages.map((page) => page.ocrConfidence).filter((score): score is number => score !== null);
  if (scores.length === 0) return null;
  return Math.round((scores.reduce((sum, score) => sum + score, 0) / scores.length) * 10) / 10;
}

/** A document with no pages, or whose every page failed, failed as a whole (with the first page's reason). */
function wholeDocumentFailure(pages: readonly PageOutcome[]): DocumentError | null {
  if (pages.length === 0) return new DocumentError('corrupt', 'the document has no pages');
  const failures = pages.map((page) => page.error);
  if (failures.some((failure) => failure === null)) return null;
  const first = failures[0];
  return first ? new DocumentError(first.code, `every page failed; page ${first.page}: ${first.message}`) : null;
}

export function buildResult(facts: DocumentFacts, extraction: Extraction, timings: Timings): DocumentResult {
  const failure = wholeDocumentFailure(extraction.pages);
  if (failure) return errorResult(facts, timings, failure);
  const { pages } = extraction;
  const texts = pages.map((page) => page.text.trim());
  const text = joinPages(texts);
  const ocrPages = pages.filter((page) => page.source === 'ocr').length;
  return {
    ...emptyResult(facts, timings),
    pages: pages.length,
    textPages: pages.filter((page) => page.source === 'text').length,
    ocrPages,
    failedPages: pages.flatMap((page) => (page.error ? [page.error] : [])),
    chars: texts.reduce((sum, pageText) => sum + [...pageText].length, 0),
    words: countWords(text),
    ocrConfidence: meanConfidence(pages),
    ocrEngine: ocrPages > 0 ? extraction.ocrEngine : null,
    text,
  };
}
