/** SQL for the `sessions` table: one small named function per statement. */
import type { Database } from 'better-sqlite3';
import type { SessionStatus } from '../engine/statuses.js';
import { statement } from './database.js';

export interface SessionRow {
  id: string;
  status: SessionStatus;
  source_kind: string;
  source_key: string;
  source_spec_json: string;
  source_label: string;
  compute_kind: string;
  sink_kind: string;
  analyzer_kind: string;
  options_json: string;
  budget_usd: number | null;
  confirmation_json: string | null;
  pause_reason: string | null;
  status_message: string | null;
  listing_complete: number;
  total_documents: number;
  total_batches: number;
  docs_done: number;
  docs_failed: number;
  docs_skipped: number;
  batches_done: number;
  batches_failed: number;
  pages: number;
  ocr_pages: number;
  bytes_processed: number;
  compute_spent_usd: number;
  analysis_spent_usd: number;
  active_ms: number;
  run_started_at: number | null;
  run_docs_at_start: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface NewSession {
  id: string;
  status: SessionStatus;
  sourceKind: string;
  sourceKey: string;
  sourceSpecJson: string;
  sourceLabel: string;
  computeKind: string;
  sinkKind: string;
  analyzerKind: string;
  optionsJson: string;
  budgetUsd: number | null;
  now: number;
}

export function insertSession(db: Database, s: NewSession): void {
  statement(
    db,
    `INSERT INTO sessions (id, status, source_kind, source_key, source_spec_json, source_label, compute_kind, sink_kind,
       analyzer_kind, options_json, budget_usd, created_at, updated_at)
     VALUES (@id, @status, @sourceKind, @sourceKey, @sourceSpecJson, @sourceLabel, @computeKind, @sinkKind,
       @analyzerKind, @optionsJson, @budgetUsd, @now, @now)`,
  ).run(s);
}

export function getSession(db: Database, id: string): SessionRow | undefined {
  return statement<[string], SessionRow>(db, 'SELECT * FROM sessions WHERE id = ?').get(id);
}

export function latestSession(db: Database): SessionRow | undefined {
  return statement<[], SessionRow>(db, 'SELECT * FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT 1').get();
}

export function listSessions(db: Database, limit: number): SessionRow[] {
  return statement<[number], SessionRow>(db, 'SELECT * FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT ?').all(
    limit,
  );
}

export function sessionsWithStatus(db: Database, status: SessionStatus): SessionRow[] {
  return statement<[string], SessionRow>(db, 'SELECT * FROM sessions WHERE status = ? ORDER BY created_at').all(status);
}

export function updateSessionStatus(
  db: Database,
  id: string,
  status: SessionStatus,
  pauseReason: string | null,
  message: string | null,
  now: number,
): void {
  statement(
    db,
    `UPDATE sessions SET status = ?, pause_reason = ?, status_message = ?, updated_at = ? WHERE id = ?`,
  ).run(status, pauseReason, message, now, id);
}

/** Marks the start of a run: `active_ms` accrues from here until {@link endSessionRun}. */
export function beginSessionRun(db: Database, id: string, now: number): void {
  statement(
    db,
    `UPDATE sessions SET status = 'running', pause_reason = NULL, status_message = NULL, run_started_at = ?,
       run_docs_at_start = docs_done + docs_failed, started_at = COALESCE(started_at, ?), updated_at = ?
     WHERE id = ?`,
  ).run(now, now, now, id);
}

export function endSessionRun(db: Database, id: string, now: number): void {
  statement(
    db,
    `UPDATE sessions SET active_ms = active_ms + MAX(0, ? - COALESCE(run_started_at, ?)), run_started_at = NULL,
       updated_at = ? WHERE id = ?`,
  ).run(now, now, now, id);
}

export function finishSession(db: Database, id: string, status: SessionStatus, message: string | null, now: number): void {
  statement(
    db,
    `UPDATE sessions SET status = ?, status_message = ?, pause_reason = NULL, finished_at = ?, updated_at = ? WHERE id = ?`,
  ).run(status, message, now, now, id);
}

export function setListingComplete(db: Database, id: string, totalDocuments: number, totalBatches: number, now: number): void {
  statement(
    db,
    `UPDATE sessions SET listing_complete = 1, total_documents = ?, total_batches = ?, updated_at = ? WHERE id = ?`,
  ).run(totalDocuments, totalBatches, now, id);
}

export function setConfirmation(db: Database, id: string, confirmationJson: string | null, budgetUsd: number | null, now: number): void {
  statement(db, `UPDATE sessions SET confirmation_json = ?, budget_usd = ?, updated_at = ? WHERE id = ?`).run(
    confirmationJson,
    budgetUsd,
    now,
    id,
  );
}

export interface SessionCounterDelta {
  done: number;
  failed: number;
  skipped: number;
  pages: number;
  ocrPages: number;
  bytes: number;
}

/** Counters are kept on the session row, in the same transaction as the document changes, so status is O(1). */
export function addSessionCounters(db: Database, id: string, d: SessionCounterDelta, now: number): void {
  statement(
    db,
    `UPDATE sessions SET docs_done = docs_done + @done, docs_failed = docs_failed + @failed,
       docs_skipped = docs_skipped + @skipped, pages = pages + @pages, ocr_pages = ocr_pages + @ocrPages,
       bytes_processed = bytes_processed + @bytes, updated_at = @now
     WHERE id = @id`,
  ).run({ ...d, id, now });
}

export function subtractFailedCounter(db: Database, id: string, count: number, now: number): void {
  statement(db, `UPDATE sessions SET docs_failed = MAX(0, docs_failed - ?), updated_at = ? WHERE id = ?`).run(
    count,
    now,
    id,
  );
}

export function addBatchCounters(db: Database, id: string, done: number, failed: number, now: number): void {
  statement(
    db,
    `UPDATE sessions SET batches_done = batches_done + ?, batches_failed = batches_failed + ?, updated_at = ? WHERE id = ?`,
  ).run(done, failed, now, id);
}

export function setComputeSpend(db: Database, id: string, usd: number, now: number): void {
  statement(db, `UPDATE sessions SET compute_spent_usd = ?, updated_at = ? WHERE id = ?`).run(usd, now, id);
}

export function addAnalysisSpend(db: Database, id: string, usd: number, now: number): void {
  statement(db, `UPDATE sessions SET analysis_spent_usd = analysis_spent_usd + ?, updated_at = ? WHERE id = ?`).run(
    usd,
    now,
    id,
  );
}

export function addTotalBatches(db: Database, id: string, extra: number, now: number): void {
  statement(db, `UPDATE sessions SET total_batches = total_batches + ?, updated_at = ? WHERE id = ?`).run(extra, now, id);
}

export function setBatchCounters(db: Database, id: string, done: number, failed: number, now: number): void {
  statement(db, `UPDATE sessions SET batches_done = ?, batches_failed = ?, updated_at = ? WHERE id = ?`).run(
    done,
    failed,
    now,
    id,
  );
}

/** Measured worker time per document for a kind of compute, across all sessions (for estimates). */
export function measuredSecondsPerDocument(db: Database, computeKind: string): { docs: number; busyMs: number } {
  return statement<[string], { docs: number; busyMs: number }>(
    db,
    `SELECT COALESCE(SUM(b.doc_count), 0) AS docs, COALESCE(SUM(b.busy_ms), 0) AS busyMs
     FROM batches b JOIN sessions s ON s.id = b.session_id
     WHERE s.compute_kind = ? AND b.status IN ('done','failed')`,
  ).get(computeKind)!;
}

/** Only for a session that never got any document (a failed first listing): nothing else refers to it. */
export function deleteSession(db: Database, id: string): void {
  statement(db, 'DELETE FROM sessions WHERE id = ?').run(id);
}
