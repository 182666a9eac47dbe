/**
 * The worker's composition root: builds the OCR engines, the isolate pool, the document processor, the batch
 * runner and the HTTP server from a {@link WorkerConfig}, and tears all of it down again in `close()`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchRequest } from '../protocol/worker-protocol.js';
import { silentLogger, type Logger } from '../logger.js';
import { AppError } from '../core/errors.js';
import { createBatchRunner, type BatchRunner } from './batches/batch-runner.js';
import type { WorkerConfig } from './config.js';
import { createDocumentProcessor } from './document/document-processor.js';
import { supportedLocationKinds, type DocumentFetchers } from './fetch/document-fetcher.js';
import { createFileFetcher } from './fetch/file-fetcher.js';
import { collectHealth, createGpuProbe, readPackageVersion } from './health.js';
import { createRequestHandler } from './http/routes.js';
import { createIsolatePool, type IsolatePool } from './isolate/isolate-pool.js';
import { createOcrEngines, type OcrEngines } from './ocr/ocr-engines.js';
import { probeNativeTesseract, type NativeTesseract } from './ocr/tesseract-native-engine.js';

export interface WorkerServerOptions {
  config: WorkerConfig;
  logger?: Logger;
  /** Fetchers beyond the built-in `file` one, keyed by location kind (e.g. `url`). */
  fetchers?: DocumentFetchers;
  /** The native tesseract to use; by default it is looked up on PATH. `null` pretends there is none. */
  nativeTesseract?: NativeTesseract | null;
}

export interface WorkerServer {
  url: string;
  host: string;
  port: number;
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
  isolates: IsolatePool;
  runner: BatchRunner;
}

async function assembleParts(options: WorkerServerOptions, logger: Logger): Promise<WorkerParts> {
  const { config } = options;
  const native = options.nativeTesseract !== undefined ? options.nativeTesseract : await probeNativeTesseract();
  const ocrEngines = createOcrEngines({ choice: config.ocrEngine, langs: config.ocrLangs, poolSize: config.ocrPoolSize, native, logger });
  const unavailable = ocrEngines.unavailableReason(config.ocrEngine, config.ocrLangs);
  if (unavailable) throw new AppError('config_invalid', `OCR_ENGINE: ${unavailable}`);

  const fetchers: DocumentFetchers = { file: createFileFetcher(), ...options.fetchers };
  const isolates = createIsolatePool({ size: config.concurrency, heapMb: config.documentHeapMb, logger });
  // Enough rendered pages in flight per document to keep every OCR slot busy, and no more (memory).
  const ocrPagesAhead = Math.max(2, Math.ceil(config.ocrPoolSize / config.concurrency) + 1);
  const processor = createDocumentProcessor({
    fetchers, isolates, ocrEngines, logger, maxDocumentTimeoutMs: config.documentTimeoutMs, ocrPagesAhead,
  });
  const runner = createBatchRunner({ processor, concurrency: config.concurrency, logger });
  return { ocrEngines, fetchers, isolates, runner };
}

function createHttpServer(config: WorkerConfig, parts: WorkerParts, logger: Logger): Server {
  const health = { workerId: config.workerId, version: readPackageVersion(), startedAt: Date.now(), gpu: createGpuProbe() };
  return createServer(
    createRequestHandler({
      token: config.token,
      maxBodyBytes: config.maxBodyBytes,
      runner: parts.runner,
      health: () => collectHealth({ ...health, ocrEngines: parts.ocrEngines.available, load: parts.runner.load }),
      checkBatch: (request) => batchProblems(request, parts.fetchers, parts.ocrEngines),
      logger,
    }),
  );
}

/** Stop accepting; abort documents (answering open polls); then stop every thread and OCR process. */
function closer(server: Server, parts: WorkerParts, logger: Logger): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= runAll([
      () => closeHttp(server),
      async () => {
        await parts.runner.close();
        server.closeAllConnections();
        await runAll([() => parts.isolates.close(), () => parts.ocrEngines.close()]);
      },
    ]).finally(() => logger.info('worker stopped'));
    return closing;
  };
}

/** Starts the worker's HTTP server with everything behind it. Used by main.ts, and by tests in-process. */
export async function startWorkerServer(options: WorkerServerOptions): Promise<WorkerServer> {
  const { config } = options;
  const logger = (options.logger ?? silentLogger()).child({ workerId: config.workerId });
  const parts = await assembleParts(options, logger);
  const server = createHttpServer(config, parts, logger);
  const close = closer(server, parts, logger);
  try {
    const address = await listen(server, config.host, config.port);
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    logger.info({ host: address.address, port: address.port, ocrEngines: parts.ocrEngines.available }, 'worker listening');
    return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port, close };
  } catch (error) {
    await close();
    throw error;
  }
}
