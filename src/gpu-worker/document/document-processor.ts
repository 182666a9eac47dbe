/**
 * One document from location to DocumentResult: fetch, fingerprint, detect the type from the bytes, extract
 * (text layer, OCR) under a wall-time limit. Every failure ends as a coded error in the result; nothing a
 * document does can throw out of {@link DocumentProcessor.process}.
 */
import { createHash } from 'node:crypto';
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

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Aborts with a `timeout` error after `ms`, or with the outer signal's reason. */
function deadline(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DocumentError('timeout', `processing took longer than ${ms} ms`));
  }, ms);
  const signal = outer ? AbortSignal.any([controller.signal, outer]) : controller.signal;
  return { signal, clear: () => clearTimeout(timer) };
}

export function createDocumentProcessor(deps: DocumentProcessorDeps): DocumentProcessor {
  function extract(bytes: Uint8Array, type: DetectedType, options: BatchOptions, signal: AbortSignal): Promise<PdfExtraction> {
    const engine = deps.ocrEngines.get(options.ocr.engine);
    const common = { engine, ocr: options.ocr, signal };
    if (type !== 'application/pdf') return extractImage(bytes, type, { ...common, isolates: deps.isolates });
    return deps.isolates.run(
      (isolate) => extractPdf(bytes, { ...common, isolate, passwords: options.pdfPasswords, pagesAhead: deps.ocrPagesAhead }),
      signal,
    );
  }

  async function process(document: BatchDocument, options: BatchOptions, outer?: AbortSignal): Promise<DocumentResult> {
    const started = performance.now();
    const facts: DocumentFacts = { id: document.id, bytes: 0, sha256: null, detectedType: null };
    const timings: Timings = { fetchMs: 0, extractMs: 0, ocrMs: 0, totalMs: 0 };
    const elapsed = (): Timings => ({ ...timings, totalMs: performance.now() - started });
    const log = deps.logger.child({ documentId: document.id });
    try {
      const fetchSignal = outer ?? new AbortController().signal;
      const bytes = await fetchDocument(deps.fetchers, document.location, { maxBytes: options.maxDocumentBytes, signal: fetchSignal });
      timings.fetchMs = performance.now() - started;
      Object.assign(facts, { bytes: bytes.byteLength, sha256: sha256(bytes), detectedType: detectType(bytes) });
      if (!facts.detectedType) throw new DocumentError('unsupported_type', 'not a PDF, PNG, JPEG or TIFF file');

      const limit = deadline(Math.min(options.documentTimeoutMs, deps.maxDocumentTimeoutMs), outer);
      try {
        const extraction = await extract(bytes, facts.detectedType as DetectedType, options, limit.signal);
        Object.assign(timings, { extractMs: extraction.extractMs, ocrMs: extraction.ocrMs });
        return buildResult(facts, extraction, elapsed());
      } catch (error) {
        // After an abort, whatever was thrown is a symptom; the abort reason is the cause.
        throw limit.signal.aborted ? limit.signal.reason : error;
      } finally {
        limit.clear();
      }
    } catch (error) {
      const result = errorResult(facts, elapsed(), error);
      log.info({ code: result.error?.code, message: result.error?.message }, 'document failed');
      return result;
    }
  }

  return { process };
}
