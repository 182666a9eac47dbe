/**
 * The one protocol between the orchestrator and a worker (`src/gpu-worker`), local or rented.
 * Both sides import these schemas; nothing else crosses the wire.
 *
 *   GET    /livez                       no auth; "ok" (container liveness only)
 *   GET    /v1/health                   → WorkerHealth
 *   POST   /v1/batches      BatchRequest → 202 BatchState (idempotent on batchId: never reprocesses)
 *   GET    /v1/batches/:id?after=N&waitMs=M → BatchState with results[N..] (long poll until new results or done)
 *   DELETE /v1/batches/:id              → BatchState (cancels what has not started)
 *
 * Every /v1 route requires `Authorization: Bearer <worker token>`. A worker token is minted per worker by the
 * orchestrator and is worth nothing outside that worker; account-wide secrets never travel here.
 */
import { z } from 'zod';
import { DOCUMENT_ERROR_CODES } from '../core/errors.js';

export const PROTOCOL_VERSION = 1;

export const OCR_ENGINES = ['auto', 'tesseract', 'tesseract-js', 'vlm', 'none'] as const;
export const ocrEngineSchema = z.enum(OCR_ENGINES);
export type OcrEngineName = z.infer<typeof ocrEngineSchema>;

/** Where the worker gets a document's bytes. */
export const documentLocationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), path: z.string().min(1) }),
  z.object({
    kind: z.literal('url'),
    url: z.url({ protocol: /^https?$/ }),
    /** Per-batch headers, e.g. a short-lived read-only Drive access token. Never logged. */
    headers: z.record(z.string(), z.string()).optional(),
  }),
]);
export type DocumentLocation = z.infer<typeof documentLocationSchema>;

export const batchDocumentSchema = z.object({
  /** The orchestrator's key for this document within the batch; echoed in its result. */
  id: z.string().min(1).max(200),
  name: z.string().max(1000),
  location: documentLocationSchema,
  /** What the source claims; the worker trusts the bytes, not this. */
  mimeHint: z.string().max(200).optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
});
export type BatchDocument = z.infer<typeof batchDocumentSchema>;

export const ocrOptionsSchema = z.object({
  engine: ocrEngineSchema.default('auto'),
  /** Tesseract language codes joined by '+', e.g. "eng" or "eng+spa". */
  langs: z.string().regex(/^[a-z_]+(\+[a-z_]+)*$/).default('eng'),
  /** Tesseract page segmentation mode: 3 = automatic layout, 6 = one uniform block (tables, forms). */
  psm: z.number().int().min(0).max(13).default(3),
  /** A page with fewer characters than this in its text layer is a candidate for OCR. */
  minTextChars: z.number().int().nonnegative().default(16),
  dpi: z.number().int().min(72).max(600).default(300),
});
export type OcrOptions = z.infer<typeof ocrOptionsSchema>;

export const batchOptionsSchema = z.object({
  ocr: ocrOptionsSchema.default(ocrOptionsSchema.parse({})),
  /** Wall-time limit for one document, fetch excluded. */
  documentTimeoutMs: z.number().int().positive().default(300_000),
  /** Documents larger than this fail with `too_large` without being processed. */
  maxDocumentBytes: z.number().int().positive().default(2 * 1024 ** 3),
  /** Passwords to try on encrypted PDFs, after the empty one. */
  pdfPasswords: z.array(z.string()).default([]),
});
export type BatchOptions = z.infer<typeof batchOptionsSchema>;

export const batchRequestSchema = z.object({
  batchId: z.string().min(1).max(200).regex(/^[A-Za-z0-9:._-]+$/),
  documents: z.array(batchDocumentSchema).min(1).max(10_000),
  options: batchOptionsSchema.default(batchOptionsSchema.parse({})),
});
export type BatchRequest = z.infer<typeof batchRequestSchema>;
export type BatchRequestInput = z.input<typeof batchRequestSchema>;

export const documentErrorSchema = z.object({
  code: z.enum(DOCUMENT_ERROR_CODES),
  message: z.string(),
  retryable: z.boolean(),
});
export type DocumentErrorInfo = z.infer<typeof documentErrorSchema>;

export const pageErrorSchema = z.object({
  page: z.number().int().positive(),
  code: z.enum(DOCUMENT_ERROR_CODES),
  message: z.string(),
});
export type PageError = z.infer<typeof pageErrorSchema>;

export const documentTimingsSchema = z.object({
  fetchMs: z.number().nonnegative(),
  extractMs: z.number().nonnegative(),
  ocrMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
});

/** What a worker reports for one document. `text` joins pages with {@link PAGE_MARKER} lines. */
export const documentResultSchema = z.object({
  id: z.string(),
  status: z.enum(['ok', 'error']),
  error: documentErrorSchema.nullable(),
  /** Detected from the bytes (magic numbers), not from the name or the source's claim. */
  detectedType: z.string().nullable(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().nullable(),
  pages: z.number().int().nonnegative(),
  /** Pages whose text came from the PDF's own text layer. */
  textPages: z.number().int().nonnegative(),
  ocrPages: z.number().int().nonnegative(),
  failedPages: z.array(pageErrorSchema),
  chars: z.number().int().nonnegative(),
  words: z.number().int().nonnegative(),
  /** Mean OCR confidence 0–100 over OCR'd pages; null when nothing was OCR'd. */
  ocrConfidence: z.number().min(0).max(100).nullable(),
  ocrEngine: z.string().nullable(),
  timings: documentTimingsSchema,
  text: z.string(),
});
export type DocumentResult = z.infer<typeof documentResultSchema>;

export const BATCH_STATES = ['running', 'done', 'cancelled'] as const;

export const batchStateSchema = z.object({
  batchId: z.string(),
  status: z.enum(BATCH_STATES),
  total: z.number().int().nonnegative(),
  /** Results from index `after` on, in completion order. */
  results: z.array(documentResultSchema),
  /** Pass as `after` in the next poll. */
  next: z.number().int().nonnegative(),
});
export type BatchState = z.infer<typeof batchStateSchema>;

export const workerHealthSchema = z.object({
  ok: z.boolean(),
  protocol: z.literal(PROTOCOL_VERSION),
  version: z.string(),
  workerId: z.string(),
  uptimeS: z.number().nonnegative(),
  ocrEngines: z.array(z.string()),
  gpu: z
    .object({ name: z.string(), memoryTotalMb: z.number().nullable(), utilizationPct: z.number().nullable() })
    .nullable(),
  load: z.object({
    cpus: z.number().int().positive(),
    loadAvg1m: z.number().nonnegative(),
    activeDocuments: z.number().int().nonnegative(),
    queuedDocuments: z.number().int().nonnegative(),
    batches: z.number().int().nonnegative(),
  }),
});
export type WorkerHealth = z.infer<typeof workerHealthSchema>;

/** First line a worker prints on stdout once it listens; the local compute provider reads it. */
export const workerReadyLineSchema = z.object({
  event: z.literal('listening'),
  host: z.string(),
  port: z.number().int().positive(),
  pid: z.number().int().positive(),
});
export type WorkerReadyLine = z.infer<typeof workerReadyLineSchema>;

/** Separates pages in a result's text. A line of its own, numbered from 1. */
export function pageMarker(page: number): string {
  return `--- page ${page} ---`;
}

const PAGE_MARKER_LINE = /^--- page (\d+) ---$/m;

export function joinPages(pages: readonly string[]): string {
  return pages.map((text, index) => `${pageMarker(index + 1)}\n${text.trim()}`).join('\n\n');
}

/** Inverse of {@link joinPages}: page texts, in order. */
export function splitPages(text: string): string[] {
  if (!PAGE_MARKER_LINE.test(text)) return text ? [text] : [];
  return text
    .split(/^--- page \d+ ---$/m)
    .slice(1)
    .map((chunk) => chunk.trim());
}

export function countWords(text: string): number {
  const withoutMarkers = text.replace(/^--- page \d+ ---$/gm, ' ');
  const matches = withoutMarkers.match(/[\p{L}\p{N}][\p{L}\p{N}'’._-]*/gu);
  return matches ? matches.length : 0;
}
