/**
 * OCR with tesseract.js (WebAssembly in worker threads): a warm pool of at most `poolSize` workers, each loaded
 * once with the configured languages from local `@tesseract.js-data/<lang>` packages. Nothing is ever fetched:
 * offline, a CDN lookup would crash the process.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { createWorker, OEM, type Worker as TesseractWorker } from 'tesseract.js';
import type { Logger } from '../../logger.js';
import { raceAbort } from '../abort.js';
import { ResourcePool } from '../resource-pool.js';
import { encodePgm, splitLangs, type OcrEngine, type OcrImage, type OcrOutput, type OcrRequest } from './ocr-engine.js';
import { parseTesseractTsv } from './tesseract-tsv.js';

const MODEL_FOLDER = '4.0.0_best_int';

/** Where the offline model of a language lives, or null when its package is not installed. */
export function tesseractJsModelPath(lang: string): string | null {
  const require = createRequire(import.meta.url);
  try {
    const packageJson = require.resolve(`@tesseract.js-data/${lang}/package.json`);
    return path.join(path.dirname(packageJson), MODEL_FOLDER, `${lang}.traineddata.gz`);
  } catch {
    return null;
  }
}

/** Languages of `langs` without an installed offline model. */
export function missingTesseractJsLangs(langs: string): string[] {
  return splitLangs(langs).filter((lang) => tesseractJsModelPath(lang) === null);
}

export interface TesseractJsEngineOptions {
  /** Languages every worker loads, joined by '+'. */
  langs: string;
  poolSize: number;
  logger: Logger;
}

interface PooledWorker {
  worker: TesseractWorker;
  /** Rejects when the worker's thread dies (out of memory, a wasm abort). */
  died: Promise<never>;
  psm: number | null;
  dpi: number | null;
  /** Set once the worker is being terminated: an abandoned job must not call into it again. */
  retired: boolean;
}

/**
 * tesseract.js posts a job to a terminated worker from inside a promise it never settles, so the failure surfaces
 * as an unhandled rejection that would take the whole worker process down. A job abandoned by an abort (its worker
 * replaced meanwhile) stops here instead.
 */
function stillServing(pooled: PooledWorker): void {
  if (pooled.retired) throw new Error('tesseract.js worker was replaced while this job waited');
}

/**
 * The one folder tesseract.js reads every language from: the language package's own folder when there is one
 * language (the usual case), else a private folder of links to each package's model.
 */
async function prepareLangPath(langs: string): Promise<{ langPath: string; cleanup(): Promise<void> }> {
  const files = splitLangs(langs).map((code) => {
    const file = tesseractJsModelPath(code);
    if (!file) throw new Error(`no offline tesseract.js model for language '${code}' (@tesseract.js-data/${code})`);
    return { code, file };
  });
  const folders = new Set(files.map(({ file }) => path.dirname(file)));
  const [only] = folders;
  if (folders.size === 1 && only) return { langPath: only, cleanup: async () => undefined };
  const folder = await mkdtemp(path.join(os.tmpdir(), 'tesseract-js-langs-'));
  await Promise.all(files.map(({ code, file }) => symlink(file, path.join(folder, `${code}.traineddata.gz`))));
  return { langPath: folder, cleanup: () => rm(folder, { recursive: true, force: true }) };
}

function watchThread(worker: TesseractWorker): Promise<never> {
  // tesseract.js leaves its promises pending forever when its thread dies; the thread itself tells us.
  const thread = (worker as unknown as { worker?: NodeWorker }).worker;
  const died = new Promise<never>((_, reject) => {
    thread?.once('exit', (code) => reject(new Error(`tesseract.js worker thread exited (${code})`)));
  });
  died.catch(() => undefined);
  return died;
}

async function recognizeOn(pooled: PooledWorker, image: OcrImage, request: OcrRequest): Promise<OcrOutput> {
  // 0 lets tesseract read the resolution from the file; rendered pixels carry none.
  const dpi = image.kind === 'gray' ? image.dpi : 0;
  if (pooled.psm !== request.psm || pooled.dpi !== dpi) {
    stillServing(pooled);
    await pooled.worker.setParameters({ tessedit_pageseg_mode: String(request.psm) as never, user_defined_dpi: String(dpi) });
    pooled.psm = request.psm;
    pooled.dpi = dpi;
  }
  const input = image.kind === 'gray' ? encodePgm(image) : Buffer.from(image.bytes);
  // TSV, like the native engine: the same text assembly, and the layout figures adaptive segmentation needs.
  stillServing(pooled);
  const { data } = await pooled.worker.recognize(input, {}, { text: false, tsv: true });
  const parsed = data.tsv ? parseTesseractTsv(data.tsv) : null;
  return parsed ?? { text: data.text ?? '', confidence: Math.min(100, Math.max(0, data.confidence ?? 0)) };
}

export function createTesseractJsEngine(options: TesseractJsEngineOptions): OcrEngine {
  const log = options.logger.child({ ocrEngine: 'tesseract-js' });
  let langFolder: ReturnType<typeof prepareLangPath> | undefined;
  let closed = false;

  const pool = new ResourcePool<PooledWorker>(options.poolSize, {
    async create() {
      langFolder ??= prepareLangPath(options.langs);
      const { langPath } = await langFolder;
      const worker = await createWorker(options.langs, OEM.LSTM_ONLY, {
        langPath,
        cacheMethod: 'none',
        gzip: true,
        // Failures reach us through the rejected job; without a handler tesseract.js rethrows them uncaught.
        errorHandler: (error: unknown) => log.debug({ err: error }, 'tesseract.js job failed'),
      });
      log.debug({ workerId: (worker as unknown as { id?: string }).id }, 'tesseract.js worker ready');
      return { worker, died: watchThread(worker), psm: null, dpi: null, retired: false };
    },
    async destroy(pooled) {
      pooled.retired = true;
      await pooled.worker.terminate();
    },
  });

  return {
    name: 'tesseract-js',
    async recognize(image, request) {
      const pooled = await pool.acquire(request.signal);
      try {
        const job = Promise.race([recognizeOn(pooled, image, request), pooled.died]);
        const output = await raceAbort(job, request.signal);
        pool.release(pooled);
        return output;
      } catch (error) {
        // An aborted or failed job leaves the worker in an unknown state: replace it.
        await pool.discard(pooled);
        throw error;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.close();
      await langFolder?.then((folder) => folder.cleanup(), () => undefined);
    },
  };
}
