import { describe, expect, it } from 'vitest';
import { documentResultSchema } from '../../src/protocol/worker-protocol.js';
import { DocumentError } from '../../src/core/errors.js';
import { buildResult, enginesUsed, errorResult, toErrorInfo, type PageOutcome } from '../../src/gpu-worker/document/document-result.js';

const facts = { id: 'doc', bytes: 10, sha256: 'a'.repeat(64), detectedType: 'application/pdf' };
const timings = { fetchMs: 1.4, extractMs: 2.6, ocrMs: 0, totalMs: 4.2 };
const page = (number: number, patch: Partial<PageOutcome> = {}): PageOutcome => ({
  page: number, text: `page ${number} text`, source: 'text', ocrConfidence: null, ocrEngine: null, error: null, ...patch,
});

describe('buildResult', () => {
  it('counts text-layer, OCR and failed pages and joins the text with page markers', () => {
    const result = buildResult(facts, {
      pages: [
        page(1),
        page(2, { source: 'ocr', text: 'scanned words', ocrConfidence: 90 }),
        page(3, { source: 'ocr', text: 'more', ocrConfidence: 71 }),
        page(4, { text: '', source: 'none' }),
        page(5, { text: '', source: 'none', error: { page: 5, code: 'corrupt', message: 'bad stream' } }),
      ],
      ocrEngine: 'tesseract',
    }, timings);
    documentResultSchema.parse(result);
    expect(result).toMatchObject({
      status: 'ok', pages: 5, textPages: 1, ocrPages: 2, ocrConfidence: 80.5, ocrEngine: 'tesseract', words: 6,
      failedPages: [{ page: 5, code: 'corrupt', message: 'bad stream' }],
      timings: { fetchMs: 1, extractMs: 3, ocrMs: 0, totalMs: 4 },
    });
    expect(result.text).toBe('--- page 1 ---\npage 1 text\n\n--- page 2 ---\nscanned words\n\n--- page 3 ---\nmore\n\n--- page 4 ---\n\n\n--- page 5 ---\n');
    expect(result.chars).toBe('page 1 text'.length + 'scanned words'.length + 'more'.length);
  });

  it('names no engine when nothing was OCR\'d', () => {
    expect(buildResult(facts, { pages: [page(1)], ocrEngine: 'tesseract' }, timings)).toMatchObject({ ocrEngine: null, ocrConfidence: null });
  });

  it.each([
    ['no pages', [], 'corrupt'],
    ['every page failed', [page(1, { error: { page: 1, code: 'internal', message: 'x' } })], 'internal'],
  ] as const)('fails the whole document when it has %s', (_label, pages, code) => {
    const result = buildResult(facts, { pages: [...pages], ocrEngine: null }, timings);
    expect(result).toMatchObject({ status: 'error', error: { code }, text: '', pages: 0 });
  });
});

describe('enginesUsed', () => {
  const ocr = (number: number, engine: string): PageOutcome => page(number, { source: 'ocr', ocrEngine: engine, ocrConfidence: 90 });
  it.each([
    ['no OCR page', [page(1)], 'vlm', null],
    ['one engine', [ocr(1, 'tesseract'), page(2)], 'tesseract', 'tesseract'],
    ['the asked engine first, fallbacks after', [ocr(1, 'tesseract'), ocr(2, 'vlm'), ocr(3, 'tesseract')], 'vlm', 'vlm+tesseract'],
    ['only the fallback read pages', [ocr(1, 'tesseract')], 'vlm', 'tesseract'],
  ] as const)('%s → %s', (_label, pages, asked, expected) => {
    expect(enginesUsed([...pages], asked)).toBe(expected);
  });
});

describe('errors', () => {
  it.each([
    ['a coded error keeps its code and retryability', new DocumentError('encrypted', 'locked'), { code: 'encrypted', message: 'locked', retryable: false }],
    ['an unknown throw becomes internal and retryable', new TypeError('oops'), { code: 'internal', message: 'oops', retryable: true }],
    ['a thrown string becomes internal', 'bad', { code: 'internal', message: 'bad', retryable: true }],
  ])('%s', (_label, thrown, expected) => {
    expect(toErrorInfo(thrown)).toEqual(expected);
    documentResultSchema.parse(errorResult(facts, timings, thrown));
  });
});
