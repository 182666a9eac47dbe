/** The worker benchmark's inputs: which corpus files, their pages' ground truth, and small measuring helpers. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { batchOptionsSchema, splitPages, type DocumentResult } from '../src/protocol/worker-protocol.js';
import type { DocumentProcessor } from '../src/gpu-worker/document/document-processor.js';
import { cer } from '../test/gpu-worker/helpers/cer.js';
import { corpusPath, groundTruth } from '../test/gpu-worker/helpers/corpus.js';

export const execFileAsync = promisify(execFile);

/**
 * Text-layer PDFs: 444 pages. Brotli-Prototype-FileA.pdf is left out of the comparison because poppler cannot
 * read it at all (`Unknown filter 'BrotliDecode'`); pdf.js can.
 */
export const TEXT_LAYER_FILES = ['tracemonkey.pdf', 'pdkids.pdf', 'TAMReview.pdf', 'freeculture.pdf'];

export type Truth = 'gt1' | 'gt2' | 'gt3';
export type OcrClass = 'clean' | 'hard' | 'fax';

/** Scans with known text: each page's ground truth and the kind of page it is. */
export const OCR_SAMPLES: ReadonlyArray<{ file: string; pages: ReadonlyArray<{ truth: Truth; kind: OcrClass }> }> = [
  { file: 'synth_clean_2p.pdf', pages: [{ truth: 'gt1', kind: 'clean' }, { truth: 'gt2', kind: 'clean' }] },
  { file: 'synth_noisy.pdf', pages: [{ truth: 'gt2', kind: 'clean' }] },
  { file: 'synth_hard_150dpi.pdf', pages: [{ truth: 'gt1', kind: 'hard' }] },
  { file: 'synth_fax_g4.pdf', pages: [{ truth: 'gt3', kind: 'fax' }] },
  { file: 'images/clean_p1.png', pages: [{ truth: 'gt1', kind: 'clean' }] },
  { file: 'images/noisy.jpg', pages: [{ truth: 'gt2', kind: 'clean' }] },
  { file: 'images/hard.jpg', pages: [{ truth: 'gt1', kind: 'hard' }] },
  { file: 'images/fax_g4.tif', pages: [{ truth: 'gt3', kind: 'fax' }] },
];

export const OCR_PAGE_COUNT = OCR_SAMPLES.reduce((sum, sample) => sum + sample.pages.length, 0);

export interface OcrRun {
  seconds: number;
  /** Mean character error rate per kind of page. */
  cer: Record<OcrClass, number>;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Scores page texts (in OCR_SAMPLES order) against the ground truth, per kind of page. */
export function scorePages(texts: ReadonlyArray<readonly string[]>): OcrRun['cer'] {
  const byKind: Record<OcrClass, number[]> = { clean: [], hard: [], fax: [] };
  OCR_SAMPLES.forEach((sample, index) => {
    sample.pages.forEach((page, pageIndex) => byKind[page.kind].push(cer(texts[index]?.[pageIndex] ?? '', groundTruth(page.truth))));
  });
  return { clean: mean(byKind.clean), hard: mean(byKind.hard), fax: mean(byKind.fax) };
}

export async function processFile(processor: DocumentProcessor, file: string, options: Record<string, unknown> = {}): Promise<DocumentResult> {
  const document = { id: file, name: file, location: { kind: 'file' as const, path: corpusPath(file) } };
  const result = await processor.process(document, batchOptionsSchema.parse({ documentTimeoutMs: 600_000, ...options }));
  if (result.status !== 'ok') throw new Error(`${file}: ${result.error?.code} ${result.error?.message}`);
  return result;
}

/** Runs every OCR sample through a processor, one after another. */
export async function runOcrSamples(processor: DocumentProcessor, engine: string): Promise<OcrRun> {
  const texts: string[][] = [];
  const started = performance.now();
  for (const sample of OCR_SAMPLES) {
    const result = await processFile(processor, sample.file, { ocr: { engine } });
    texts.push(splitPages(result.text));
  }
  return { seconds: (performance.now() - started) / 1000, cer: scorePages(texts) };
}

/** Whether a program runs here (`--version` or `-v` answers). */
export async function hasProgram(name: string, args = ['-v']): Promise<boolean> {
  return execFileAsync(name, args).then(
    () => true,
    () => false,
  );
}
