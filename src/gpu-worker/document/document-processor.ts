/**
 * One document from location to DocumentResult: fetch, fingerprint, detect the type from the bytes, extract
 * (text layer, OCR) under a wall-time limit. Every failure ends as a coded error in the result; nothing a
 * document does can throw out of {@link DocumentProcessor.process}.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { BatchDocument, BatchOptions, DocumentResult } from '../../protocol/worker-protocol.js';
import type { Logger } from '../../logger.js';
import { DocumentError } from '../../core/errors.js';
import { fetchDocument, type DocumentFetchers } from '../fetch/document-fetcher.js';
import type { IsolatePool } from '../isolate/isolate-pool.js';
import type { OcrEngines } from '../ocr/ocr-engines.js';
import { buildResult, errorResult, type DocumentFacts, type Timings } from './document-result.js';
import { detectType, type DetectedType } from './detect-type.js';
import { extractImage } from './extract-image.js';
import { extractPdf, type PdfExtraction } from './extract-pdf.js';

export interface DocumentProcessorDeps {
  fetchers: DocumentFetchers;
  isolates: IsolatePool;
  ocrEngines: OcrEngines;
  logger: Logger;
  /** Upper bound on any batch's `documentTimeoutMs` (WORKER_DOC_TIMEOUT_MS). */
  maxDocumentTimeoutMs: number;
  /** Rendered pages per document allowed to wait for OCR. */
  ocrPagesAhead: number;
}

export interface DocumentProcessor {
  /** Never rejects. `signal` aborts the document (worker shutdown). */
  process(document: BatchDocument, options: BatchOptions, signal?: AbortSignal): Promise<DocumentResult>;
}

const NEVER_ABORTED = new AbortController().signal;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Aborts with a `timeout` error after `ms`, or with the outer signal's reason (shutdown). */
function deadline(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  // Each page waiting for OCR listens to it; with a big OCR pool that is many listeners, by design.
  setMaxListeners(Number.POSITIVE_INFINITY, controller.signal);
  const timer = setTimeout(() => controller.abort(new DocumentError('timeout', `processing took longer than ${ms} ms`)), ms);
  const forward = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  const clear = (): void => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
  };
  return { signal: controller.signal, clear };
}

export function createDocumentProcessor(deps: DocumentProcessorDeps): DocumentProcessor {
  function extract(bytes: Uint8Array, type: DetectedType, options: BatchOptions, signal: AbortSignal): Promise<PdfExtraction> {
    const engine = deps.ocrEngines.get(options.ocr.engine);
    const common = { engine, ocr: options.ocr, signal };
    if (type !== 'application/pdf') return extractImage(bytes, type, { ...common, isolates: deps.isolates, pagesAhead: deps.ocrPagesAhead });
    return deps.isolates.run(
      (isolate) => extractPdf(bytes, { ...common, isolate, passwords: options.pdfPasswords, pagesAhead: deps.ocrPagesAhead }),
      signal,
    );
  }

  /** Extraction under the document's wall-time limit. */
  async function extractInTime(bytes: Uint8Array, type: DetectedType, options: BatchOptions, outer?: AbortSignal): Promise<PdfExtraction> {
    const limit = deadline(Math.min(options.documentTimeoutMs, deps.maxDocumentTimeoutMs), outer);
    try {
      return await extract(bytes, type, options, limit.signal);
    } catch (error) {
      // After an abort, whatever was thrown is a symptom; the abort reason is the cause.
      throw limit.signal.aborted ? limit.signal.reason : error;
    } finally {
      limit.clear();
    }
  }

  async function process(document: BatchDocument, options: BatchOptions, outer?: AbortSignal): Promise<DocumentResult> {
    const started = performance.now();
    const facts: DocumentFacts = { id: document.id, bytes: 0, sha256: null, detectedType: null };
    const timings: Timings = { fetchMs: 0, extractMs: 0, ocrMs: 0, totalMs: 0 };
    const elapsed = (): Timings => ({ ...timings, totalMs: performance.now() - started });
    try {
      const fetchContext = { maxBytes: options.maxDocumentBytes, signal: outer ?? NEVER_ABORTED };
      const bytes = await fetchDocument(deps.fetchers, document.location, fetchContext);
      timings.fetchMs = performance.now() - started;
      const type = detectType(bytes);
      Object.assign(facts, { bytes: bytes.byteLength, sha256: sha256(bytes), detectedType: type });
      if (!type) throw new DocumentError('unsupported_type', 'not a PDF, PNG, JPEG or TIFF file');
      const extraction = await extractInTime(bytes, type, options, outer);
      Object.assign(timings, { extractMs: extraction.extractMs, ocrMs: extraction.ocrMs });
      return buildResult(facts, extraction, elapsed());
    } catch (error) {
      const result = errorResult(facts, elapsed(), error);
      deps.logger.info({ documentId: document.id, code: result.error?.code, message: result.error?.message }, 'document failed');
      return result;
    }
  }

  return { process };
}
