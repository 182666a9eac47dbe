/**
 * SQL for the analysis stage: per-document analysis state on `documents` (migration `0003_analysis_stage`).
 *
 *   analysis_status:  NULL (no analysis) → pending → running → done | failed      (running → pending on pause/crash)
 *   analysis_unsynced: 1 while a finished analysis still has to reach the external sink (Supabase).
 */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

/** Documents just extracted: their analysis is due. Call in the transaction that marks them done. */
export function markAnalysisPending(db: Database, documentIds: readonly number[]): void {
  const mark = statement(
    db,
    `UPDATE documents SET analysis_status = 'pending', analysis_unsynced = 0, analysis_error_code = NULL,
       analysis_error_message = NULL WHERE id = ?`,
  );
  for (const id of documentIds) mark.run(id);
}

/**
 * The lowest batch with documents waiting for analysis; only finished batches unless `anyBatch` (the tail of a
 * run, when no more documents are coming).
 */
export function nextAnalysisBatch(db: Database, sessionId: string, anyBatch: boolean): number | null {
  const row = statement<[string, number], { batch_no: number }>(
    db,
    `SELECT d.batch_no FROM documents d JOIN batches b ON b.session_id = d.session_id AND b.batch_no = d.batch_no
     WHERE d.session_id = ? AND d.analysis_status = 'pending' AND (? = 1 OR b.status IN ('done','failed'))
     ORDER BY d.batch_no LIMIT 1`,
  ).get(sessionId, anyBatch ? 1 : 0);
  return row?.batch_no ?? null;
}

export interface AnalysisWorkRow {
  id: number;
  source_id: string;
  name: string;
  /** The first `maxChars` characters of the extracted text ('' when there is none). */
  text: string;
  total_chars: number;
}

/** Claims a batch's pending analyses (→ running) and returns them with the start of their text. */
export function claimAnalysisBatch(db: Database, sessionId: string, sourceKey: string, batchNo: number, maxChars: number): AnalysisWorkRow[] {
  return db.transaction(() => {
    statement(
      db,
      `UPDATE documents SET analysis_status = 'running' WHERE session_id = ? AND batch_no = ? AND analysis_status = 'pending'`,
    ).run(sessionId, batchNo);
    return statement<[number, string, string, number], AnalysisWorkRow>(
      db,
      `SELECT d.id, d.source_id, d.name, COALESCE(substr(r.text, 1, ?), '') AS text, COALESCE(length(r.text), 0) AS total_chars
       FROM documents d LEFT JOIN results r ON r.source_key = ? AND r.source_id = d.source_id
       WHERE d.session_id = ? AND d.batch_no = ? AND d.analysis_status = 'running' ORDER BY d.id`,
    ).all(maxChars, sourceKey, sessionId, batchNo);
  })();
}

/** Paused or failed before an answer: back to pending, nothing recorded. */
export function releaseAnalyses(db: Database, documentIds: readonly number[]): void {
  const release = statement(db, `UPDATE documents SET analysis_status = 'pending' WHERE id = ? AND analysis_status = 'running'`);
  for (const id of documentIds) release.run(id);
}

/** After a crash nothing is running. */
export function releaseRunningAnalyses(db: Database): number {
  return statement(db, `UPDATE documents SET analysis_status = 'pending' WHERE analysis_status = 'running'`).run().changes;
}

export interface AnalysisOutcome {
  documentId: number;
  status: 'done' | 'failed';
  errorCode: string | null;
  errorMessage: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export function recordAnalysisOutcome(db: Database, o: AnalysisOutcome, unsynced: boolean, now: number): void {
  statement(
    db,
    `UPDATE documents SET analysis_status = @status, analysis_error_code = @errorCode, analysis_error_message = @errorMessage,
       analysis_model = @model, analysis_input_tokens = @inputTokens, analysis_output_tokens = @outputTokens,
       analysis_cost_usd = @costUsd, analysis_unsynced = @unsynced, updated_at = @now
     WHERE id = @documentId`,
  ).run({ ...o, unsynced: unsynced ? 1 : 0, now });
}

export interface UnsyncedAnalysisRow {
  id: number;
  source_id: string;
  name: string;
  analysis_status: 'done' | 'failed';
  analysis_error_code: string | null;
  analysis_error_message: string | null;
  analysis_model: string | null;
  analysis_input_tokens: number | null;
  analysis_output_tokens: number | null;
  analysis_cost_usd: number | null;
  analysis_json: string | null;
}

/** Finished analyses the external sink has not received yet, with what it needs to write them. */
export function unsyncedAnalyses(db: Database, sessionId: string, sourceKey: string, limit: number): UnsyncedAnalysisRow[] {
  return statement<[string, string, number], UnsyncedAnalysisRow>(
    db,
    `SELECT d.id, d.source_id, d.name, d.analysis_status, d.analysis_error_code, d.analysis_error_message, d.analysis_model,
       d.analysis_input_tokens, d.analysis_output_tokens, d.analysis_cost_usd, r.analysis_json
     FROM documents d LEFT JOIN results r ON r.source_key = ? AND r.source_id = d.source_id
     WHERE d.session_id = ? AND d.analysis_unsynced = 1 ORDER BY d.id LIMIT ?`,
  ).all(sourceKey, sessionId, limit);
}

export function markAnalysesSynced(db: Database, documentIds: readonly number[]): void {
  const mark = statement(db, `UPDATE documents SET analysis_unsynced = 0 WHERE id = ?`);
  for (const id of documentIds) mark.run(id);
}

/** Analyses not finished (pending, running) or not yet in the external sink: the session is not complete. */
export function countOpenAnalyses(db: Database, sessionId: string): number {
  return statement<[string], { n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM documents WHERE session_id = ? AND (analysis_status IN ('pending','running') OR analysis_unsynced = 1)`,
  ).get(sessionId)!.n;
}

export interface AnalysisCounts {
  pending: number;
  done: number;
  failed: number;
}

export function analysisCounts(db: Database, sessionId: string): AnalysisCounts {
  return statement<[string], AnalysisCounts>(
    db,
    `SELECT COALESCE(SUM(analysis_status IN ('pending','running')), 0) AS pending, COALESCE(SUM(analysis_status = 'done'), 0) AS done,
       COALESCE(SUM(analysis_status = 'failed'), 0) AS failed
     FROM documents WHERE session_id = ?`,
  ).get(sessionId)!;
}
