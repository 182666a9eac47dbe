/**
 * The composition root: the only place that knows which adapters exist. It reads the configuration and wires the
 * engine to a source resolver, a compute provider, a sink and an analyzer. Front ends (CLI, service) call this.
 */
import { resolve } from 'node:path';
import type { OAuth2Client } from 'google-auth-library';
import type { Env } from './config.js';
import { SECRET_VARIABLES, claudeKey } from './config.js';
import { createClaudeAnalyzer } from './core/analysis/claude/claude-analyzer.js';
import { createKvBatchLedger } from './core/analysis/claude/kv-ledger.js';
import { createNoAnalyzer } from './core/analysis/none.js';
import { systemClock } from './core/clock.js';
import { createLocalCompute } from './core/compute/local.js';
import { createVastCompute, isVastCompute } from './core/compute/vast/vast-provider.js';
import { vastSettingsFromEnv } from './core/compute/vast/vast-settings.js';
import { DOCUMENT_RETRY_POLICY } from './core/engine/backoff.js';
import { Engine } from './core/engine/engine.js';
import type { Analyzer, Clock, ComputeProvider, DocumentSource, ResultSink } from './core/engine/ports.js';
import type { EngineSettings, SourceSpec } from './core/engine/types.js';
import { AppError } from './core/errors.js';
import { createSqliteSink } from './core/sinks/sqlite.js';
import { createSupabaseSink } from './core/sinks/supabase/supabase-sink.js';
import { DriveClient } from './core/sources/drive/drive-api.js';
import { createDriveAuth, driveAuthSecrets } from './core/sources/drive/drive-auth.js';
import { driveAuthSettings } from './core/sources/drive/drive-config.js';
import { syncDriveChanges } from './core/sources/drive/drive-changes.js';
import type { DriveChangesResult } from './core/sources/drive/drive-changes.js';
import { createDriveSource } from './core/sources/drive/drive-source.js';
import { isDriveSpec, resolveDriveSpec } from './core/sources/drive/drive-spec.js';
import type { DriveDefaults, DriveSourceSpec } from './core/sources/drive/drive-spec.js';
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
  /** The source resolver the engine uses (front ends list Drive folders through it too). */
  openSource: (spec: SourceSpec) => DocumentSource;
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

function driveDefaults(env: Env): DriveDefaults {
  return { folderId: env.DRIVE_FOLDER_ID ?? null, driveId: env.DRIVE_ID ?? null, mimeTypes: env.DRIVE_MIME_TYPES, includeGoogleDocs: env.DRIVE_INCLUDE_GOOGLE_DOCS };
}

/** Google credentials, read once on first use (so a machine without Drive never needs them). */
function lazyDriveAuth(env: Env): () => OAuth2Client {
  let auth: OAuth2Client | null = null;
  return () => {
    if (auth) return auth;
    const settings = driveAuthSettings(env);
    driveAuthSecrets(settings).forEach(registerSecret);
    auth = createDriveAuth(settings);
    return auth;
  };
}

function sourceResolver(env: Env, logger: Logger, driveAuth: () => OAuth2Client): (spec: SourceSpec) => DocumentSource {
  return (spec) => {
    if (isLocalFolderSpec(spec)) return createLocalFolderSource(resolve(spec.path));
    if (isDriveSpec(spec)) {
      return createDriveSource({ spec: resolveDriveSpec(spec, driveDefaults(env)), auth: driveAuth(), logger, rootUrl: env.GOOGLE_API_ROOT_URL, timeoutMs: env.DRIVE_TIMEOUT_S * 1000 });
    }
    throw new AppError('unknown_source', `This installation cannot read sources of kind "${spec.kind}".`);
  };
}

/**
 * Local workers may also use a VLM server on this machine or network (a rented machine runs its own, and never
 * receives a key of this installation).
 */
export function localWorkerEnv(env: Env): Record<string, string> {
  return {
    ...workerEnv(env),
    ...(env.OCR_VLM_URL ? { OCR_VLM_URL: env.OCR_VLM_URL } : {}),
    ...(env.OCR_VLM_MODEL ? { OCR_VLM_MODEL: env.OCR_VLM_MODEL } : {}),
    ...(env.OCR_VLM_API_KEY ? { OCR_VLM_API_KEY: env.OCR_VLM_API_KEY } : {}),
  };
}

/** Vast.ai when its key is set (renting needs a confirmation per session), else worker processes on this machine. */
function computeFor(env: Env, store: OpenedDatabase, logger: Logger, clock: Clock): ComputeProvider {
  if (!env.VAST_AI_API_KEY) return createLocalCompute({ workers: env.LOCAL_WORKERS, workerEnv: localWorkerEnv(env), logger });
  return createVastCompute({
    settings: vastSettingsFromEnv(env, env.VAST_AI_API_KEY),
    db: store.db,
    clock,
    logger,
    workerEnv: workerEnv(env),
    secrets: secretValues(env),
  });
}

/** Every configured secret's value, for checks that nothing of them leaves this process. */
export function secretValues(env: Env): string[] {
  return SECRET_VARIABLES.flatMap((name) => {
    const value = env[name];
    return Array.isArray(value) ? value : value ? [value] : [];
  });
}

/** SQLite always (search and export read it); Supabase as well when configured, written first. */
function sinkFor(env: Env, store: OpenedDatabase, logger: Logger, analysisEnabled: boolean): ResultSink {
  const local = createSqliteSink(store.db);
  if (!env.SUPABASE_URL && !env.SUPABASE_KEY) return local;
  if (!env.SUPABASE_URL || !env.SUPABASE_KEY) {
    throw new AppError('config_invalid', `Invalid configuration — ${env.SUPABASE_URL ? 'SUPABASE_KEY' : 'SUPABASE_URL'} is missing (Supabase needs both).`);
  }
  const supabase = createSupabaseSink({ url: env.SUPABASE_URL, key: env.SUPABASE_KEY, logger, analysisEnabled, chunkRows: env.SUPABASE_CHUNK_ROWS, timeoutMs: env.SUPABASE_TIMEOUT_S * 1000 });
  return { kind: 'supabase', write: supabase.write, writeAnalysis: supabase.writeAnalysis, writeInTransaction: local.writeInTransaction, close: supabase.close };
}

function analyzerFor(env: Env, store: OpenedDatabase, logger: Logger): Analyzer {
  const apiKey = claudeKey(env);
  if (!apiKey || env.ANALYSIS_MODE === 'off') return createNoAnalyzer();
  return createClaudeAnalyzer({
    apiKey,
    baseURL: env.ANTHROPIC_BASE_URL,
    model: env.CLAUDE_MODEL,
    mode: env.ANALYSIS_MODE,
    maxInputTokens: env.ANALYSIS_MAX_INPUT_TOKENS,
    maxOutputTokens: env.ANALYSIS_MAX_OUTPUT_TOKENS,
    priceOverride: env.CLAUDE_PRICE_PER_MTOK,
    pollIntervalMs: env.ANALYSIS_POLL_S * 1000,
    ledger: createKvBatchLedger(store.db),
    logger,
  });
}

/**
 * For the nightly job: what changed in Drive under the configured root (or `spec`'s) since the last call. The
 * first call only records a starting point. See src/core/sources/drive/drive-changes.ts.
 */
export function syncDriveChangesFor(app: App, spec: DriveSourceSpec = { kind: 'gdrive' }): Promise<DriveChangesResult> {
  const client = new DriveClient({ auth: lazyDriveAuth(app.env)(), rootUrl: app.env.GOOGLE_API_ROOT_URL, timeoutMs: app.env.DRIVE_TIMEOUT_S * 1000, logger: app.logger });
  return syncDriveChanges({ db: app.store.db, client, spec: resolveDriveSpec(spec, driveDefaults(app.env)), now: Date.now() });
}

export function createApp(env: Env, logger: Logger, overrides: AppOverrides = {}): App {
  registerSecrets(env);
  const store = openDatabase(overrides.dbPath ?? env.ASEAGI_DB);
  const clock = overrides.clock ?? systemClock;
  const compute = overrides.compute ?? computeFor(env, store, logger, clock);
  let analyzer: Analyzer;
  let sink: ResultSink;
  try {
    analyzer = overrides.analyzer ?? analyzerFor(env, store, logger);
    sink = overrides.sink ?? sinkFor(env, store, logger, analyzer.enabled);
  } catch (error) {
    store.close();
    throw error;
  }
  const openSource = overrides.openSource ?? sourceResolver(env, logger, lazyDriveAuth(env));
  const engine = new Engine({
    db: store.db,
    openSource,
    compute,
    sink,
    analyzer,
    clock,
    logger,
    settings: engineSettings(env),
  });
  const recovered = engine.recover();
  if (recovered.sessionsInterrupted.length > 0 || recovered.documentsReleased > 0) {
    logger.info(recovered, 'recovered after an interruption');
  }
  // After recovery no session runs: whatever a crash left rented is destroyed now, and every 10 minutes after.
  const reaper = isVastCompute(compute) ? compute.reaper : null;
  reaper?.start();
  let closing: Promise<void> | null = null;
  return {
    env,
    logger,
    store,
    engine,
    compute,
    sink,
    analyzer,
    openSource,
    close: () => (closing ??= closeAll(logger, [() => reaper?.stop(), () => engine.close(), () => compute.close?.(), () => sink.close?.(), () => analyzer.close?.(), () => store.close()])),
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
