/**
 * The batch engine: session life cycle, planning, dispatch and recovery. It talks to the world only through its
 * ports (sources, compute, sinks, analysis, clock) and reports through typed events.
 */
import { AppError, coerceError, describeError } from '../errors.js';
import * as analysisStore from '../store/analysis.js';
import * as batchesStore from '../store/batches.js';
import * as checkpointsStore from '../store/checkpoints.js';
import type { CheckpointRow } from '../store/checkpoints.js';
import * as documents from '../store/documents.js';
import * as eventsStore from '../store/events.js';
import * as results from '../store/results.js';
import * as sessions from '../store/sessions.js';
import type { SessionRow } from '../store/sessions.js';
import * as workersStore from '../store/workers.js';
import { AnalysisStage } from './analysis-stage.js';
import { newSessionId, normaliseCheckpointName } from './batching.js';
import { estimate } from './estimate.js';
import type { Estimate } from './estimate.js';
import { EngineEvents, TRANSIENT_EVENTS } from './events.js';
import type { EngineEvent } from './events.js';
import { cutBatches, planSession } from './planner.js';
import type { ComputeReport, ComputeSessionContext, Confirmation, DocumentSource } from './ports.js';
import { SessionRun } from './session-run.js';
import type { RunEnd } from './session-run.js';
import { isFinishedSession } from './statuses.js';
import { buildSessionView, buildSummary } from './status-view.js';
import type { EngineDeps, PlanRequest, SessionOptions, SessionView, SourceSpec } from './types.js';

interface ActiveRun {
  sessionId: string;
  controller: AbortController;
  end: RunEnd | null;
  done: Promise<SessionView>;
  /** Why the compute provider can give no more workers (`compute.exhausted`), for the pause message. */
  exhausted?: string;
}

export interface RecoverySummary {
  documentsReleased: number;
  batchesReleased: number;
  sessionsInterrupted: string[];
}

export interface ConfirmInput {
  maxTotalCostUsd: number;
  offers?: Confirmation['offers'];
  by: string;
}

export class Engine {
  readonly events: EngineEvents;
  private active: ActiveRun | null = null;
  private closed = false;

  constructor(private readonly deps: EngineDeps) {
    this.events = new EngineEvents((error, type) =>
      deps.logger.error({ err: coerceError(error), event: type }, 'an event listener failed'),
    );
  }

  /** After a crash: nothing is leased and nothing runs. Call once at start-up, before anything else. */
  recover(): RecoverySummary {
    const { db, clock } = this.deps;
    return db.transaction((): RecoverySummary => {
      const now = clock.now();
      const documentsReleased = documents.releaseAllLeasedDocuments(db, now);
      analysisStore.releaseRunningAnalyses(db);
      const batchesReleased = batchesStore.releaseAllLeasedBatches(db);
      workersStore.markAllActiveWorkersLost(db, 'the orchestrator restarted', now);
      const interrupted = sessions.sessionsWithStatus(db, 'running');
      for (const s of interrupted) {
        sessions.endSessionRun(db, s.id, s.updated_at);
        sessions.updateSessionStatus(db, s.id, 'paused', 'interrupted', 'Interrupted (the program stopped unexpectedly); resume to continue.', now);
        this.record({ type: 'session.paused', at: now, sessionId: s.id, reason: 'interrupted', message: 'recovered after a restart' });
      }
      return { documentsReleased, batchesReleased, sessionsInterrupted: interrupted.map((s) => s.id) };
    })();
  }

  /** Lists the source into a new session and cuts batches. The session then waits to be run (or confirmed). */
  async plan(request: PlanRequest): Promise<string> {
    const { db, clock, compute, sink, analyzer, settings } = this.deps;
    const source = this.deps.openSource(request.source);
    const sessionId = newSessionId(clock.now(), this.deps.random);
    const options: SessionOptions = {
      batchSize: request.batchSize ?? settings.batchSize,
      maxDocuments: request.maxDocuments ?? null,
      maxCostPerHour: request.maxCostPerHour ?? null,
      requestedBy: request.requestedBy,
    };
    sessions.insertSession(db, {
      id: sessionId,
      status: 'planned',
      sourceKind: source.kind,
      sourceKey: source.key,
      sourceSpecJson: JSON.stringify(request.source),
      sourceLabel: source.describe(),
      computeKind: compute.kind,
      sinkKind: sink.kind,
      analyzerKind: analyzer.kind,
      optionsJson: JSON.stringify(options),
      budgetUsd: request.budgetUsd ?? null,
      now: clock.now(),
    });
    try {
      await this.list(sessionId, source, options, request.signal);
    } catch (error) {
      if (documents.countDocuments(db, sessionId) === 0) this.deleteEmptySession(sessionId);
      throw error;
    } finally {
      await source.close?.();
    }
    return sessionId;
  }

  private async list(sessionId: string, source: DocumentSource, options: SessionOptions, signal?: AbortSignal): Promise<void> {
    const { db, clock, compute } = this.deps;
    const outcome = await planSession({
      db,
      sessionId,
      source,
      batchSize: options.batchSize,
      maxDocuments: options.maxDocuments,
      now: () => clock.now(),
      signal,
      onProgress: (listed) => this.emit({ type: 'session.listing', at: clock.now(), sessionId, listed }),
    });
    if (outcome.listed === 0) {
      throw new AppError('no_documents', `No documents found in ${source.describe()}.`, {
        hint: 'Supported: PDF, PNG, JPEG and TIFF files.',
      });
    }
    this.emit({ type: 'session.planned', at: clock.now(), sessionId, totalDocuments: outcome.listed, totalBatches: outcome.totalBatches, alreadyDone: outcome.alreadyDone });
    if (compute.requiresConfirmation) {
      sessions.updateSessionStatus(db, sessionId, 'awaiting_confirmation', null, 'Waiting for a cost confirmation.', clock.now());
      this.emit({ type: 'session.awaiting_confirmation', at: clock.now(), sessionId, expiresAt: null });
    }
  }

  private deleteEmptySession(sessionId: string): void {
    sessions.deleteSession(this.deps.db, sessionId);
  }

  /** Records a person's agreement to spend up to `maxTotalCostUsd`; valid for the configured time. */
  confirm(sessionId: string, input: ConfirmInput): Confirmation {
    const { db, clock, settings } = this.deps;
    const session = this.requireSession(sessionId);
    if (isFinishedSession(session.status)) throw new AppError('session_finished', `Session ${sessionId} is ${session.status}.`);
    if (!(input.maxTotalCostUsd > 0)) throw new AppError('invalid_budget', 'The budget must be a positive amount of dollars.');
    const now = clock.now();
    const confirmation: Confirmation = {
      confirmedAt: now,
      expiresAt: now + settings.confirmationTtlMs,
      maxTotalCostUsd: input.maxTotalCostUsd,
      offers: input.offers ?? [],
      by: input.by,
    };
    sessions.setConfirmation(db, sessionId, JSON.stringify(confirmation), input.maxTotalCostUsd, now);
    this.emit({ type: 'session.confirmed', at: now, sessionId, maxTotalCostUsd: input.maxTotalCostUsd, by: input.by });
    return confirmation;
  }

  /**
   * Runs (or resumes) a session until it completes, pauses, stops or fails; resolves with its final view.
   * One session runs at a time.
   */
  run(sessionId: string): Promise<SessionView> {
    if (this.closed) return Promise.reject(new AppError('engine_closed', 'The engine is shutting down.'));
    if (this.active) {
      return Promise.reject(
        new AppError('session_running', `Session ${this.active.sessionId} is running.`, { hint: 'Pause or stop it first.' }),
      );
    }
    let session: SessionRow;
    try {
      session = this.requireSession(sessionId);
      this.assertRunnable(session);
    } catch (error) {
      return Promise.reject(error);
    }
    const controller = new AbortController();
    const active: ActiveRun = { sessionId, controller, end: null, done: Promise.resolve(null as unknown as SessionView) };
    this.active = active;
    active.done = this.execute(session, active).finally(() => {
      if (this.active === active) this.active = null;
    });
    return active.done;
  }

  private assertRunnable(session: SessionRow): void {
    if (isFinishedSession(session.status)) {
      throw new AppError('session_finished', `Session ${session.id} is ${session.status}; there is nothing to resume.`);
    }
    if (session.status === 'running') throw new AppError('session_running', `Session ${session.id} is already running.`);
    if (!this.deps.compute.requiresConfirmation) return;
    const confirmation = parseConfirmation(session.confirmation_json);
    if (!confirmation) {
      throw new AppError('confirmation_required', `Session ${session.id} rents paid machines and needs a cost confirmation first.`);
    }
    // Expiry guards the moment of the first decision; a session that already ran resumes within its confirmed budget.
    if (session.started_at == null && confirmation.expiresAt < this.deps.clock.now()) {
      throw new AppError('confirmation_expired', 'The cost confirmation has expired; prices may have changed.', {
        hint: 'Ask for a new estimate and confirm again.',
      });
    }
  }

  private async execute(session: SessionRow, active: ActiveRun): Promise<SessionView> {
    const { db, clock, compute } = this.deps;
    const signal = active.controller.signal;
    const source = this.deps.openSource(JSON.parse(session.source_spec_json) as SourceSpec);
    let end: RunEnd;
    try {
      if (!session.listing_complete) await this.list(session.id, source, parseOptions(session), signal);
      sessions.beginSessionRun(db, session.id, clock.now());
      this.emit({ type: 'session.started', at: clock.now(), sessionId: session.id, resumed: session.started_at != null });
      const pool = await compute.open(this.computeContext(session.id, signal));
      const analysis = this.analysisStage(session, active);
      const analysing = analysis.run();
      let outcome: Awaited<ReturnType<SessionRun['run']>> = 'interrupted';
      let exhausted: string | null = null;
      try {
        const fresh = this.requireSession(session.id);
        const emit = (e: EngineEvent): void => {
          this.emit(e);
          if (e.type === 'batch.completed') analysis.notify();
        };
        const runner = new SessionRun({ deps: this.deps, session: fresh, source, pool, emit, requestEnd: (e) => this.requestEnd(active, e), signal });
        outcome = await runner.run();
        exhausted = runner.exhaustedReason;
      } finally {
        await pool.close().catch((error: unknown) => this.deps.logger.error({ err: error, sessionId: session.id }, 'closing the workers failed'));
        sessions.setComputeSpend(db, session.id, pool.spentUsd(), clock.now());
        // Workers are gone first: the analysis tail runs on the orchestrator alone, renting nothing.
        if (outcome === 'drained') analysis.finish();
        else analysis.stop();
        if ((await analysing) !== 'drained' && outcome === 'drained') outcome = 'interrupted';
      }
      end = active.end ?? endOf(outcome, active.exhausted ?? exhausted);
    } catch (error) {
      this.deps.logger.error({ err: coerceError(error), sessionId: session.id }, 'session run failed');
      end = active.end ?? { status: 'paused', reason: 'integration', message: describeError(error) };
    } finally {
      await source.close?.().catch(() => undefined);
    }
    return this.applyEnd(session.id, end);
  }

  private analysisStage(session: SessionRow, active: ActiveRun): AnalysisStage {
    return new AnalysisStage({
      deps: this.deps,
      sessionId: session.id,
      sourceKey: session.source_key,
      sourceKind: session.source_kind,
      signal: active.controller.signal,
      emit: (e) => this.emit(e),
      requestEnd: (e) => this.requestEnd(active, e),
    });
  }

  private requestEnd(active: ActiveRun, end: RunEnd): void {
    active.end ??= end;
    active.controller.abort();
  }

  private applyEnd(sessionId: string, end: RunEnd): SessionView {
    const { db, clock } = this.deps;
    const now = clock.now();
    db.transaction(() => {
      sessions.endSessionRun(db, sessionId, now);
      if (end.status === 'paused') sessions.updateSessionStatus(db, sessionId, 'paused', end.reason, end.message, now);
      else sessions.finishSession(db, sessionId, end.status, end.status === 'failed' ? end.message : null, now);
    })();
    const session = this.requireSession(sessionId);
    if (end.status === 'completed') this.emit({ type: 'session.completed', at: now, sessionId, summary: buildSummary(db, session, now) });
    else if (end.status === 'paused') this.emit({ type: 'session.paused', at: now, sessionId, reason: end.reason, message: end.message });
    else if (end.status === 'stopped') this.emit({ type: 'session.stopped', at: now, sessionId });
    else this.emit({ type: 'session.failed', at: now, sessionId, message: end.message });
    return buildSessionView(db, session, now);
  }

  private computeContext(sessionId: string, signal: AbortSignal): ComputeSessionContext {
    const { db } = this.deps;
    return {
      sessionId,
      confirmation: parseConfirmation(this.requireSession(sessionId).confirmation_json),
      remainingBatches: () => batchesStore.countOpenBatches(db, sessionId),
      previousWorkers: workersStore.sessionWorkers(db, sessionId).length,
      report: (report) => this.onComputeReport(sessionId, report),
      signal,
    };
  }

  private onComputeReport(sessionId: string, report: ComputeReport): void {
    const { db, clock } = this.deps;
    const now = clock.now();
    switch (report.type) {
      case 'worker.starting':
        workersStore.insertWorker(db, { id: report.workerId, sessionId, kind: this.deps.compute.kind, label: report.label, instanceId: report.instanceId, gpuName: report.gpuName, pricePerHour: report.pricePerHour, now });
        this.emit({ type: 'worker.starting', at: now, sessionId, workerId: report.workerId, label: report.label, pricePerHour: report.pricePerHour });
        break;
      case 'worker.ready':
        workersStore.setWorkerStatus(db, report.workerId, 'ready', null, now);
        this.emit({ type: 'worker.ready', at: now, sessionId, workerId: report.workerId, label: report.label });
        break;
      case 'worker.lost':
        workersStore.setWorkerStatus(db, report.workerId, 'lost', report.reason, now);
        this.emit({ type: 'worker.lost', at: now, sessionId, workerId: report.workerId, reason: report.reason });
        break;
      case 'worker.replaced':
        this.emit({ type: 'worker.replaced', at: now, sessionId, oldWorkerId: report.oldWorkerId, newWorkerId: report.newWorkerId, reason: report.reason });
        break;
      case 'worker.released':
        workersStore.setWorkerStatus(db, report.workerId, 'released', report.reason, now);
        this.emit({ type: 'worker.released', at: now, sessionId, workerId: report.workerId, reason: report.reason });
        break;
      case 'worker.cost':
        workersStore.setWorkerCost(db, report.workerId, report.costUsd);
        break;
      case 'compute.exhausted':
        if (this.active?.sessionId === sessionId) this.active.exhausted ??= report.reason;
        this.deps.logger.warn({ sessionId, reason: report.reason }, 'no more workers available');
        break;
    }
  }

  /** Pauses the running session: work in flight goes back to the queue, results already in are kept. */
  async pause(sessionId: string, message = 'Paused by request.'): Promise<SessionView> {
    const active = this.active;
    if (!active || active.sessionId !== sessionId) {
      throw new AppError('not_running', `Session ${sessionId} is not running.`);
    }
    this.requestEnd(active, { status: 'paused', reason: 'user', message });
    return active.done;
  }

  /** Stops a session for good. Running work is interrupted; nothing done is lost. */
  async stop(sessionId: string): Promise<SessionView> {
    const active = this.active;
    if (active && active.sessionId === sessionId) {
      this.requestEnd(active, { status: 'stopped' });
      return active.done;
    }
    const session = this.requireSession(sessionId);
    if (isFinishedSession(session.status)) return this.view(sessionId)!;
    return this.applyEnd(sessionId, { status: 'stopped' });
  }

  /** A new session for another session's failed documents (optionally one error code). */
  retryFailed(sessionId: string, code: string | null = null): string {
    const { db, clock } = this.deps;
    const from = this.requireSession(sessionId);
    const options = parseOptions(from);
    const newId = newSessionId(clock.now(), this.deps.random);
    const copied = db.transaction(() => {
      const now = clock.now();
      sessions.insertSession(db, {
        id: newId,
        status: this.deps.compute.requiresConfirmation ? 'awaiting_confirmation' : 'planned',
        sourceKind: from.source_kind,
        sourceKey: from.source_key,
        sourceSpecJson: from.source_spec_json,
        sourceLabel: `${from.source_label} (retry of ${from.id})`,
        computeKind: this.deps.compute.kind,
        sinkKind: this.deps.sink.kind,
        analyzerKind: this.deps.analyzer.kind,
        optionsJson: JSON.stringify({ ...options, maxDocuments: null }),
        budgetUsd: null,
        now,
      });
      const n = documents.copyFailedDocuments(db, sessionId, newId, code, now);
      if (n > 0) cutBatches(db, newId, options.batchSize, now);
      return n;
    })();
    if (copied === 0) {
      this.deleteEmptySession(newId);
      throw new AppError('nothing_to_retry', `Session ${sessionId} has no failed documents${code ? ` with code ${code}` : ''}.`);
    }
    const s = this.requireSession(newId);
    this.emit({ type: 'session.planned', at: clock.now(), sessionId: newId, totalDocuments: s.total_documents, totalBatches: s.total_batches, alreadyDone: 0 });
    return newId;
  }

  /** The session a checkpoint belongs to (accepts the seed's `checkpoint_100.json`). */
  checkpoint(name: string): CheckpointRow | null {
    const canonical = normaliseCheckpointName(name);
    if (!canonical) return null;
    return checkpointsStore.checkpointByName(this.deps.db, canonical) ?? null;
  }

  checkpoints(sessionId?: string, limit = 100): CheckpointRow[] {
    return sessionId ? checkpointsStore.sessionCheckpoints(this.deps.db, sessionId) : checkpointsStore.allCheckpoints(this.deps.db, limit);
  }

  /** A cost and time estimate for what is left of a session. */
  estimateSession(sessionId: string, input: { costPerHour: number; workers: number; analysisCostPerDocument?: number }): Estimate {
    const { db } = this.deps;
    const session = this.requireSession(sessionId);
    const open = documents.totalBytesOfOpenDocuments(db, sessionId);
    const measured = this.measuredSecondsPerDocument();
    return estimate({
      documents: open.docs,
      batchSize: parseOptions(session).batchSize,
      totalBytes: open.bytes,
      costPerHour: input.costPerHour,
      workers: input.workers,
      secondsPerDocument: measured?.seconds ?? null,
      basis: measured?.basis ?? null,
      analysisCostPerDocument: input.analysisCostPerDocument ?? 0,
    });
  }

  /** Measured worker seconds per document on this kind of compute, once there is enough to trust. */
  measuredSecondsPerDocument(): { seconds: number; basis: string } | null {
    const m = sessions.measuredSecondsPerDocument(this.deps.db, this.deps.compute.kind);
    if (m.docs < 20 || m.busyMs <= 0) return null;
    const seconds = m.busyMs / 1000 / m.docs;
    return { seconds, basis: `measured: ${seconds.toFixed(2)} s/document over ${m.docs} documents on ${this.deps.compute.describe()}` };
  }

  view(sessionId?: string): SessionView | null {
    const { db, clock } = this.deps;
    const session = sessionId ? sessions.getSession(db, sessionId) : sessions.latestSession(db);
    return session ? buildSessionView(db, session, clock.now()) : null;
  }

  runningSessionId(): string | null {
    return this.active?.sessionId ?? null;
  }

  search(query: string, limit = 10, offset = 0): results.SearchHit[] {
    return results.searchResults(this.deps.db, query, limit, offset);
  }

  private requireSession(sessionId: string): SessionRow {
    const session = sessions.getSession(this.deps.db, sessionId);
    if (!session) throw new AppError('no_session', `There is no session ${sessionId}.`);
    return session;
  }

  private emit(event: EngineEvent): void {
    if (!TRANSIENT_EVENTS.has(event.type)) this.record(event);
    this.events.emit(event);
  }

  private record(event: EngineEvent): void {
    const { type, at, ...data } = event;
    const sessionId = 'sessionId' in data ? (data.sessionId as string) : null;
    eventsStore.appendEvent(this.deps.db, sessionId, at, type, JSON.stringify(data));
  }

  /** Pauses whatever runs (reason `shutdown`), waits for it to settle. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const active = this.active;
    if (active) {
      this.requestEnd(active, { status: 'paused', reason: 'shutdown', message: 'The service was shut down; resume to continue.' });
      await active.done.catch(() => undefined);
    }
  }
}

function endOf(outcome: 'drained' | 'interrupted' | 'exhausted', exhausted: string | null): RunEnd {
  if (outcome === 'drained') return { status: 'completed' };
  if (outcome === 'exhausted') return { status: 'paused', reason: 'no_workers', message: `No worker available: ${exhausted ?? 'unknown reason'}.` };
  return { status: 'paused', reason: 'shutdown', message: 'Interrupted.' };
}

function parseConfirmation(json: string | null): Confirmation | null {
  return json ? (JSON.parse(json) as Confirmation) : null;
}

function parseOptions(session: SessionRow): SessionOptions {
  return JSON.parse(session.options_json) as SessionOptions;
}

export function createEngine(deps: EngineDeps): Engine {
  return new Engine(deps);
}
