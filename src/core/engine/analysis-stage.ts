/**
 * The analysis stage: documents are analysed after extraction, never inline, so a Message Batch that takes an hour
 * holds up no worker. Extraction marks each document `analysis_status = pending` in the transaction that marks it
 * done; this stage picks up each finished batch's documents, hands them to the analyzer (several calls in flight),
 * records the results and their cost locally in one transaction (what was paid for is never lost), then writes
 * them to the external sink. A session completes only when every analysis is finished (or failed with a code) and
 * written. Pausing returns running analyses to pending; a batch analyzer resumes its submitted batches.
 */
import { describeError } from '../errors.js';
import * as analysisStore from '../store/analysis.js';
import type { AnalysisWorkRow, UnsyncedAnalysisRow } from '../store/analysis.js';
import * as results from '../store/results.js';
import * as sessions from '../store/sessions.js';
import type { EngineEvent } from './events.js';
import type { AnalysisInput, AnalysisRecord, AnalysisResult } from './ports.js';
import type { RunEnd } from './session-run.js';
import type { EngineDeps, EngineLogger } from './types.js';

export interface AnalysisStageInit {
  deps: EngineDeps;
  sessionId: string;
  sourceKey: string;
  sourceKind: string;
  /** The run's signal: a pause or stop ends the stage too. */
  signal: AbortSignal;
  emit: (event: EngineEvent) => void;
  requestEnd: (end: RunEnd) => void;
}

/** How the stage ended: everything analysed and written, or stopped with work left (it stays queued). */
export type AnalysisStageEnd = 'drained' | 'stopped';

/** When no batch finishes to wake the stage, it looks again this often. */
const IDLE_RECHECK_MS = 2_000;
/** Analyses written to the external sink per call. */
const SYNC_CHUNK = 500;

export class AnalysisStage {
  private readonly controller = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: EngineLogger;
  private closing = false;
  private wake: (() => void) | null = null;
  private woken = false;
  private syncChain: Promise<void> = Promise.resolve();

  constructor(private readonly init: AnalysisStageInit) {
    this.log = init.deps.logger.child({ sessionId: init.sessionId, stage: 'analysis' });
    const onAbort = (): void => this.stop();
    if (init.signal.aborted) this.stop();
    else init.signal.addEventListener('abort', onAbort, { once: true });
  }

  /** A batch finished: its documents can be analysed. */
  notify(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  /** No more documents will be extracted in this run: analyse what is left, then end. */
  finish(): void {
    this.closing = true;
    this.notify();
  }

  /** Ends the stage; analyses in flight are abandoned and go back to pending. */
  stop(): void {
    this.controller.abort(this.init.signal.reason ?? new Error('analysis stopped'));
    this.notify();
  }

  private get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  async run(): Promise<AnalysisStageEnd> {
    const { deps, sessionId } = this.init;
    if (!deps.analyzer.enabled) return 'drained';
    await this.sync();
    while (!this.stopped) {
      this.startWork();
      if (this.inFlight.size === 0 && this.closing && analysisStore.countOpenAnalyses(deps.db, sessionId) === 0) break;
      await this.idle();
    }
    await Promise.allSettled([...this.inFlight]);
    await this.syncChain;
    return !this.stopped && analysisStore.countOpenAnalyses(deps.db, sessionId) === 0 ? 'drained' : 'stopped';
  }

  /** Claims finished batches' analyses while the analyzer has room for more calls. */
  private startWork(): void {
    const { deps, sessionId } = this.init;
    const room = Math.max(1, deps.analyzer.concurrency ?? 1);
    while (!this.stopped && this.inFlight.size < room) {
      const batchNo = analysisStore.nextAnalysisBatch(deps.db, sessionId, this.closing);
      if (batchNo === null) return;
      const rows = analysisStore.claimAnalysisBatch(deps.db, sessionId, this.init.sourceKey, batchNo, deps.analyzer.maxInputChars ?? 400_000);
      const task = this.analyseBatch(batchNo, rows).finally(() => {
        this.inFlight.delete(task);
        this.notify();
      });
      this.inFlight.add(task);
    }
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, IDLE_RECHECK_MS);
      this.wake = done;
    });
  }

  private async analyseBatch(batchNo: number, rows: AnalysisWorkRow[]): Promise<void> {
    const { deps } = this.init;
    const withText = rows.filter((r) => r.text.trim().length > 0);
    const withoutText = rows.filter((r) => r.text.trim().length === 0);
    if (withText.length > 0 && !this.withinBudget(withText)) {
      analysisStore.releaseAnalyses(deps.db, withText.map((r) => r.id));
      withText.length = 0;
    }
    let analyses: AnalysisResult[] = [];
    if (withText.length > 0) {
      const inputs: AnalysisInput[] = withText.map((r) => ({ key: String(r.id), name: r.name, text: r.text, totalChars: r.total_chars }));
      try {
        analyses = await deps.analyzer.analyze(inputs, this.controller.signal);
      } catch (error) {
        analysisStore.releaseAnalyses(deps.db, withText.map((r) => r.id));
        if (!this.stopped) this.fail(error);
        return;
      }
    }
    this.record(batchNo, withText, withoutText, analyses);
    await this.sync();
  }

  /** The stage spends money too: check the session's cap before each call. */
  private withinBudget(rows: AnalysisWorkRow[]): boolean {
    const { deps, sessionId } = this.init;
    const session = sessions.getSession(deps.db, sessionId)!;
    if (session.budget_usd == null) return true;
    const spent = session.compute_spent_usd + session.analysis_spent_usd;
    const averageChars = rows.reduce((sum, r) => sum + r.total_chars, 0) / rows.length;
    const next = deps.analyzer.estimateCostPerDocument(averageChars) * rows.length;
    if (spent + next <= session.budget_usd) return true;
    const now = deps.clock.now();
    this.init.emit({ type: 'budget.reached', at: now, sessionId, spentUsd: spent, capUsd: session.budget_usd });
    this.init.requestEnd({
      status: 'paused',
      reason: 'budget',
      message: `Analysis would take the spend past the $${session.budget_usd.toFixed(2)} budget ($${spent.toFixed(2)} spent).`,
    });
    this.stop();
    return false;
  }

  /** Results, their cost and the documents' analysis state, in one transaction. */
  private record(batchNo: number, analysed: AnalysisWorkRow[], withoutText: AnalysisWorkRow[], analyses: AnalysisResult[]): void {
    const { deps, sessionId, sourceKey } = this.init;
    const byKey = new Map(analyses.map((a) => [a.key, a]));
    const unsynced = deps.sink.writeAnalysis !== undefined;
    const model = analyses[0]?.model ?? null;
    let cost = 0;
    let failed = 0;
    deps.db.transaction(() => {
      const now = deps.clock.now();
      for (const row of analysed) {
        const a = byKey.get(String(row.id)) ?? missing(row, model);
        cost += a.costUsd;
        if (a.status === 'ok' && a.data) results.setResultAnalysis(deps.db, sourceKey, row.source_id, JSON.stringify(a.data), a.inputTokens + a.outputTokens, a.costUsd);
        else failed += 1;
        analysisStore.recordAnalysisOutcome(deps.db, outcomeOf(row.id, a), unsynced, now);
      }
      for (const row of withoutText) {
        failed += 1;
        analysisStore.recordAnalysisOutcome(deps.db, outcomeOf(row.id, { ...missing(row, model), errorCode: 'no_text', error: 'the document has no text to analyse' }), unsynced, now);
      }
      if (cost > 0) sessions.addAnalysisSpend(deps.db, sessionId, cost, now);
    })();
    this.init.emit({ type: 'analysis.completed', at: deps.clock.now(), sessionId, batchNo, analysed: analysed.length + withoutText.length - failed, failed, costUsd: cost });
  }

  /** Writes recorded analyses to the external sink, one writer at a time. */
  private sync(): Promise<void> {
    this.syncChain = this.syncChain.then(() => this.syncNow());
    return this.syncChain;
  }

  private async syncNow(): Promise<void> {
    const { deps, sessionId, sourceKey, sourceKind } = this.init;
    const write = deps.sink.writeAnalysis?.bind(deps.sink);
    if (!write) return;
    for (;;) {
      const rows = analysisStore.unsyncedAnalyses(deps.db, sessionId, sourceKey, SYNC_CHUNK);
      if (rows.length === 0) return;
      try {
        await write(rows.map((row) => toRecord(row, sessionId, sourceKey, sourceKind)));
      } catch (error) {
        this.fail(error);
        return;
      }
      analysisStore.markAnalysesSynced(deps.db, rows.map((r) => r.id));
    }
  }

  /** An integration that fails pauses the session with its message; what was recorded stays recorded. */
  private fail(error: unknown): void {
    this.log.error({ err: error }, 'analysis failed');
    this.init.requestEnd({ status: 'paused', reason: 'integration', message: `Analysis: ${describeError(error)}` });
    this.stop();
  }
}

function missing(row: AnalysisWorkRow, model: string | null): AnalysisResult {
  return { key: String(row.id), status: 'error', data: null, error: 'the analyzer returned nothing for this document', errorCode: 'no_result', inputTokens: 0, outputTokens: 0, costUsd: 0, model };
}

function outcomeOf(documentId: number, a: AnalysisResult): analysisStore.AnalysisOutcome {
  const ok = a.status === 'ok' && a.data !== null;
  return {
    documentId,
    status: ok ? 'done' : 'failed',
    errorCode: ok ? null : (a.errorCode ?? 'analysis_failed'),
    errorMessage: ok ? null : a.error,
    model: a.model,
    inputTokens: a.inputTokens,
    outputTokens: a.outputTokens,
    costUsd: a.costUsd,
  };
}

function toRecord(row: UnsyncedAnalysisRow, sessionId: string, sourceKey: string, sourceKind: string): AnalysisRecord {
  const ok = row.analysis_status === 'done' && row.analysis_json !== null;
  return {
    sessionId,
    sourceKey,
    sourceKind,
    sourceId: row.source_id,
    name: row.name,
    analysis: {
      key: String(row.id),
      status: ok ? 'ok' : 'error',
      data: ok ? (JSON.parse(row.analysis_json!) as Record<string, unknown>) : null,
      error: row.analysis_error_message,
      errorCode: row.analysis_error_code,
      inputTokens: row.analysis_input_tokens ?? 0,
      outputTokens: row.analysis_output_tokens ?? 0,
      costUsd: row.analysis_cost_usd ?? 0,
      model: row.analysis_model,
    },
  };
}
