/**
 * The engine's ports: everything it needs from the outside world, declared here and implemented by adapters
 * (`src/core/sources`, `src/core/compute`, `src/core/sinks`, `src/core/analysis`). The engine never imports an
 * SDK; `src/main.ts` wires the adapters chosen by configuration.
 */
import type {
  BatchDocument,
  BatchOptions,
  DocumentLocation,
  DocumentResult,
  WorkerHealth,
} from '../../protocol/worker-protocol.js';

/** Time, injectable so tests can move it. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// ─── Sources ────────────────────────────────────────────────────────────────────────────────────────────────

/** One document as a source lists it. */
export interface SourceDocument {
  /** Stable within the source: a relative path for a folder, a file id for Drive. */
  sourceId: string;
  /** What a person recognises: the file name (a folder-relative path where useful). */
  name: string;
  mimeType: string;
  sizeBytes: number | null;
  /** Content fingerprint used to skip unchanged documents (sha256, md5Checksum or headRevisionId). */
  checksum: string | null;
  modifiedAt: string | null;
}

export interface ListOptions {
  signal?: AbortSignal;
  /** Stop after this many documents. */
  maxDocuments?: number | undefined;
  /** Called now and then while listing, for progress. */
  onProgress?: (listed: number) => void;
}

export interface DocumentSource {
  /** 'local' | 'gdrive' | … */
  readonly kind: string;
  /**
   * Identifies the collection documents' ids are relative to (`local:/abs/folder`, `gdrive`). Results are keyed
   * by (key, sourceId), so re-listing the same collection finds what is already done.
   */
  readonly key: string;
  /** One line for people: "folder /home/x/cases", "Google Drive folder Cases (1AbC…)". */
  describe(): string;
  /** Bytes a day the source lets us download, when it limits (Drive: about 1 TB a day per project). */
  readonly dailyDownloadBytes?: number | null;
  /** Streams the listing; the engine writes it to SQLite in chunks and never holds it all. */
  list(options: ListOptions): AsyncIterable<SourceDocument>;
  /**
   * Where a worker fetches each document of a batch from. Called once per batch dispatch, so a source can mint
   * short-lived credentials (e.g. a read-only Drive access token) per batch. Must not include account secrets.
   */
  locate(documents: readonly SourceDocument[], target: WorkerTarget): Promise<DocumentLocation[]>;
  close?(): Promise<void>;
}

/** Where the documents are going, so a source can refuse what a worker cannot reach. */
export interface WorkerTarget {
  /** A local worker shares this machine's file system; a rented one does not. */
  sharesFileSystem: boolean;
}

// ─── Compute ────────────────────────────────────────────────────────────────────────────────────────────────

/** One batch as handed to a worker. */
export interface WorkerBatch {
  batchId: string;
  documents: BatchDocument[];
  options: BatchOptions;
}

/** A running worker (a local process or a rented instance) speaking the worker protocol. */
export interface Worker {
  readonly id: string;
  /** For people: "local #2", "RTX 4090 · vast 123456". */
  readonly label: string;
  readonly target: WorkerTarget;
  /**
   * Processes a batch, calling `onResult` for each document as it finishes. Resolves when every document has
   * a result. Rejects with {@link WorkerLostError} when the worker stops answering; results already delivered
   * stay delivered.
   */
  process(batch: WorkerBatch, onResult: (result: DocumentResult) => Promise<void>, signal: AbortSignal): Promise<void>;
  health(signal?: AbortSignal): Promise<WorkerHealth>;
}

/** The worker died or became unreachable; its unfinished documents go back to the queue. */
export class WorkerLostError extends Error {
  override readonly name = 'WorkerLostError';
  constructor(
    readonly workerId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the engine tells a provider about the session it serves. */
export interface ComputeSessionContext {
  sessionId: string;
  /** The confirmation a front end gave; rental providers refuse to rent without it. */
  confirmation: Confirmation | null;
  /** Work still queued, so a provider can scale up, or down at the tail. */
  remainingBatches(): number;
  /** Workers earlier runs of this session recorded: new worker ids continue after them, never repeat. */
  previousWorkers: number;
  /** Persist and announce worker life-cycle facts (the engine records them in SQLite and emits events). */
  report(event: ComputeReport): void;
  signal: AbortSignal;
}

export type ComputeReport =
  | { type: 'worker.starting'; workerId: string; label: string; pricePerHour: number | null; instanceId: string | null; gpuName: string | null }
  | { type: 'worker.ready'; workerId: string; label: string }
  | { type: 'worker.lost'; workerId: string; reason: string }
  | { type: 'worker.replaced'; oldWorkerId: string; newWorkerId: string | null; reason: string }
  | { type: 'worker.released'; workerId: string; reason: string }
  | { type: 'worker.cost'; workerId: string; costUsd: number }
  | { type: 'compute.exhausted'; reason: string };

/** The workers serving one session. */
export interface WorkerPool {
  /**
   * The most workers this pool will run at once; the engine runs that many dispatch lanes.
   */
  readonly maxWorkers: number;
  /**
   * A ready worker for one lane, or null when the pool can provide no more (replacements exhausted, no offers,
   * no money). Waits while a worker starts.
   */
  acquire(signal: AbortSignal): Promise<Worker | null>;
  /** The lane is done with the worker: more work follows (`idle: false`) or none is left for it. */
  release(worker: Worker, idle: boolean): Promise<void>;
  /** The worker failed; the pool tears it down (and may start a replacement for the next `acquire`). */
  lost(worker: Worker, reason: string): Promise<void>;
  /** Money spent on compute so far in this session (0 for local). */
  spentUsd(): number;
  /** Checked before every batch dispatch (e.g. account credit). */
  canDispatch(): Promise<{ ok: true } | { ok: false; reason: PauseReason; message: string }>;
  /** Stops every worker. Idempotent; runs every clean-up even if one fails. */
  close(): Promise<void>;
}

/** A machine a renting provider can offer, as front ends show it. */
export interface ComputeOffer {
  /** Provider's offer id (opaque; short enough for a Telegram callback). */
  id: string;
  /** For people: "RTX 4090 · 24 GB · Quebec, CA". */
  label: string;
  gpuName: string;
  gpuCount: number;
  gpuRamGb: number;
  cpuCores: number | null;
  ramGb: number | null;
  diskGb: number | null;
  pricePerHour: number;
  reliability: number | null;
  downloadMbps: number | null;
  /** Calibrated (or prior) seconds per document on this machine, and where the figure comes from. */
  secondsPerDocument: number;
  basis: string;
  /** pricePerHour × secondsPerDocument / 3600: what offers are ranked by. */
  costPerDocument: number;
}

export interface OfferCriteria {
  maxPricePerHour?: number | undefined;
  minGpuRamGb?: number | undefined;
  gpuNames?: string[] | undefined;
  limit?: number | undefined;
}

export interface ComputeProvider {
  /** 'local' | 'vast' */
  readonly kind: string;
  /** Renting costs money: such a provider needs a front end's confirmation before `open`. */
  readonly requiresConfirmation: boolean;
  /** For estimates: what one worker of this provider is likely to cost and be. */
  describe(): string;
  /** The most workers one session runs at once (estimates divide the work by it). */
  readonly maxWorkers: number;
  open(context: ComputeSessionContext): Promise<WorkerPool>;
  /** Renting providers: machines available now, best $/document first. */
  findOffers?(criteria: OfferCriteria): Promise<ComputeOffer[]>;
  /** Renting providers: spendable account credit. */
  balance?(): Promise<{ creditUsd: number }>;
  close?(): Promise<void>;
}

/** What a person agreed to pay. */
export interface Confirmation {
  confirmedAt: number;
  expiresAt: number;
  /** Upper bound on the whole session's spend, compute and analysis together. */
  maxTotalCostUsd: number;
  /** Offer ids the person saw, and the $/h they accepted for them (provider-specific, opaque to the engine). */
  offers: { id: string; pricePerHour: number; label: string }[];
  /** Who confirmed: "telegram:123", "cli", "api". */
  by: string;
}

// ─── Sinks ──────────────────────────────────────────────────────────────────────────────────────────────────

/** One document's outcome, as written to a sink. */
export interface SinkRecord {
  sessionId: string;
  batchNo: number;
  sourceKey: string;
  sourceKind: string;
  document: SourceDocument;
  status: 'completed' | 'failed' | 'skipped';
  result: DocumentResult | null;
  error: { code: string; message: string } | null;
  workerLabel: string | null;
  analysis: AnalysisResult | null;
  processedAt: number;
}

/**
 * Where results go. A sink has an external part (`write`), a part in the engine's own SQLite database
 * (`writeInTransaction`), or both (e.g. Supabase plus the local search index). The engine calls `write` first and
 * marks the documents done afterwards, in the same transaction as `writeInTransaction`: a crash in between repeats
 * work, never loses it, and idempotent writes make the repeat harmless.
 */
export interface ResultSink {
  readonly kind: string;
  /**
   * Writes records idempotently, keyed by (sourceKey, sourceId): writing the same record twice leaves one row.
   * Resolves when the write is durable.
   */
  write?(records: readonly SinkRecord[]): Promise<void>;
  /** Writes into the engine's own SQLite database; called inside the transaction that marks documents done. */
  writeInTransaction?(records: readonly SinkRecord[]): void;
  /**
   * Writes analyses that finished after their documents' extraction (the analysis stage), idempotently, keyed like
   * `write`. Called after the analyses are saved locally, so a failure here never loses what was paid for.
   */
  writeAnalysis?(records: readonly AnalysisRecord[]): Promise<void>;
  close?(): Promise<void>;
}

/** One document's analysis, as the analysis stage hands it to a sink. */
export interface AnalysisRecord {
  sessionId: string;
  sourceKey: string;
  sourceKind: string;
  sourceId: string;
  name: string;
  analysis: AnalysisResult;
}

// ─── Analysis ───────────────────────────────────────────────────────────────────────────────────────────────

export interface AnalysisInput {
  key: string;
  name: string;
  /** The document's text, or its first `Analyzer.maxInputChars` characters. */
  text: string;
  /** The full text's length when `text` is only its beginning. */
  totalChars?: number;
}

export interface AnalysisResult {
  key: string;
  status: 'ok' | 'error';
  /** Structured output; shape owned by the analyzer. */
  data: Record<string, unknown> | null;
  error: string | null;
  /** Why it failed, machine-readable (`invalid_output`, `expired`, `errored`, `invalid_request`, …). */
  errorCode?: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  model: string | null;
}

export interface Analyzer {
  /** 'none' | 'claude' */
  readonly kind: string;
  readonly enabled: boolean;
  /** Estimated $ per document of analysis, for estimates and budget checks. */
  estimateCostPerDocument(avgChars: number): number;
  /** The most characters of a document's text the analyzer reads; the engine loads no more than this. */
  readonly maxInputChars?: number;
  /**
   * How many `analyze` calls may be in flight at once (default 1). A batch API that answers within hours wants many,
   * so extraction never waits for analysis.
   */
  readonly concurrency?: number;
  analyze(inputs: readonly AnalysisInput[], signal: AbortSignal): Promise<AnalysisResult[]>;
  close?(): Promise<void>;
}

// ─── Reasons ────────────────────────────────────────────────────────────────────────────────────────────────

/** Why a running session paused. */
export type PauseReason = 'user' | 'budget' | 'credit' | 'interrupted' | 'no_workers' | 'integration' | 'shutdown';
