/** Types the engine exposes to front ends and receives from the composition root. */
import type { Database } from '../store/database.js';
import type { BatchOptions } from '../../protocol/worker-protocol.js';
import type { BackoffPolicy } from './backoff.js';
import type { Analyzer, Clock, ComputeProvider, DocumentSource, ResultSink } from './ports.js';
import type { SessionStatus } from './statuses.js';

/** What a front end asks to process. `kind` picks the source adapter; the rest is the adapter's. */
export interface SourceSpec {
  kind: string;
  [key: string]: unknown;
}

/** The slice of a logger the engine uses (pino satisfies it). */
export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): EngineLogger;
}

export interface EngineSettings {
  batchSize: number;
  maxAttempts: number;
  checkpointEvery: number;
  /** Results are written to the sink in groups of at most this many… */
  flushEvery: number;
  /** …or after this long, whichever comes first. */
  flushIntervalMs: number;
  /** How long a cost confirmation stays valid before the session must be confirmed again. */
  confirmationTtlMs: number;
  retryPolicy: BackoffPolicy;
  /** Pause the session after this many documents in a row failed to download (default 20). */
  fetchOutageAfter?: number;
  /** Options every batch carries to its worker (OCR engine, timeouts, passwords). */
  batchOptions: BatchOptions;
}

export interface EngineDeps {
  db: Database;
  openSource(spec: SourceSpec): DocumentSource;
  compute: ComputeProvider;
  sink: ResultSink;
  analyzer: Analyzer;
  clock: Clock;
  logger: EngineLogger;
  settings: EngineSettings;
  random?: () => number;
}

export interface PlanRequest {
  source: SourceSpec;
  batchSize?: number | undefined;
  maxDocuments?: number | null | undefined;
  /** Cap on the session's total spend (compute + analysis), in dollars. */
  budgetUsd?: number | null | undefined;
  /** The most $/h a rented worker may cost. */
  maxCostPerHour?: number | null | undefined;
  /** Who asked: "cli", "telegram:123", "api". */
  requestedBy: string;
  signal?: AbortSignal | undefined;
}

export interface SessionOptions {
  batchSize: number;
  maxDocuments: number | null;
  maxCostPerHour: number | null;
  requestedBy: string;
}

export interface WorkerView {
  id: string;
  label: string;
  status: string;
  pricePerHour: number | null;
  costUsd: number;
}

export interface CurrentBatchView {
  batch_id: string;
  batch_number: number;
  document_count: number;
  processed_count: number;
  status: 'processing';
  worker: string | null;
}

/** Everything a front end shows about a session. Field names follow the seed's HTTP API where it had one. */
export interface SessionView {
  session_id: string;
  status: SessionStatus;
  pause_reason: string | null;
  message: string | null;
  source: string;
  compute: string;
  total_documents: number;
  done: number;
  failed: number;
  skipped: number;
  remaining: number;
  total_batches: number;
  completed_batches: number;
  failed_batches: number;
  progress_percentage: number;
  pages: number;
  ocr_pages: number;
  bytes_processed: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  active_seconds: number;
  documents_per_minute: number | null;
  eta_seconds: number | null;
  estimated_completion: string | null;
  compute_cost: number;
  analysis_cost: number;
  total_cost: number;
  budget: number | null;
  workers: WorkerView[];
  current_batch: CurrentBatchView | null;
  current_batches: CurrentBatchView[];
}
