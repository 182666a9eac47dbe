/**
 * The composition root: the only place that knows which adapters exist. It reads the configuration and wires the
 * engine to a source resolver, a compute provider, a sink and an analyzer. Front ends (CLI, service) call this.
 */
import { resolve } from 'node:path';
import type { Env } from './config.js';
import { SECRET_VARIABLES } from './config.js';
import { createNoAnalyzer } from './core/analysis/none.js';
import { systemClock } from './core/clock.js';
import { createLocalCompute } from './core/compute/local.js';
import { DOCUMENT_RETRY_POLICY } from './core/engine/backoff.js';
import { Engine } from './core/engine/engine.js';
import type { Analyzer, Clock, ComputeProvider, DocumentSource, ResultSink } from './core/engine/ports.js';
import type { EngineSettings, SourceSpec } from './core/engine/types.js';
import { AppError } from './core/errors.js';
import { createSqliteSink } from './core/sinks/sqlite.js';
import { createLocalFolderSource, isLocalFolderSpec } from './core/sources/local-folder.js';
import { openDatabase } from './core/store/database.js';
import type { OpenedDatabase } from './core/store/database.js';
import type { Logger } from './logger.js';
import { registerSecret } from './logger.js';
import { batchOptionsSchema } from './protocol/worker-protocol.js';

export interface App {
  env: Env;
  logger: Logger;
  store: OpenedDatabase;
  engine: Engine;
  compute: ComputeProvider;
  sink: ResultSink;
  analyzer: Analyzer;
  /** Stops the engine (pausing what runs), closes every adapter and the database. Idempotent. */
  close(): Promise<void>;
}

/** Adapters a caller (a test, a later integration) may supply instead of the configured ones. */
export interface AppOverrides {
  compute?: ComputeProvider;
  sink?: ResultSink;
  analyzer?: Analyzer;
  clock?: Clock;
  openSource?: (spec: SourceSpec) => DocumentSource;
  dbPath?: string;
}

export function engineSettings(env: Env): EngineSettings {
  return {
    batchSize: env.BATCH_SIZE,
    maxAttempts: env.MAX_ATTEMPTS,
    checkpointEvery: env.CHECKPOINT_EVERY,
    flushEvery: 25,
    flushIntervalMs: 2_000,
    confirmationTtlMs: env.CONFIRMATION_TTL_MIN * 60_000,
    retryPolicy: DOCUMENT_RETRY_POLICY,
    batchOptions: batchOptionsSchema.parse({
      ocr: { engine: env.OCR_ENGINE, langs: env.OCR_LANGS, psm: env.OCR_PSM, minTextChars: env.OCR_MIN_TEXT_CHARS, dpi: env.OCR_DPI },
      documentTimeoutMs: Math.round(env.DOCUMENT_TIMEOUT_S * 1000),
      maxDocumentBytes: Math.round(env.MAX_DOCUMENT_MB * 1024 * 1024),
      pdfPasswords: env.PDF_PASSWORDS,
    }),
  };
}

/** Settings for worker processes we start ourselves; never a secret. */
export function workerEnv(env: Env): Record<string, string> {
  return { OCR_ENGINE: env.OCR_ENGINE, OCR_LANGS: env.OCR_LANGS, LOG_LEVEL: env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? env.LOG_LEVEL : 'warn' };
}

export function registerSecrets(env: Env): void {
  for (const name of SECRET_VARIABLES) {
    const value = env[name];
    if (Array.isArray(value)) value.forEach(registerSecret);
    else registerSecret(value);
  }
}

function openSourceFor(spec: SourceSpec): DocumentSource {
  if (isLocalFolderSpec(spec)) return createLocalFolderSource(resolve(spec.path));
  throw new AppError('unknown_source', `This installation cannot read sources of kind "${spec.kind}".`);
}

export function createApp(env: Env, logger: Logger, overrides: AppOverrides = {}): App {
  registerSecrets(env);
  const store = openDatabase(overrides.dbPath ?? env.ASEAGI_DB);
  const compute =
    overrides.compute ?? createLocalCompute({ workers: env.LOCAL_WORKERS, workerEnv: workerEnv(env), logger });
  const sink = overrides.sink ?? createSqliteSink(store.db);
  const analyzer = overrides.analyzer ?? createNoAnalyzer();
  const engine = new Engine({
    db: store.db,
    openSource: overrides.openSource ?? openSourceFor,
    compute,
    sink,
    analyzer,
    clock: overrides.clock ?? systemClock,
    logger,
    settings: engineSettings(env),
  });
  const recovered = engine.recover();
  if (recovered.sessionsInterrupted.length > 0 || recovered.documentsReleased > 0) {
    logger.info(recovered, 'recovered after an interruption');
  }
  let closing: Promise<void> | null = null;
  return {
    env,
    logger,
    store,
    engine,
    compute,
    sink,
    analyzer,
    close: () => (closing ??= closeAll(logger, [() => engine.close(), () => compute.close?.(), () => sink.close?.(), () => analyzer.close?.(), () => store.close()])),
  };
}

/** Runs every clean-up even when one fails. */
async function closeAll(logger: Logger, steps: (() => unknown)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      logger.error({ err: error }, 'a clean-up step failed');
    }
  }
}
