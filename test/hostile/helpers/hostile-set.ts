/**
 * The hostile-input suite's folder: every hostile file of the shared corpus, the generated ones of
 * test/helpers/hostile-files.ts, and normal documents between them, each with the outcome it must end with.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DocumentErrorCode } from '../../../src/core/errors.js';
import type { ResultRow } from '../../../src/core/store/results.js';
import { splitPages } from '../../../src/protocol/worker-protocol.js';
import { corpusPath } from '../../gpu-worker/helpers/corpus.js';
import {
  HOSTILE_NAME,
  blankPagesPdf,
  flateBombPdf,
  hugeImagePdf,
  hugePng,
  jpegHeaderOnly,
  jpegWithText,
  nestedArraysPdf,
  selfReferencePdf,
  xrefLoopPdf,
} from '../../helpers/hostile-files.js';
import { tinyPdf } from '../../helpers/tiny-pdfs.js';

/** `done` (a result with text or none) or the error codes that are right for this file. */
export type Outcome = 'done' | DocumentErrorCode;

export interface HostileEntry {
  /** The file's name in the folder (= its source id). */
  name: string;
  /** What it is, for the test title. */
  what: string;
  outcomes: readonly Outcome[];
  /** More that must hold for its result row. */
  check?: (row: ResultRow) => void;
  write(path: string): Promise<void> | void;
}

const GB = 1024 ** 3;

function fromCorpus(file: string): (path: string) => void {
  return (path) => copyFileSync(corpusPath(file), path);
}

function bytes(make: () => Buffer | Promise<Buffer> | Uint8Array | Promise<Uint8Array>): (path: string) => Promise<void> {
  return async (path) => writeFileSync(path, await make());
}

type Spec = Omit<HostileEntry, 'name'> & { base: string };

/** A normal document: a text-layer PDF whose text holds its own marker. */
function normal(n: number): Spec {
  const marker = `normalmarker${String(n).padStart(3, '0')}`;
  return {
    base: `normal-${n}.pdf`,
    what: `normal document ${n}`,
    outcomes: ['done'],
    check: (row) => expect(row.text).toContain(marker),
    write: bytes(() => tinyPdf(`Declaration exhibit ${marker}`)),
  };
}

const pages = (count: number) => (row: ResultRow) => {
  if (row.status === 'completed') expect(row.pages).toBe(count);
};

/** Which limit trips first, memory (too_complex) or time, depends on how fast the machine is: both are right. */
const RESOURCE_LIMIT: readonly Outcome[] = ['too_complex', 'timeout'];

const HOSTILE: readonly Spec[] = [
  // The shared corpus (../shared/corpus/README.md).
  {
    base: 'not_a_pdf.pdf', what: 'a PNG named .pdf (corpus)', outcomes: ['done'], write: fromCorpus('not_a_pdf.pdf'),
    check: (row) => {
      expect(row.detected_type).toBe('image/png');
      expect(row.chars).toBeGreaterThan(100);
    },
  },
  { base: 'operator_list_cycle.pdf', what: 'rendering runs away (corpus)', outcomes: ['timeout', 'too_complex'], write: fromCorpus('operator_list_cycle.pdf') },
  {
    base: 'poppler-90-0-fuzzed.pdf', what: 'a bad flate stream on later pages (corpus)', outcomes: ['done'], write: fromCorpus('poppler-90-0-fuzzed.pdf'),
    check: (row) => {
      expect(row.pages).toBe(16);
      const failed = JSON.parse(row.failed_pages_json ?? '[]') as { page: number }[];
      expect(failed.map((f) => f.page)).toEqual(expect.arrayContaining([12, 16]));
    },
  },
  { base: 'Pages-tree-refs.pdf', what: 'a circular page tree (corpus)', outcomes: ['corrupt'], write: fromCorpus('Pages-tree-refs.pdf') },
  { base: 'bug1020226.pdf', what: 'not a valid PDF (corpus)', outcomes: ['corrupt'], write: fromCorpus('bug1020226.pdf') },
  { base: 'truncated_tracemonkey.pdf', what: 'a truncated PDF (corpus)', outcomes: ['corrupt'], write: fromCorpus('truncated_tracemonkey.pdf') },
  { base: 'issue6010_1.pdf', what: 'needs a password (corpus)', outcomes: ['encrypted'], write: fromCorpus('issue6010_1.pdf') },
  { base: 'issue3371.pdf', what: 'needs a password (corpus)', outcomes: ['encrypted'], write: fromCorpus('issue3371.pdf') },
  { base: 'print_protection.pdf', what: 'unknown password (corpus)', outcomes: ['encrypted'], write: fromCorpus('print_protection.pdf') },
  { base: 'empty_protected.pdf', what: 'encrypted with an empty password (corpus)', outcomes: ['done'], write: fromCorpus('empty_protected.pdf'), check: pages(1) },
  // Generated.
  { base: 'zero-bytes.pdf', what: 'zero bytes', outcomes: ['unsupported_type', 'corrupt'], write: bytes(() => Buffer.alloc(0)) },
  {
    base: 'blank-10000-pages.pdf', what: '10,000 blank pages', outcomes: ['done', 'timeout', 'too_complex'], write: bytes(() => blankPagesPdf(10_000)),
    check: (row) => {
      if (row.status !== 'completed') return;
      expect(row.pages).toBe(10_000);
      expect(splitPages(row.text)).toHaveLength(10_000);
    },
  },
  { base: 'huge-30000x30000.png', what: 'a real 30,000 × 30,000 PNG', outcomes: RESOURCE_LIMIT, write: bytes(() => hugePng(30_000, 30_000)) },
  { base: 'huge-30000x30000.jpg', what: 'a JPEG header declaring 30,000 × 30,000', outcomes: ['too_complex', 'corrupt'], write: bytes(() => jpegHeaderOnly(30_000, 30_000)) },
  { base: 'png-bomb.png', what: 'a PNG bomb (100,000 × 100,000, 8 MB → 40 GB RGBA)', outcomes: RESOURCE_LIMIT, write: bytes(() => hugePng(100_000, 100_000)) },
  { base: 'flate-bomb.pdf', what: 'a PDF flate bomb (100 KB → 8 GB)', outcomes: RESOURCE_LIMIT, write: bytes(() => flateBombPdf(8 * GB)) },
  { base: 'huge-image.pdf', what: 'a PDF drawing a 30,000 × 30,000 image', outcomes: RESOURCE_LIMIT, write: bytes(() => hugeImagePdf(30_000)) },
  { base: 'self-reference.pdf', what: 'an object that is a reference to itself', outcomes: ['done', 'corrupt'], write: bytes(selfReferencePdf), check: pages(1) },
  { base: 'xref-prev-loop.pdf', what: 'a cross-reference table that is its own predecessor', outcomes: ['done', 'corrupt'], write: bytes(xrefLoopPdf), check: pages(1) },
  {
    base: 'nested-arrays-content.pdf', what: 'arrays nested 100,000 deep in a content stream', outcomes: ['done', 'corrupt', 'too_complex'],
    write: bytes(() => nestedArraysPdf(100_000, 'content')), check: pages(1),
  },
  { base: 'nested-arrays-object.pdf', what: 'arrays nested 100,000 deep in the page object', outcomes: ['corrupt', 'too_complex'], write: bytes(() => nestedArraysPdf(100_000, 'object')) },
  {
    base: 'pdf-named.jpg', what: 'a PDF named .jpg', outcomes: ['done'], write: bytes(() => tinyPdf('Mislabeled PDF marker pdfasjpg77')),
    check: (row) => {
      expect(row.detected_type).toBe('application/pdf');
      expect(row.text).toContain('pdfasjpg77');
    },
  },
  {
    base: 'jpeg-named.pdf', what: 'a JPEG named .pdf', outcomes: ['done'], write: bytes(() => jpegWithText('MISLABELED JPEG 4711')),
    check: (row) => {
      expect(row.detected_type).toBe('image/jpeg');
      expect(row.text).toContain('4711');
    },
  },
  {
    base: HOSTILE_NAME, what: 'a name with control characters, right-to-left override and HTML', outcomes: ['done'],
    write: bytes(() => tinyPdf('Hostile name marker rtlname55')), check: (row) => expect(row.text).toContain('rtlname55'),
  },
];

/** Names sort in folder order, so a normal document sits between every few hostile ones (and in their batches). */
export function hostileEntries(): HostileEntry[] {
  const specs: Spec[] = [];
  HOSTILE.forEach((spec, i) => {
    if (i % 3 === 0) specs.push(normal(i / 3 + 1));
    specs.push(spec);
  });
  return specs.map(({ base, ...rest }, i) => ({ ...rest, name: `${String(i + 1).padStart(2, '0')}-${base}` }));
}

export async function writeHostileFolder(dir: string, entries: readonly HostileEntry[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const entry of entries) await entry.write(join(dir, entry.name));
}
