/**
 * Text-layer extraction speed: the worker's pipeline (isolate thread, pdf.js) against poppler's `pdftotext`, both
 * one document at a time on one core. Wall-clock pages/s takes each side's best of three runs (the run least
 * disturbed by other work on a shared machine); pages per CPU-second (this process's threads; pdftotext's CPU
 * time from /proc) is the steadier comparison where the machine is busy.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logger.js';
import { createDocumentProcessor, type DocumentProcessor } from '../src/gpu-worker/document/document-processor.js';
import { createFileFetcher } from '../src/gpu-worker/fetch/file-fetcher.js';
import { createIsolatePool } from '../src/gpu-worker/isolate/isolate-pool.js';
import { createOcrEngines } from '../src/gpu-worker/ocr/ocr-engines.js';
import { corpusPath } from '../test/gpu-worker/helpers/corpus.js';
import { ocrOptionsSchema } from '../src/protocol/worker-protocol.js';
import type { Figure } from './report.js';
import { TEXT_LAYER_FILES, execFileAsync, hasProgram, processFile } from './worker-corpus.js';

const ROUNDS = 3;
/** Linux's clock tick for /proc times. */
const TICKS_PER_SECOND = 100;

interface Speed {
  pages: number;
  /** Best wall-clock round. */
  wallSeconds: number;
  /** CPU seconds of the best round (null where they cannot be read). */
  cpuSeconds: number | null;
}

/** CPU seconds of this process's children that have been waited for (Linux), else null. */
function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of /proc/<pid>/stat (cutime, cstime), counted from after the command name.
    return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function timeRounds(round: () => Promise<number>, cpu: () => number | null): Promise<Speed> {
  let best: Speed = { pages: 0, wallSeconds: Number.POSITIVE_INFINITY, cpuSeconds: null };
  for (let index = 0; index < ROUNDS; index += 1) {
    const cpuBefore = cpu();
    const started = performance.now();
    const pages = await round();
    const wallSeconds = (performance.now() - started) / 1000;
    const cpuAfter = cpu();
    const cpuSeconds = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
    if (wallSeconds < best.wallSeconds) best = { pages, wallSeconds, cpuSeconds };
  }
  return best;
}

/**
 * The same pages read straight through an isolate with the scan check on, as a worker with an OCR engine reads
 * them: pages with almost no text get an operator list (which decodes their images) to see whether they are scans.
 */
async function scanCheckSpeed(): Promise<Speed> {
  const isolates = createIsolatePool({ size: 1, heapMb: 1024, logger: silentLogger() });
  const readFile = async (file: string): Promise<number> => isolates.run(async (isolate) => {
    const data = new Uint8Array(readFileSync(corpusPath(file)));
    await isolate.call('open-pdf', { data, passwords: [] }, { transfer: [data.buffer] });
    return (await isolate.call('read-pages', { minTextChars: ocrOptionsSchema.parse({}).minTextChars, findScans: true })).length;
  });
  try {
    await readFile('tracemonkey.pdf');
    return await timeRounds(async () => {
      let pages = 0;
      for (const file of TEXT_LAYER_FILES) pages += await readFile(file);
      return pages;
    }, ownCpuSeconds);
  } finally {
    await isolates.close();
  }
}

async function workerSpeed(): Promise<Speed> {
  const logger = silentLogger();
  const isolates = createIsolatePool({ size: 1, heapMb: 1024, logger });
  const ocrEngines = createOcrEngines({ choice: 'none', langs: 'eng', poolSize: 1, native: null, logger });
  const processor: DocumentProcessor = createDocumentProcessor({ fetchers: { file: createFileFetcher() }, isolates, ocrEngines, logger, maxDocumentTimeoutMs: 600_000, ocrPagesAhead: 2 });
  try {
    // Warm up: the isolate thread and pdf.js load once per worker, not per document.
    await processFile(processor, 'tracemonkey.pdf', { ocr: { engine: 'none' } });
    return await timeRounds(async () => {
      let pages = 0;
      for (const file of TEXT_LAYER_FILES) pages += (await processFile(processor, file, { ocr: { engine: 'none' } })).pages;
      return pages;
    }, ownCpuSeconds);
  } finally {
    await isolates.close();
    await ocrEngines.close();
  }
}

async function pdftotextSpeed(pages: number): Promise<Speed> {
  await execFileAsync('pdftotext', ['-q', corpusPath('tracemonkey.pdf'), '-']);
  return timeRounds(async () => {
    for (const file of TEXT_LAYER_FILES) await execFileAsync('pdftotext', ['-q', corpusPath(file), '-'], { maxBuffer: 64 * 1024 ** 2 });
    return pages;
  }, childrenCpuSeconds);
}

export async function textLayerFigures(): Promise<Figure[]> {
  const worker = await workerSpeed();
  const withScanCheck = await scanCheckSpeed();
  const metric = `text layer, ${worker.pages} pages of ${TEXT_LAYER_FILES.length} PDFs, one thread`;
  const scanMetric = `${metric}, with the scan check of an OCR run`;
  const wall = worker.pages / worker.wallSeconds;
  const scanWall = withScanCheck.pages / withScanCheck.wallSeconds;
  if (!(await hasProgram('pdftotext'))) {
    console.error('notice: pdftotext (Debian poppler-utils) is not installed: the text-layer figure has no baseline');
    return [
      { bench: 'worker', metric, value: wall, unit: 'pages/s', target: '≥ 0.5× pdftotext', note: 'pdftotext absent: no baseline' },
      { bench: 'worker', metric: scanMetric, value: scanWall, unit: 'pages/s', note: 'pdftotext absent: no baseline' },
    ];
  }
  const poppler = await pdftotextSpeed(worker.pages);
  const baselineWall = poppler.pages / poppler.wallSeconds;
  const figures: Figure[] = [{
    bench: 'worker', metric, value: wall, unit: 'pages/s',
    baseline: { label: 'pdftotext, one process per file', value: baselineWall }, ratio: wall / baselineWall, target: '≥ 0.5× pdftotext', pass: wall / baselineWall >= 0.5,
  }];
  figures.push({
    bench: 'worker', metric: scanMetric, value: scanWall, unit: 'pages/s',
    baseline: { label: 'pdftotext, one process per file', value: baselineWall }, ratio: scanWall / baselineWall,
    note: 'pdftotext does no scan check; shown for what an OCR run costs',
  });
  if (worker.cpuSeconds && poppler.cpuSeconds) {
    const cpu = worker.pages / worker.cpuSeconds;
    const baselineCpu = poppler.pages / poppler.cpuSeconds;
    figures.push({
      bench: 'worker', metric: `${metric}, per CPU-second`, value: cpu, unit: 'pages/CPU-s',
      baseline: { label: 'pdftotext', value: baselineCpu }, ratio: cpu / baselineCpu,
      note: "counts every thread of the worker's process (GC and compiler threads too); pdftotext has one",
    });
  }
  return figures;
}
