/**
 * One run of a session: as many dispatch lanes as the worker pool allows, each leasing a batch to its worker,
 * collecting per-document results and persisting them, until no work is left or the run is told to stop.
 */
import type { DocumentResult } from '../../protocol/worker-protocol.js';
import { AppError, coerceError, describeError } from '../errors.js';
import * as batchesStore from '../store/batches.js';
import * as documents from '../store/documents.js';
import type { DocumentRow } from '../store/documents.js';
import * as sessions from '../store/sessions.js';
import type { SessionRow } from '../store/sessions.js';
import type { EngineEvent } from './events.js';
import type { DocumentSource, PauseReason, Worker, WorkerBatch, WorkerPool } from './ports.js';
import { WorkerLostError } from './ports.js';
import { markAnalysisPending } from '../store/analysis.js';
import {
  outcomeOfFailure,
  outcomeOfResult,
  persistOutcomes,
  settleBatch,
  toSourceDocument,
} from './recorder.js';
import type { DocumentOutcome, OutcomeContext } from './recorder.js';
import type { EngineDeps, EngineLogger } from './types.js';

/** How a run ended, decided by whoever stopped it (or by running out of work). */
export type RunEnd =
  | { status: 'completed' }
  | { status: 'paused'; reason: PauseReason; message: string }
  | { status: 'stopped' }
  | { status: 'failed'; message: string };

interface Lease {
  batchNo: number;
  attempt: number;
  docs: DocumentRow[];
  startedAt: number;
  /** A worker died on this batch before: one document at a time. */
  suspect: boolean;
}

/** Wakes lanes waiting for work (a batch requeued, a retry due). */
class Wakeup {
  private waiters = new Set<() => void>();
  notify(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(10, ms));
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}

export interface SessionRunInit {
  deps: EngineDeps;
  session: SessionRow;
  source: DocumentSource;
  pool: WorkerPool;
  emit: (event: EngineEvent) => void;
  /** Asks the engine to end the run (budget, credit, a fatal integration error). */
  requestEnd: (end: RunEnd) => void;
  signal: AbortSignal;
}

/**
 * Documents in a row whose download failed: past this many, the source is down, not the files. Pausing then keeps
 * rented machines from idling through an outage and keeps documents from using up their attempts on it.
 */
export const DEFAULT_FETCH_OUTAGE_AFTER = 20;

export class SessionRun {
  private readonly wakeup = new Wakeup();
  private readonly log: EngineLogger;
  private readonly sessionId: string;
  private exhausted: string | null = null;
  private recordedSpend = -1;
  private fetchFailuresInARow = 0;

  constructor(private readonly init: SessionRunInit) {
    this.sessionId = init.session.id;
    this.log = init.deps.logger.child({ sessionId: this.sessionId });
  }

  /** Runs every lane to its end. Returns 'drained' when no open batch is left. */
  async run(): Promise<'drained' | 'interrupted' | 'exhausted'> {
    this.settleFinishedLeftovers();
    const lanes = Math.max(1, this.init.pool.maxWorkers);
    await Promise.all(Array.from({ length: lanes }, (_, i) => this.lane(i)));
    if (this.init.signal.aborted) return 'interrupted';
    if (batchesStore.countOpenBatches(this.init.deps.db, this.sessionId) === 0) return 'drained';
    return 'exhausted';
  }

  get exhaustedReason(): string | null {
    return this.exhausted;
  }

  get flushPolicy(): { flushEvery: number; flushIntervalMs: number } {
    return this.init.deps.settings;
  }

  private async lane(index: number): Promise<void> {
    const { pool, signal } = this.init;
    const log = this.log.child({ lane: index });
    let worker: Worker | null = null;
    try {
      while (!signal.aborted) {
        const work = this.nextWork();
        if (work.kind === 'done') break;
        if (work.kind === 'wait') {
          if (worker) {
            await pool.release(worker, true);
            worker = null;
          }
          await this.wakeup.wait(work.ms, signal);
          continue;
        }
        if (!worker) {
          worker = await pool.acquire(signal);
          if (!worker) {
            // A pool that stops renting for money (credit, budget) says so here, so the pause names the reason.
            if (!signal.aborted && (await this.gate())) this.exhausted ??= 'no worker could be started';
            break;
          }
        }
        if (!(await this.gate())) break;
        const lease = this.lease(worker);
        if (!lease) continue;
        const lost = await this.runBatch(worker, lease, log);
        if (lost) {
          await pool.lost(worker, lost);
          worker = null;
        }
      }
    } catch (error) {
      log.error({ err: coerceError(error) }, 'lane failed');
      this.init.requestEnd(endForError(error));
    } finally {
      if (worker) await pool.release(worker, true).catch((error: unknown) => log.warn({ err: error }, 'release failed'));
      this.wakeup.notify();
    }
  }

  private nextWork(): { kind: 'batch' } | { kind: 'wait'; ms: number } | { kind: 'done' } {
    const { db, clock } = this.init.deps;
    const now = clock.now();
    if (batchesStore.nextLeasableBatch(db, this.sessionId, now) !== null) return { kind: 'batch' };
    if (batchesStore.countOpenBatches(db, this.sessionId) === 0) return { kind: 'done' };
    const retryAt = documents.earliestRetryAt(db, this.sessionId);
    // Leased batches elsewhere may come back (a worker lost): look again soon.
    return { kind: 'wait', ms: retryAt ? Math.min(Math.max(retryAt - now, 10), 1_000) : 1_000 };
  }

  /** Budget and provider checks before any batch is dispatched. */
  private async gate(): Promise<boolean> {
    const { db, clock } = this.init.deps;
    const { pool } = this.init;
    const spent = pool.spentUsd();
    if (spent !== this.recordedSpend) {
      sessions.setComputeSpend(db, this.sessionId, spent, clock.now());
      this.recordedSpend = spent;
    }
    const session = sessions.getSession(db, this.sessionId)!;
    const total = spent + session.analysis_spent_usd;
    if (session.budget_usd != null && total + this.projectedBatchCost(session, total) > session.budget_usd) {
      this.init.emit({ type: 'budget.reached', at: clock.now(), sessionId: this.sessionId, spentUsd: total, capUsd: session.budget_usd });
      this.init.requestEnd({
        status: 'paused',
        reason: 'budget',
        message: `Spend reached $${total.toFixed(2)} of the $${session.budget_usd.toFixed(2)} budget.`,
      });
      return false;
    }
    const check = await pool.canDispatch();
    if (!check.ok) {
      this.init.requestEnd({ status: 'paused', reason: check.reason, message: check.message });
      return false;
    }
    return true;
  }

  /** What the next batch will likely cost, from this session's average so far (0 before the first batch). */
  private projectedBatchCost(session: SessionRow, spent: number): number {
    const finished = session.batches_done + session.batches_failed;
    return finished > 0 ? spent / finished : 0;
  }

  private lease(worker: Worker): Lease | null {
    const { db, clock } = this.init.deps;
    return db.transaction((): Lease | null => {
      const now = clock.now();
      const batchNo = batchesStore.nextLeasableBatch(db, this.sessionId, now);
      if (batchNo === null) return null;
      batchesStore.leaseBatch(db, this.sessionId, batchNo, worker.id, now);
      const batch = batchesStore.getBatch(db, this.sessionId, batchNo)!;
      // After a worker died on this batch, its documents go one at a time: a document that kills workers is then
      // found and failed alone, instead of taking the rest of its batch down with it.
      const suspect = batch.losses > 0;
      const docs = documents.leaseBatchDocuments(db, this.sessionId, batchNo, worker.id, now, suspect ? 1 : -1);
      return { batchNo, attempt: batch.attempts, docs, startedAt: now, suspect };
    })();
  }

  /** Runs one batch on one worker. Returns the reason when the worker was lost, else null. */
  private async runBatch(worker: Worker, lease: Lease, log: EngineLogger): Promise<string | null> {
    const { deps, signal } = this.init;
    const { clock } = deps;
    const batchLog = log.child({ batch: lease.batchNo, workerId: worker.id });
    this.init.emit({ type: 'batch.started', at: clock.now(), sessionId: this.sessionId, batchNo: lease.batchNo, workerId: worker.id, documents: lease.docs.length });
    const buffer = new ResultBuffer(this, worker, lease, batchLog);
    try {
      const batch = await this.toWorkerBatch(worker, lease);
      await worker.process(batch, (result) => buffer.add(result), signal);
      await buffer.flush();
      await this.failUnreported(worker, lease);
      this.settle(lease);
      return null;
    } catch (error) {
      await buffer.flush().catch((flushError: unknown) => batchLog.error({ err: flushError }, 'could not save results'));
      if (error instanceof WorkerLostError) {
        batchLog.warn({ reason: error.message }, 'worker lost mid-batch; requeueing');
        await this.requeueAfterLoss(worker, lease, error.message);
        return error.message;
      }
      this.releaseLease(lease);
      if (signal.aborted) return null;
      throw error;
    }
  }

  private async toWorkerBatch(worker: Worker, lease: Lease): Promise<WorkerBatch> {
    const locations = await this.init.source.locate(lease.docs.map(toSourceDocument), worker.target);
    return {
      batchId: `${this.sessionId}.b${lease.batchNo}.a${lease.attempt}`,
      documents: lease.docs.map((doc, i) => ({
        id: String(doc.id),
        name: doc.name,
        location: locations[i]!,
        mimeHint: doc.mime_type,
        ...(doc.size_bytes != null ? { sizeBytes: doc.size_bytes } : {}),
      })),
      options: this.init.deps.settings.batchOptions,
    };
  }

  outcomeContext(worker: Worker | null): OutcomeContext {
    const { deps, session } = this.init;
    return {
      sessionId: this.sessionId,
      sourceKey: session.source_key,
      sourceKind: session.source_kind,
      workerLabel: worker?.label ?? null,
      maxAttempts: deps.settings.maxAttempts,
      retryPolicy: deps.settings.retryPolicy,
      now: deps.clock.now(),
      random: deps.random ?? Math.random,
    };
  }

  /**
   * Persists outcomes and announces them. Extracted documents are queued for analysis in the same transaction;
   * the analysis stage (analysis-stage.ts) does it later, so workers never wait for it.
   */
  async persist(outcomes: DocumentOutcome[]): Promise<void> {
    const { deps } = this.init;
    const extracted = outcomes.flatMap((o) => (o.kind === 'done' ? [o.doc.id] : []));
    const queueAnalysis = deps.analyzer.enabled && extracted.length > 0 ? () => markAnalysisPending(deps.db, extracted) : undefined;
    await persistOutcomes(deps.db, deps.sink, this.sessionId, outcomes, () => deps.clock.now(), queueAnalysis);
    for (const o of outcomes) this.announce(o);
    this.watchForSourceOutage(outcomes);
  }

  private watchForSourceOutage(outcomes: readonly DocumentOutcome[]): void {
    const limit = this.init.deps.settings.fetchOutageAfter ?? DEFAULT_FETCH_OUTAGE_AFTER;
    for (const o of outcomes) {
      const fetchFailed = (o.kind === 'failed' || o.kind === 'retry') && o.code === 'fetch_failed';
      this.fetchFailuresInARow = fetchFailed ? this.fetchFailuresInARow + 1 : 0;
      if (fetchFailed && this.fetchFailuresInARow === limit) {
        this.log.warn({ inARow: limit, last: o.message }, 'downloads keep failing; pausing the session');
        this.init.requestEnd({
          status: 'paused',
          reason: 'integration',
          message:
            `Downloads are failing: ${limit} documents in a row could not be fetched (last: ${o.message}). ` +
            'Paused so that no machine waits on them; resume once the documents can be reached again.',
        });
      }
    }
  }

  private announce(o: DocumentOutcome): void {
    const at = this.init.deps.clock.now();
    const base = { at, sessionId: this.sessionId, batchNo: o.doc.batch_no ?? 0, name: o.doc.name };
    if (o.kind === 'done') this.init.emit({ type: 'document.done', ...base, pages: o.pages, ocrPages: o.ocrPages });
    else if (o.kind === 'skipped') this.init.emit({ type: 'document.skipped', at, sessionId: this.sessionId, name: o.doc.name, reason: o.message });
    else this.init.emit({ type: 'document.failed', ...base, code: o.code, message: o.message, willRetry: o.kind === 'retry' });
  }

  /** Every document must come back with a result; one that did not is a failure of the worker, not a silent loss. */
  private async failUnreported(worker: Worker, lease: Lease): Promise<void> {
    const leftovers = documents.leasedDocumentsOfBatch(this.init.deps.db, this.sessionId, lease.batchNo);
    if (leftovers.length === 0) return;
    const ctx = this.outcomeContext(worker);
    await this.persist(leftovers.map((doc) => outcomeOfFailure(ctx, doc, 'internal', 'the worker returned no result for this document', true)));
  }

  /**
   * A lost worker's unfinished documents go back to the queue. Only a document that was alone on the worker is
   * charged an attempt: it is then known to be the one in flight when the worker died.
   */
  private async requeueAfterLoss(worker: Worker, lease: Lease, reason: string): Promise<void> {
    const { db, clock } = this.init.deps;
    const unfinished = documents.leasedDocumentsOfBatch(db, this.sessionId, lease.batchNo);
    if (lease.docs.length === 1 && unfinished.length === 1) {
      const ctx = this.outcomeContext(worker);
      await this.persist(unfinished.map((doc) => outcomeOfFailure(ctx, doc, 'worker_crashed', `a worker stopped while processing this document (${reason})`, true)));
    }
    batchesStore.countBatchLoss(db, this.sessionId, lease.batchNo);
    this.settle(lease);
    this.init.emit({ type: 'batch.requeued', at: clock.now(), sessionId: this.sessionId, batchNo: lease.batchNo, reason });
  }

  /** Paused or stopped mid-batch: what is not finished goes back to pending, without counting an attempt. */
  private releaseLease(lease: Lease): void {
    const { db, clock } = this.init.deps;
    db.transaction(() => {
      documents.releaseLeasedDocumentsOfBatch(db, this.sessionId, lease.batchNo, clock.now());
      batchesStore.returnBatchToQueue(db, this.sessionId, lease.batchNo, clock.now() - lease.startedAt);
    })();
    this.wakeup.notify();
  }

  /** Batches a crash left open with every document already recorded: settled now, never leased again. */
  private settleFinishedLeftovers(): void {
    const { db, clock } = this.init.deps;
    for (const batchNo of batchesStore.openBatchesWithNothingOpen(db, this.sessionId)) {
      this.log.warn({ batch: batchNo }, 'settling a batch whose documents were all recorded before a crash');
      this.settle({ batchNo, attempt: 0, docs: [], startedAt: clock.now(), suspect: false });
    }
  }

  private settle(lease: Lease): void {
    const { deps } = this.init;
    const now = deps.clock.now();
    const outcome = settleBatch(deps.db, this.sessionId, lease.batchNo, now - lease.startedAt, deps.settings.checkpointEvery, now);
    this.wakeup.notify();
    if (!outcome.finished) return;
    this.init.emit({
      type: 'batch.completed',
      at: now,
      sessionId: this.sessionId,
      batchNo: lease.batchNo,
      done: outcome.done,
      failed: outcome.failed,
      completedBatches: outcome.completedBatches,
      totalBatches: outcome.totalBatches,
    });
    if (outcome.checkpoint) {
      this.init.emit({ type: 'checkpoint.created', at: now, sessionId: this.sessionId, name: outcome.checkpoint, completedBatches: outcome.completedBatches });
    }
  }
}

/** Collects a batch's results and persists them in groups, so the sink sees few large writes. */
class ResultBuffer {
  private pending: DocumentOutcome[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly byId: Map<string, DocumentRow>;

  constructor(
    private readonly run: SessionRun,
    private readonly worker: Worker,
    lease: Lease,
    private readonly log: EngineLogger,
  ) {
    this.byId = new Map(lease.docs.map((doc) => [String(doc.id), doc]));
  }

  async add(result: DocumentResult): Promise<void> {
    const doc = this.byId.get(result.id);
    if (!doc) {
      this.log.warn({ id: result.id }, 'worker returned a result for a document not in the batch; ignored');
      return;
    }
    this.byId.delete(result.id);
    this.pending.push(outcomeOfResult(this.run.outcomeContext(this.worker), doc, result));
    const { flushEvery, flushIntervalMs } = this.run.flushPolicy;
    if (this.pending.length >= flushEvery) await this.flush();
    else this.timer ??= setTimeout(() => void this.flush().catch((error: unknown) => this.log.error({ err: error }, 'flush failed')), flushIntervalMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const outcomes = this.pending;
    this.pending = [];
    this.chain = this.chain.then(() => (outcomes.length > 0 ? this.run.persist(outcomes) : undefined));
    return this.chain;
  }
}

/** An integration that keeps failing pauses the session with its message; progress so far is kept. */
function endForError(error: unknown): RunEnd {
  const message = describeError(error);
  return { status: 'paused', reason: 'integration', message: error instanceof AppError ? message : `Unexpected error: ${message}` };
}
