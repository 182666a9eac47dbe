/**
 * The worker's composition root: builds the OCR engines, the isolate pool, the document processor, the batch
 * runner and the HTTP server from a {@link WorkerConfig}, and tears all of it down again in `close()`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchRequest } from '../protocol/worker-protocol.js';
import { silentLogger, type Logger } from '../logger.js';
import { AppError } from '../core/errors.js';
import { createBatchRunner } from './batches/batch-runner.js';
import type { WorkerConfig } from './config.js';
import { createDocumentProcessor } from './document/document-processor.js';
import { supportedLocationKinds, type DocumentFetchers } from './fetch/document-fetcher.js';
import { createFileFetcher } from './fetch/file-fetcher.js';
import { collectHealth, createGpuProbe, readPackageVersion } from './health.js';
import { createRequestHandler } from './http/routes.js';
import { createIsolatePool } from './isolate/isolate-pool.js';
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

export async function startWorkerServer(options: WorkerServerOptions): Promise<WorkerServer> {
  const { config } = options;
  const logger = (options.logger ?? silentLogger()).child({ workerId: config.workerId });
  const native = options.nativeTesseract !== undefined ? options.nativeTesseract : await probeNativeTesseract();
  const ocrEngines = createOcrEngines({ choice: config.ocrEngine, langs: config.ocrLangs, poolSize: config.ocrPoolSize, native, logger });
  const unavailable = ocrEngines.unavailableReason(config.ocrEngine, config.ocrLangs);
  if (unavailable) throw new AppError('config_invalid', `OCR_ENGINE: ${unavailable}`);

  const fetchers: DocumentFetchers = { file: createFileFetcher(), ...options.fetchers };
  const isolates = createIsolatePool({ size: config.concurrency, heapMb: config.documentHeapMb, logger });
  const ocrPagesAhead = Math.max(2, Math.ceil(config.ocrPoolSize / config.concurrency) + 1);
  const processor = createDocumentProcessor({
    fetchers, isolates, ocrEngines, logger, maxDocumentTimeoutMs: config.documentTimeoutMs, ocrPagesAhead,
  });
  const runner = createBatchRunner({ processor, concurrency: config.concurrency, logger });
  const startedAt = Date.now();
  const version = readPackageVersion();
  const gpu = createGpuProbe();
  const server = createServer(
    createRequestHandler({
      token: config.token,
      maxBodyBytes: config.maxBodyBytes,
      runner,
      health: () => collectHealth({ workerId: config.workerId, version, startedAt, ocrEngines: ocrEngines.available, gpu, load: runner.load }),
      checkBatch: (request) => batchProblems(request, fetchers, ocrEngines),
      logger,
    }),
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= runAll([
      () => closeHttp(server),
      async () => {
        await runner.close();
        server.closeAllConnections();
        await runAll([() => isolates.close(), () => ocrEngines.close()]);
      },
    ]).finally(() => logger.info('worker stopped'));
    return closing;
  };

  try {
    const address = await listen(server, config.host, config.port);
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    logger.info({ host: address.address, port: address.port, ocrEngines: ocrEngines.available }, 'worker listening');
    return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port, close };
  } catch (error) {
    await close();
    throw error;
  }
}
