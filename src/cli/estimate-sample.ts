/**
 * `aseagi estimate --sample N`: processes N randomly chosen documents of a folder with a real local worker, one at
 * a time, to learn what this collection is like (pages per document, share of pages needing OCR, bytes) and how
 * fast this machine is; then projects the whole collection onto rented GPUs with those figures.
 */
import type { Env } from '../config.js';
import { HttpWorker } from '../core/compute/http-worker.js';
import { startWorkerProcess } from '../core/compute/worker-process.js';
import { throughputFor } from '../core/compute/vast/throughput.js';
import type { DocumentProfile, Throughput } from '../core/compute/vast/throughput.js';
import type { EngineLogger } from '../core/engine/types.js';
import type { CalibrationRow } from '../core/store/calibration.js';
import type { SourceDocument } from '../core/engine/ports.js';
import type { BatchOptions, DocumentResult } from '../protocol/worker-protocol.js';

export interface SampleFigures {
  documents: number;
  failed: number;
  pages: number;
  ocrPages: number;
  bytes: number;
  /** Seconds per document on one local worker (documents processed one after another). */
  localSecondsPerDocument: number;
  profile: DocumentProfile;
}

/** Picks `n` documents uniformly at random while the listing streams by (reservoir sampling). */
export class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly random: () => number = Math.random,
  ) {}

  offer(item: T): void {
    this.seen += 1;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.size) this.items[slot] = item;
    }
  }
}

export interface SampleOptions {
  batchOptions: BatchOptions;
  workerEnv: Record<string, string>;
  logger: EngineLogger;
  now?: () => number;
}

/** Runs the sample through one worker process (one document at a time, so the time is per worker). */
export async function processSample(documents: readonly { doc: SourceDocument; path: string }[], options: SampleOptions): Promise<SampleFigures> {
  const now = options.now ?? Date.now;
  const process = await startWorkerProcess({ workerId: 'estimate-sample', env: { ...options.workerEnv, WORKER_CONCURRENCY: '1', OCR_POOL_SIZE: '1' }, logger: options.logger });
  const worker = new HttpWorker({ id: 'estimate-sample', label: 'local sample', baseUrl: process.url, token: process.token, sealKey: process.sealKey, target: { sharesFileSystem: true }, logger: options.logger });
  const results: DocumentResult[] = [];
  const started = now();
  try {
    const batch = { batchId: `estimate-sample-${started}`, documents: documents.map((d, i) => ({ id: String(i), name: d.doc.name, location: { kind: 'file' as const, path: d.path } })), options: options.batchOptions };
    await worker.process(batch, (result) => {
      results.push(result);
      return Promise.resolve();
    }, new AbortController().signal);
  } finally {
    await process.stop();
  }
  return figures(results, (now() - started) / 1000);
}

function figures(results: readonly DocumentResult[], seconds: number): SampleFigures {
  const ok = results.filter((r) => r.status === 'ok');
  const pages = ok.reduce((sum, r) => sum + r.pages, 0);
  const ocrPages = ok.reduce((sum, r) => sum + r.ocrPages, 0);
  const bytes = results.reduce((sum, r) => sum + r.bytes, 0);
  const n = Math.max(1, results.length);
  return {
    documents: results.length,
    failed: results.length - ok.length,
    pages,
    ocrPages,
    bytes,
    localSecondsPerDocument: seconds / n,
    profile: {
      pagesPerDocument: ok.length > 0 ? pages / ok.length : 0,
      ocrShare: pages > 0 ? ocrPages / pages : 0,
      bytesPerDocument: bytes / n,
      basis: `sample of ${results.length} documents`,
    },
  };
}

/** A rented GPU's seconds per document for this collection: calibrated if measured, else priors on the sample's profile. */
export function gpuThroughput(env: Env, profile: DocumentProfile, calibration: readonly CalibrationRow[]): Throughput {
  return throughputFor({ gpuName: 'RTX 4090', ocrEngine: env.OCR_ENGINE, cpuCores: null, calibration, profile });
}
