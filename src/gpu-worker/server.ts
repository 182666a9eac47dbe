/**
 * The worker's composition root: builds the OCR engines, the fetchers (local files, URLs) with the prefetcher,
 * the isolate pool, the document processor, the batch runner, the dead man's switch and the HTTP server from a
 * {@link WorkerConfig}, and tears all of it down again in `close()`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchRequest } from '../protocol/worker-protocol.js';
import { silentLogger, type Logger } from '../logger.js';
import { AppError } from '../core/errors.js';
import { packageVersion } from '../version.js';
import { createBatchRunner, type BatchRunner } from './batches/batch-runner.js';
import type { WorkerConfig } from './config.js';
import { createDocumentProcessor } from './document/document-processor.js';
import { supportedLocationKinds, type DocumentFetchers } from './fetch/document-fetcher.js';
import { createFileFetcher } from './fetch/file-fetcher.js';
import { createPrefetcher, type PrefetchStats, type Prefetcher } from './fetch/prefetcher.js';
import { createTempSpace, type TempSpace } from './fetch/temp-space.js';
import { createUrlFetcher, type UrlFetcherOptions } from './fetch/url-fetcher.js';
import { collectHealth, createGpuProbe } from './health.js';
import { createRequestHandler } from './http/routes.js';
import { createIsolatePool, type IsolatePool } from './isolate/isolate-pool.js';
import { createOcrEngines, type EngineSettings, type OcrEngines } from './ocr/ocr-engines.js';
import { probeNativeTesseract, type NativeTesseract } from './ocr/tesseract-native-engine.js';
import { createDeadManSwitch, type DeadManSwitch, type DeadManSwitchOptions, type OrphanOutcome } from './orphan/dead-man-switch.js';

export interface WorkerServerOptions {
  config: WorkerConfig;
  logger?: Logger;
  /** Fetchers that replace the built-in ones (`file`, `url`), keyed by location kind. */
  fetchers?: DocumentFetchers;
  /** The native tesseract to use; by default it is looked up on PATH. `null` pretends there is none. */
  nativeTesseract?: NativeTesseract | null;
  /** Tuning of the URL fetcher's retries and timeouts (tests make them fast). */
  urlFetch?: Omit<UrlFetcherOptions, 'tempDir'>;
  /** Tuning of the VLM engine's retries (tests make them fast). */
  vlm?: EngineSettings['vlmOptions'];
  /** Tuning of the dead man's switch (tests make its retries fast). */
  orphan?: Partial<Pick<DeadManSwitchOptions, 'attempts' | 'retryPolicy' | 'fetch'>>;
  /** After the dead man's switch fired: by default the server closes; the program also exits. */
  onOrphaned?: (outcome: OrphanOutcome) => void;
  /** Where the worker's temporary folder goes (default: the system's, TMPDIR). */
  tempRoot?: string;
}

export interface WorkerServer {
  url: string;
  host: string;
  port: number;
  /** The worker's own temporary folder (downloads); removed on close. */
  tempDir: string;
  prefetchStats(): PrefetchStats;
  /** Stops accepting, aborts running documents, stops every thread and OCR process. Idempotent. */
  close(): Promise<void>;
}

function batchProblems(request: BatchRequest, fetchers: DocumentFetchers, engines: OcrEngines) {
  const kinds = supportedLocationKinds(fetchers);
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  request.documents.forEach((document, index) => {
    if (!kinds.includes(document.location.kind)) {
      problems.push({ path: ['documents', index, 'location', 'kind'], message: `this worker fetches only ${kinds.join(', ')}` });
    }
  });
  const ocr = request.options.ocr;
  const reason = engines.unavailableReason(ocr.engine, ocr.langs);
  if (reason) problems.push({ path: ['options', 'ocr', 'engine'], message: reason });
  return problems.slice(0, 20);
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Runs every cleanup even when one fails; the first failure is rethrown at the end. */
async function runAll(cleanups: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  const outcomes = await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** The long-lived parts behind the HTTP server. */
interface WorkerParts {
  ocrEngines: OcrEngines;
  fetchers: DocumentFetchers;
  temp: TempSpace;
  prefetcher: Prefetcher;
  isolates: IsolatePool;
  runner: BatchRunner;
}

async function buildOcrEngines(options: WorkerServerOptions, logger: Logger): Promise<OcrEngines> {
  const { config } = options;
  const native = options.nativeTesseract !== undefined ? options.nativeTesseract : await probeNativeTesseract();
  const ocrEngines = createOcrEngines({
    choice: config.ocrEngine, langs: config.ocrLangs, poolSize: config.ocrPoolSize, native, vlm: config.vlm, logger,
    ...(options.vlm ? { vlmOptions: options.vlm } : {}),
  });
  const unavailable = ocrEngines.unavailableReason(config.ocrEngine, config.ocrLangs);
  if (unavailable) throw new AppError('config_invalid', `OCR_ENGINE: ${unavailable}`);
  return ocrEngines;
}

/** Pages rendered ahead per document: enough to keep every OCR slot (or VLM request) busy, and no more (memory). */
function ocrPagesAhead(config: WorkerConfig): number {
  const slots = Math.max(config.ocrPoolSize, config.vlm?.concurrency ?? 0);
  return Math.max(2, Math.ceil(slots / config.concurrency) + 1);
}

async function assembleParts(options: WorkerServerOptions, logger: Logger): Promise<WorkerParts> {
  const { config } = options;
  const ocrEngines = await buildOcrEngines(options, logger);
  const temp = await createTempSpace(logger, options.tempRoot);
  const direct: DocumentFetchers = {
    file: createFileFetcher(),
    url: createUrlFetcher({ ...options.urlFetch, tempDir: temp.dir }),
    ...options.fetchers,
  };
  const prefetcher = createPrefetcher({ fetchers: direct, settings: config.prefetch, logger });
  const isolates = createIsolatePool({ size: config.concurrency, heapMb: config.documentHeapMb, logger });
  const processor = createDocumentProcessor({
    fetchers: prefetcher.fetchers, isolates, ocrEngines, logger, maxDocumentTimeoutMs: config.documentTimeoutMs, ocrPagesAhead: ocrPagesAhead(config),
  });
  const runner = createBatchRunner({ processor, concurrency: config.concurrency, logger, prefetcher });
  return { ocrEngines, fetchers: direct, temp, prefetcher, isolates, runner };
}

function createHttpServer(config: WorkerConfig, parts: WorkerParts, logger: Logger, onAuthorized: () => void): Server {
  const health = { workerId: config.workerId, version: packageVersion(), startedAt: Date.now(), gpu: createGpuProbe() };
  return createServer(
    createRequestHandler({
      token: config.token,
      sealKey: config.sealKey,
      maxBodyBytes: config.maxBodyBytes,
      runner: parts.runner,
      health: () => collectHealth({ ...health, ocrEngines: parts.ocrEngines.available, load: parts.runner.load }),
      checkBatch: (request) => batchProblems(request, parts.fetchers, parts.ocrEngines),
      onAuthorized,
      logger,
    }),
  );
}

/** Stop accepting; abort documents (answering open polls); then stop every thread, process and download. */
function closer(server: Server, parts: WorkerParts, deadMan: { current?: DeadManSwitch }, logger: Logger): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    deadMan.current?.close();
    closing ??= runAll([
      () => closeHttp(server),
      async () => {
        await parts.runner.close();
        server.closeAllConnections();
        await runAll([() => parts.isolates.close(), () => parts.ocrEngines.close(), () => parts.prefetcher.close()]);
        await parts.temp.close();
      },
    ]).finally(() => logger.info('worker stopped'));
    return closing;
  };
}

function armDeadManSwitch(options: WorkerServerOptions, logger: Logger, close: () => Promise<void>): DeadManSwitch | undefined {
  const settings = options.config.orphan;
  if (!settings) return undefined;
  return createDeadManSwitch({
    ...options.orphan,
    settings,
    logger,
    onOrphaned: (outcome) => {
      if (options.onOrphaned) options.onOrphaned(outcome);
      else void close();
    },
  });
}

/** Starts the worker's HTTP server with everything behind it. Used by main.ts, and by tests in-process. */
export async function startWorkerServer(options: WorkerServerOptions): Promise<WorkerServer> {
  const { config } = options;
  const logger = (options.logger ?? silentLogger()).child({ workerId: config.workerId });
  const parts = await assembleParts(options, logger);
  const deadMan: { current?: DeadManSwitch } = {};
  const server = createHttpServer(config, parts, logger, () => deadMan.current?.heard());
  const close = closer(server, parts, deadMan, logger);
  try {
    const address = await listen(server, config.host, config.port);
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const found = armDeadManSwitch(options, logger, close);
    if (found) deadMan.current = found;
    logger.info({ host: address.address, port: address.port, ocrEngines: parts.ocrEngines.available }, 'worker listening');
    return {
      url: `http://${urlHost}:${address.port}`,
      host: address.address,
      port: address.port,
      tempDir: parts.temp.dir,
      prefetchStats: () => parts.prefetcher.stats(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
