/**
 * Every row of ../shared/corpus/README.md, through the real document pipeline: isolate threads, pdf.js, and
 * tesseract.js (the engine every machine has; the native binary is covered in native-tesseract.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchOptionsSchema,
  documentResultSchema,
  splitPages,
  type DocumentResult,
} from '../../src/protocol/worker-protocol.js';
import type { DocumentErrorCode } from '../../src/core/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createDocumentProcessor, type DocumentProcessor } from '../../src/gpu-worker/document/document-processor.js';
import { createFileFetcher } from '../../src/gpu-worker/fetch/file-fetcher.js';
import { createIsolatePool, type IsolatePool } from '../../src/gpu-worker/isolate/isolate-pool.js';
import { createOcrEngines, type OcrEngines } from '../../src/gpu-worker/ocr/ocr-engines.js';
import { cer } from './helpers/cer.js';
import { corpusPath, filesInCorpusReadme, groundTruth } from './helpers/corpus.js';

type Range = readonly [min: number, max: number];

interface CorpusRow {
  file: string;
  /** Batch options for this row (passwords, PSM, a short timeout). */
  options?: Record<string, unknown>;
  status: 'ok' | 'error';
  code?: readonly DocumentErrorCode[];
  retryable?: boolean;
  detectedType?: string;
  pages?: number;
  textPages?: number | Range;
  ocrPages?: number | Range;
  failedPages?: readonly number[];
  /** Substrings the text must contain. */
  contains?: readonly string[];
  /** Per page (1-based): ground truth and the highest acceptable character error rate. */
  cer?: ReadonlyArray<{ page: number; truth: 'gt1' | 'gt2' | 'gt3'; max: number }>;
}

// Every row runs with the default settings (PSM 3, automatic layout). The tables and the degraded scan, which PSM 3
// alone reads badly (cells out of order; paragraphs dropped), are read right because adaptive segmentation
// (src/gpu-worker/ocr/adaptive-layout.ts) reads such pages again as one block.
const ROWS: readonly CorpusRow[] = [
  { file: 'tracemonkey.pdf', status: 'ok', pages: 14, textPages: 14, ocrPages: 0, contains: ['Trace-based Just-in-Time Type Specialization'] },
  { file: 'freeculture.pdf', status: 'ok', pages: 352, textPages: [345, 351], ocrPages: [1, 3], contains: ['FREE CULTURE'] },
  { file: 'pdkids.pdf', status: 'ok', pages: 55, textPages: 55, ocrPages: 0, contains: ['PD KIDS'] },
  { file: 'TAMReview.pdf', status: 'ok', pages: 23, textPages: 23, ocrPages: 0, contains: ['Working Papers on Information Systems'] },
  { file: 'Brotli-Prototype-FileA.pdf', status: 'ok', pages: 25, textPages: 25, ocrPages: 0, contains: ['SHEET INDEX'] },
  { file: 'prefilled_f1040.pdf', status: 'ok', pages: 2, textPages: 2, ocrPages: 0, contains: ['Internal Revenue Service', 'foobar'] },
  { file: 'bug1937438_from_word.pdf', status: 'ok', pages: 1, textPages: 1, contains: ['square of'] },
  { file: 'bug1937438_af_from_latex.pdf', status: 'ok', pages: 1, textPages: 1, contains: ['Math Test One'] },
  { file: 'ArabicCIDTrueType.pdf', status: 'ok', pages: 1, textPages: 1, contains: ['انواع', 'العربية'] },
  { file: 'issue7200.pdf', status: 'ok', pages: 1, textPages: 0, ocrPages: 1, contains: ['Lorem ipsum'] },
  { file: 'issue7229.pdf', status: 'ok', pages: 2, textPages: 0, ocrPages: 2 },
  { file: 'ccitt_EndOfBlock_false.pdf', status: 'ok', pages: 1, ocrPages: 1 },
  { file: 'scan-bad.pdf', status: 'ok', pages: 1, ocrPages: 1, contains: ['pdf.js'] },
  { file: 'issue5481.pdf', status: 'ok', pages: 3, textPages: 0, ocrPages: 3 },
  {
    file: 'synth_clean_2p.pdf', status: 'ok', pages: 2, ocrPages: 2,
    cer: [{ page: 1, truth: 'gt1', max: 0.02 }, { page: 2, truth: 'gt2', max: 0.02 }],
  },
  { file: 'synth_noisy.pdf', status: 'ok', pages: 1, ocrPages: 1, cer: [{ page: 1, truth: 'gt2', max: 0.03 }] },
  {
    file: 'synth_hard_150dpi.pdf', status: 'ok', pages: 1, ocrPages: 1,
    cer: [{ page: 1, truth: 'gt1', max: 0.35 }],
  },
  {
    file: 'synth_fax_g4.pdf', status: 'ok', pages: 1, ocrPages: 1,
    cer: [{ page: 1, truth: 'gt3', max: 0.03 }],
  },
  {
    file: 'mixed_word_plus_scan.pdf', status: 'ok', pages: 2, textPages: 1, ocrPages: 1,
    contains: ['square of'], cer: [{ page: 2, truth: 'gt2', max: 0.03 }],
  },
  { file: 'empty_protected.pdf', status: 'ok', pages: 1, textPages: 0, ocrPages: 0 },
  { file: 'issue6010_1.pdf', status: 'error', code: ['encrypted'], retryable: false },
  { file: 'issue3371.pdf', status: 'error', code: ['encrypted'], retryable: false },
  { file: 'print_protection.pdf', status: 'error', code: ['encrypted'], retryable: false },
  { file: 'poppler-90-0-fuzzed.pdf', status: 'ok', pages: 16, textPages: [1, 14], failedPages: [12, 16] },
  { file: 'Pages-tree-refs.pdf', status: 'error', code: ['corrupt'], retryable: false },
  { file: 'bug1020226.pdf', status: 'error', code: ['corrupt'], detectedType: 'application/pdf' },
  { file: 'truncated_tracemonkey.pdf', status: 'error', code: ['corrupt'], detectedType: 'application/pdf' },
  {
    file: 'not_a_pdf.pdf', status: 'ok', detectedType: 'image/png', pages: 1, ocrPages: 1,
    cer: [{ page: 1, truth: 'gt1', max: 0.02 }],
  },
  {
    file: 'operator_list_cycle.pdf', options: { documentTimeoutMs: 3_000 }, status: 'error',
    code: ['timeout', 'too_complex'],
  },
  { file: 'images/clean_p1.png', status: 'ok', detectedType: 'image/png', ocrPages: 1, cer: [{ page: 1, truth: 'gt1', max: 0.02 }] },
  { file: 'images/noisy.jpg', status: 'ok', detectedType: 'image/jpeg', ocrPages: 1, cer: [{ page: 1, truth: 'gt2', max: 0.03 }] },
  {
    file: 'images/hard.jpg', status: 'ok', detectedType: 'image/jpeg', ocrPages: 1,
    cer: [{ page: 1, truth: 'gt1', max: 0.35 }],
  },
  {
    file: 'images/fax_g4.tif', status: 'ok', detectedType: 'image/tiff', ocrPages: 1,
    cer: [{ page: 1, truth: 'gt3', max: 0.03 }],
  },
];

function expectCount(actual: number, expected: number | Range | undefined): void {
  if (expected === undefined) return;
  if (typeof expected === 'number') expect(actual).toBe(expected);
  else {
    expect(actual).toBeGreaterThanOrEqual(expected[0]);
    expect(actual).toBeLessThanOrEqual(expected[1]);
  }
}

function checkError(row: CorpusRow, result: DocumentResult): void {
  expect(result.error, JSON.stringify(result.error)).not.toBeNull();
  if (row.code) expect(row.code).toContain(result.error?.code);
  if (row.retryable !== undefined) expect(result.error?.retryable).toBe(row.retryable);
  expect(result.text).toBe('');
}

function checkPages(row: CorpusRow, result: DocumentResult): void {
  if (row.pages !== undefined) expect(result.pages).toBe(row.pages);
  expectCount(result.textPages, row.textPages);
  expectCount(result.ocrPages, row.ocrPages);
  if (row.failedPages) expect(result.failedPages.map((failure) => failure.page)).toEqual(row.failedPages);
  else expect(result.failedPages).toEqual([]);
  expect(splitPages(result.text)).toHaveLength(result.pages);
}

function checkText(row: CorpusRow, result: DocumentResult): void {
  for (const needle of row.contains ?? []) expect(result.text).toContain(needle);
  const pages = splitPages(result.text);
  for (const { page, truth, max } of row.cer ?? []) {
    const rate = cer(pages[page - 1] ?? '', groundTruth(truth));
    expect(rate, `page ${page} CER ${(rate * 100).toFixed(1)} %`).toBeLessThanOrEqual(max);
  }
}

function checkRow(row: CorpusRow, result: DocumentResult): void {
  documentResultSchema.parse(result);
  expect(result.status, JSON.stringify(result.error)).toBe(row.status);
  if (row.detectedType) expect(result.detectedType).toBe(row.detectedType);
  if (row.status === 'error') return checkError(row, result);
  expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
  checkPages(row, result);
  checkText(row, result);
  expect(result.ocrEngine).toBe(result.ocrPages > 0 ? 'tesseract-js' : null);
  expect(result.ocrConfidence === null).toBe(result.ocrPages === 0);
}

describe('corpus', () => {
  let isolates: IsolatePool;
  let engines: OcrEngines;
  let processor: DocumentProcessor;
  const logger = silentLogger();

  beforeAll(() => {
    isolates = createIsolatePool({ size: 2, heapMb: 512, logger });
    engines = createOcrEngines({ choice: 'tesseract-js', langs: 'eng', poolSize: 2, native: null, logger });
    processor = createDocumentProcessor({
      fetchers: { file: createFileFetcher() },
      isolates,
      ocrEngines: engines,
      logger,
      maxDocumentTimeoutMs: 120_000,
      ocrPagesAhead: 2,
    });
  });

  afterAll(async () => {
    await isolates.close();
    await engines.close();
  });

  function run(file: string, options: Record<string, unknown> = {}): Promise<DocumentResult> {
    const document = { id: file, name: file, location: { kind: 'file' as const, path: corpusPath(file) } };
    return processor.process(document, batchOptionsSchema.parse(options));
  }

  it('covers every file the corpus README lists', () => {
    expect(ROWS.map((row) => row.file).sort()).toEqual(filesInCorpusReadme().sort());
  });

  const titled = ROWS.map((row) => [`${row.file} → ${row.code?.join('|') ?? row.status}`, row] as const);
  it.each(titled)('%s', { timeout: 180_000 }, async (_title, row) => {
    checkRow(row, await run(row.file, row.options));
  });

  it('opens password-protected PDFs with a configured password', { timeout: 60_000 }, async () => {
    const abc = await run('issue6010_1.pdf', { pdfPasswords: ['wrong', 'abc'] });
    expect(abc).toMatchObject({ status: 'ok', pages: 1, error: null });
    const elx = await run('issue3371.pdf', { pdfPasswords: ['ELXRTQWS'] });
    expect(elx).toMatchObject({ status: 'ok', pages: 1, error: null });
  });

  it('keeps Arabic lines in reading order', async () => {
    const [page] = splitPages((await run('ArabicCIDTrueType.pdf')).text);
    const firstLine = page?.split('\n')[0] ?? '';
    expect(firstLine.indexOf('انواع')).toBeGreaterThanOrEqual(0);
    expect(firstLine.indexOf('انواع')).toBeLessThan(firstLine.indexOf('العربية'));
    expect(page).not.toMatch(/[\uFB50-\uFDFF\uFE70-\uFEFE]/u);
  });

  it('keeps the good pages of a damaged PDF and says which pages failed', async () => {
    const result = await run('poppler-90-0-fuzzed.pdf');
    expect(result.failedPages).toEqual([
      expect.objectContaining({ page: 12, code: 'corrupt' }),
      expect.objectContaining({ page: 16, code: 'corrupt' }),
    ]);
    expect(result.chars).toBeGreaterThan(500);
  });

  it('reads only the text layer when OCR is switched off', { timeout: 60_000 }, async () => {
    const result = await run('mixed_word_plus_scan.pdf', { ocr: { engine: 'none' } });
    expect(result).toMatchObject({ status: 'ok', pages: 2, textPages: 1, ocrPages: 0, ocrEngine: null });
  });

  it('fails missing files and unknown formats with their own codes', async () => {
    const missing = await run('no-such-file.pdf');
    expect(missing.error).toEqual({ code: 'not_found', message: expect.any(String), retryable: false });
    const readme = await run('README.md');
    expect(readme.error?.code).toBe('unsupported_type');
    const tooBig = await run('tracemonkey.pdf', { maxDocumentBytes: 1000 });
    expect(tooBig.error?.code).toBe('too_large');
  });
});
