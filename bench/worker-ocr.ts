/**
 * OCR speed and accuracy per engine on the corpus scans with ground truth, each against the native `tesseract`
 * CLI (pages rendered by poppler's `pdftoppm` at 300 dpi, PSM 3, one thread) measured in the same run; and the
 * effect of adaptive page segmentation (the same native engine with and without it).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/logger.js';
import { createDocumentProcessor } from '../src/gpu-worker/document/document-processor.js';
import { createFileFetcher } from '../src/gpu-worker/fetch/file-fetcher.js';
import { createIsolatePool } from '../src/gpu-worker/isolate/isolate-pool.js';
import { createOcrEngines, defaultProviders, type EngineSettings, type OcrEngineProvider } from '../src/gpu-worker/ocr/ocr-engines.js';
import { createNativeTesseractEngine, probeNativeTesseract, type NativeTesseract } from '../src/gpu-worker/ocr/tesseract-native-engine.js';
import { openAiBaseUrl } from '../src/gpu-worker/config.js';
import { corpusPath } from '../test/gpu-worker/helpers/corpus.js';
import type { Figure } from './report.js';
import { OCR_PAGE_COUNT, OCR_SAMPLES, execFileAsync, hasProgram, runOcrSamples, scorePages, type OcrRun } from './worker-corpus.js';

const logger = silentLogger();
const pct = (rate: number): number => Math.round(rate * 1000) / 10;

/** One engine through the whole document pipeline: one isolate, one OCR slot, documents one after another. */
async function runEngine(engine: string, settings: Partial<EngineSettings>, providers?: OcrEngineProvider[]): Promise<OcrRun> {
  const base: EngineSettings = { choice: 'auto', langs: 'eng', poolSize: 1, native: null, logger, ...settings };
  const ocrEngines = createOcrEngines(base, providers);
  const isolates = createIsolatePool({ size: 1, heapMb: 1024, logger });
  const processor = createDocumentProcessor({ fetchers: { file: createFileFetcher() }, isolates, ocrEngines, logger, maxDocumentTimeoutMs: 600_000, ocrPagesAhead: 2 });
  try {
    return await runOcrSamples(processor, engine);
  } finally {
    await isolates.close();
    await ocrEngines.close();
  }
}

/** The plain native engine, without adaptive segmentation: PSM 3 only. */
function plainNative(native: NativeTesseract): OcrEngineProvider[] {
  return [{ name: 'tesseract', unavailableReason: () => null, create: () => createNativeTesseractEngine({ tesseract: native, poolSize: 1, logger }) }];
}

async function cliPage(file: string, dir: string): Promise<string[]> {
  const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
  const ocr = async (image: string): Promise<string> => (await execFileAsync('tesseract', [image, 'stdout', '-l', 'eng', '--psm', '3'], { env, maxBuffer: 16 * 1024 ** 2 })).stdout;
  if (!file.endsWith('.pdf')) return [await ocr(corpusPath(file))];
  const prefix = path.join(dir, path.basename(file, '.pdf'));
  await execFileAsync('pdftoppm', ['-r', '300', '-gray', corpusPath(file), prefix]);
  const images = (await readdir(dir)).filter((name) => name.startsWith(path.basename(prefix)) && name.endsWith('.pgm')).sort();
  const texts: string[] = [];
  for (const image of images) texts.push(await ocr(path.join(dir, image)));
  return texts;
}

/** The baseline: poppler renders, the tesseract CLI reads, one page at a time. */
async function runCli(): Promise<OcrRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-ocr-cli-'));
  try {
    const texts: string[][] = [];
    const started = performance.now();
    for (const sample of OCR_SAMPLES) texts.push(await cliPage(sample.file, dir));
    return { seconds: (performance.now() - started) / 1000, cer: scorePages(texts) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function engineFigures(engine: string, run: OcrRun, cli: OcrRun): Figure[] {
  const perSecond = OCR_PAGE_COUNT / run.seconds;
  const cliPerSecond = OCR_PAGE_COUNT / cli.seconds;
  const baseline = (value: number) => ({ label: 'tesseract CLI (pdftoppm 300 dpi, PSM 3)', value });
  return [
    { bench: 'worker', metric: `OCR ${engine}: ${OCR_PAGE_COUNT} scanned pages, one slot`, value: perSecond, unit: 'pages/s', baseline: baseline(cliPerSecond), ratio: perSecond / cliPerSecond },
    { bench: 'worker', metric: `OCR ${engine}: CER synth_clean/noisy + clean/noisy images`, value: pct(run.cer.clean), unit: '%', baseline: baseline(pct(cli.cer.clean)), target: '≤ 2 %', pass: run.cer.clean <= 0.02 },
    { bench: 'worker', metric: `OCR ${engine}: CER degraded scans (synth_hard, hard.jpg)`, value: pct(run.cer.hard), unit: '%', baseline: baseline(pct(cli.cer.hard)), note: 'README: ≈ 20–25 % with tesseract' },
    { bench: 'worker', metric: `OCR ${engine}: CER fax tables (synth_fax, fax_g4.tif)`, value: pct(run.cer.fax), unit: '%', baseline: baseline(pct(cli.cer.fax)) },
  ];
}

function adaptiveFigures(plain: OcrRun, adaptive: OcrRun): Figure[] {
  const before = (value: number) => ({ label: 'same engine, PSM 3 only', value });
  return [
    { bench: 'worker', metric: 'adaptive segmentation: CER degraded scans', value: pct(adaptive.cer.hard), unit: '%', baseline: before(pct(plain.cer.hard)) },
    { bench: 'worker', metric: 'adaptive segmentation: CER fax tables', value: pct(adaptive.cer.fax), unit: '%', baseline: before(pct(plain.cer.fax)) },
    { bench: 'worker', metric: 'adaptive segmentation: CER clean/noisy', value: pct(adaptive.cer.clean), unit: '%', baseline: before(pct(plain.cer.clean)) },
    { bench: 'worker', metric: 'adaptive segmentation: OCR speed', value: OCR_PAGE_COUNT / adaptive.seconds, unit: 'pages/s', baseline: before(OCR_PAGE_COUNT / plain.seconds), ratio: plain.seconds / adaptive.seconds, note: 'second readings of the pages that need them' },
  ];
}

/** The VLM engine, when a server is given (OCR_VLM_URL): on a GPU machine with vLLM serving olmOCR. */
async function vlmRun(native: NativeTesseract | null): Promise<OcrRun | null> {
  const url = process.env.OCR_VLM_URL;
  if (!url) {
    console.error('notice: OCR_VLM_URL is not set: the VLM engine is not measured (run on a GPU machine with vLLM)');
    return null;
  }
  const vlm = { url: openAiBaseUrl(url), model: process.env.OCR_VLM_MODEL ?? 'allenai/olmOCR-2-7B-1025-FP8', concurrency: 64, apiKey: process.env.OCR_VLM_API_KEY ?? null, timeoutMs: 300_000 };
  const settings: EngineSettings = { choice: 'vlm', langs: 'eng', poolSize: 1, native, vlm, logger };
  return runEngine('vlm', settings, defaultProviders(settings));
}

export async function ocrFigures(): Promise<Figure[]> {
  const native = await probeNativeTesseract();
  if (!native || !(await hasProgram('pdftoppm'))) {
    console.error('notice: the native tesseract CLI or pdftoppm is not installed: OCR figures have no baseline and are skipped');
    return [];
  }
  const cli = await runCli();
  const adaptiveNative = await runEngine('tesseract', { native });
  const plain = await runEngine('tesseract', { native }, plainNative(native));
  const tesseractJs = await runEngine('tesseract-js', {});
  const vlm = await vlmRun(native);
  return [
    ...engineFigures('tesseract', adaptiveNative, cli),
    ...engineFigures('tesseract-js', tesseractJs, cli),
    ...(vlm ? engineFigures('vlm', vlm, cli) : []),
    ...adaptiveFigures(plain, adaptiveNative),
  ];
}
