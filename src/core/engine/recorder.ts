/**
 * Turning worker results into durable state. The rule that makes a crash harmless: a document's outcome is written
 * to the sink (idempotently) and only then marked done, in one transaction when the sink is our own SQLite.
 */
import type { DocumentResult } from '../../protocol/worker-protocol.js';
import { isDocumentErrorCode } from '../errors.js';
import type { Database } from '../store/database.js';
import * as batches from '../store/batches.js';
import * as checkpoints from '../store/checkpoints.js';
import * as documents from '../store/documents.js';
import type { DocumentRow } from '../store/documents.js';
import * as sessions from '../store/sessions.js';
import { backoffDelay, mayRetry } from './backoff.js';
import type { BackoffPolicy } from './backoff.js';
import { checkpointName } from './batching.js';
import type { ResultSink, SinkRecord, SourceDocument } from './ports.js';

/** What happens to one document after a result (or a loss). */
export type DocumentOutcome =
  | { kind: 'done'; doc: DocumentRow; record: SinkRecord; pages: number; ocrPages: number; bytes: number }
  | { kind: 'failed'; doc: DocumentRow; record: SinkRecord; code: string; message: string }
  | { kind: 'skipped'; doc: DocumentRow; record: SinkRecord; code: string; message: string }
  | { kind: 'retry'; doc: DocumentRow; code: string; message: string; at: number };

export interface OutcomeContext {
  sessionId: string;
  sourceKey: string;
  sourceKind: string;
  workerLabel: string | null;
  maxAttempts: number;
  retryPolicy: BackoffPolicy;
  now: number;
  random: () => number;
}

export function toSourceDocument(doc: DocumentRow): SourceDocument {
  return {
    sourceId: doc.source_id,
    name: doc.name,
    mimeType: doc.mime_type,
    sizeBytes: doc.size_bytes,
    checksum: doc.checksum,
    modifiedAt: doc.modified_at,
  };
}

function record(
  ctx: OutcomeContext,
  doc: DocumentRow,
  status: SinkRecord['status'],
  result: DocumentResult | null,
  error: { code: string; message: string } | null,
): SinkRecord {
  return {
    sessionId: ctx.sessionId,
    batchNo: doc.batch_no ?? 0,
    sourceKey: ctx.sourceKey,
    sourceKind: ctx.sourceKind,
    document: toSourceDocument(doc),
    status,
    result,
    error,
    workerLabel: ctx.workerLabel,
    analysis: null,
    processedAt: ctx.now,
  };
}

/** Decides a document's fate from its worker result. */
export function outcomeOfResult(ctx: OutcomeContext, doc: DocumentRow, result: DocumentResult): DocumentOutcome {
  if (result.status === 'ok') {
    return {
      kind: 'done',
      doc,
      record: record(ctx, doc, 'completed', result, null),
      pages: result.pages,
      ocrPages: result.ocrPages,
      bytes: result.bytes,
    };
  }
  const code = result.error?.code ?? 'internal';
  const message = result.error?.message ?? 'the worker reported an error without details';
  const retryable = result.error?.retryable ?? (isDocumentErrorCode(code) && code === 'internal');
  return outcomeOfFailure(ctx, doc, code, message, retryable, result);
}

/** A failure with a code: retry later, skip (the document is gone), or fail for good. */
export function outcomeOfFailure(
  ctx: OutcomeContext,
  doc: DocumentRow,
  code: string,
  message: string,
  retryable: boolean,
  result: DocumentResult | null = null,
): DocumentOutcome {
  const attemptsAfter = doc.attempts + 1;
  if (mayRetry(attemptsAfter, ctx.maxAttempts, retryable)) {
    return { kind: 'retry', doc, code, message, at: ctx.now + backoffDelay(attemptsAfter, ctx.retryPolicy, ctx.random) };
  }
  const error = { code, message };
  if (code === 'not_found') {
    return { kind: 'skipped', doc, record: record(ctx, doc, 'skipped', result, error), code, message };
  }
  return { kind: 'failed', doc, record: record(ctx, doc, 'failed', result, error), code, message };
}

export function recordsOf(outcomes: readonly DocumentOutcome[]): SinkRecord[] {
  return outcomes.flatMap((o) => (o.kind === 'retry' ? [] : [o.record]));
}

/** Applies outcomes to the documents and the session counters. Call inside a transaction. */
export function applyOutcomes(db: Database, sessionId: string, outcomes: readonly DocumentOutcome[], now: number): void {
  const delta = { done: 0, failed: 0, skipped: 0, pages: 0, ocrPages: 0, bytes: 0 };
  for (const o of outcomes) {
    switch (o.kind) {
      case 'done':
        documents.markDocumentDone(db, o.doc.id, o.pages, o.ocrPages, now);
        delta.done += 1;
        delta.pages += o.pages;
        delta.ocrPages += o.ocrPages;
        delta.bytes += o.bytes;
        break;
      case 'failed':
        documents.markDocumentFailed(db, o.doc.id, o.code, o.message, now);
        delta.failed += 1;
        break;
      case 'skipped':
        documents.markDocumentSkipped(db, o.doc.id, o.code, o.message, now);
        delta.skipped += 1;
        break;
      case 'retry':
        documents.scheduleDocumentRetry(db, o.doc.id, o.code, o.message, o.at, now);
        break;
    }
  }
  sessions.addSessionCounters(db, sessionId, delta, now);
}

/**
 * Writes the outcomes' records to the sink, then marks the documents, so a crash between the two repeats work but
 * never loses it. `alsoInTransaction` runs in the same transaction (the analysis stage queues documents there).
 */
export async function persistOutcomes(
  db: Database,
  sink: ResultSink,
  sessionId: string,
  outcomes: readonly DocumentOutcome[],
  now: () => number,
  alsoInTransaction?: () => void,
): Promise<void> {
  if (outcomes.length === 0) return;
  const records = recordsOf(outcomes);
  if (sink.write && records.length > 0) await sink.write(records);
  const local = sink.writeInTransaction?.bind(sink);
  db.transaction(() => {
    if (local && records.length > 0) local(records);
    applyOutcomes(db, sessionId, outcomes, now());
    alsoInTransaction?.();
  })();
}

export interface BatchFinish {
  finished: boolean;
  done: number;
  failed: number;
  completedBatches: number;
  totalBatches: number;
  checkpoint: string | null;
}

/**
 * After a worker returns a batch: finished when no document is open any more (then counted, and a checkpoint is
 * named every `checkpointEvery` batches); otherwise back in the queue for its retries.
 */
export function settleBatch(
  db: Database,
  sessionId: string,
  batchNo: number,
  busyMs: number,
  checkpointEvery: number,
  now: number,
): BatchFinish {
  return db.transaction((): BatchFinish => {
    const counts = documents.batchOutcomeCounts(db, sessionId, batchNo);
    const open = documents.openDocumentsInBatch(db, sessionId, batchNo);
    if (open > 0) {
      documents.releaseLeasedDocumentsOfBatch(db, sessionId, batchNo, now);
      batches.returnBatchToQueue(db, sessionId, batchNo, busyMs);
      const s = sessions.getSession(db, sessionId)!;
      return { finished: false, done: counts.done, failed: counts.failed, completedBatches: s.batches_done + s.batches_failed, totalBatches: s.total_batches, checkpoint: null };
    }
    // A batch fails only when none of its documents could be processed; single failures are counted per document.
    const failedBatch = counts.total > 0 && counts.failed === counts.total;
    batches.finishBatch(db, sessionId, batchNo, failedBatch ? 'failed' : 'done', busyMs, now);
    sessions.addBatchCounters(db, sessionId, failedBatch ? 0 : 1, failedBatch ? 1 : 0, now);
    const s = sessions.getSession(db, sessionId)!;
    const completed = s.batches_done + s.batches_failed;
    const name = checkpointName(completed, checkpointEvery);
    if (name) {
      checkpoints.insertCheckpoint(db, {
        session_id: sessionId,
        name,
        completed_batches: completed,
        docs_done: s.docs_done,
        created_at: now,
      });
    }
    return { finished: true, done: counts.done, failed: counts.failed, completedBatches: completed, totalBatches: s.total_batches, checkpoint: name };
  })();
}
