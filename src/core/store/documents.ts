/** SQL for the `documents` table: one row per source document per session. */
import type { Database } from 'better-sqlite3';
import type { DocumentStatus } from '../engine/statuses.js';
import { statement } from './database.js';

export interface DocumentRow {
  id: number;
  session_id: string;
  source_id: string;
  name: string;
  mime_type: string;
  size_bytes: number | null;
  checksum: string | null;
  modified_at: string | null;
  status: DocumentStatus;
  attempts: number;
  next_attempt_at: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  batch_no: number | null;
  worker_id: string | null;
  pages: number | null;
  ocr_pages: number | null;
  updated_at: number;
}

export interface NewDocument {
  sessionId: string;
  sourceId: string;
  name: string;
  mimeType: string;
  sizeBytes: number | null;
  checksum: string | null;
  modifiedAt: string | null;
  status: 'pending' | 'skipped';
  errorCode: string | null;
  errorMessage: string | null;
  now: number;
}

/** Idempotent: re-listing after a crash during planning adds only what is new. Returns whether a row was added. */
export function insertDocument(db: Database, d: NewDocument): boolean {
  const info = statement(
    db,
    `INSERT OR IGNORE INTO documents (session_id, source_id, name, mime_type, size_bytes, checksum, modified_at, status,
       last_error_code, last_error_message, updated_at)
     VALUES (@sessionId, @sourceId, @name, @mimeType, @sizeBytes, @checksum, @modifiedAt, @status, @errorCode,
       @errorMessage, @now)`,
  ).run(d);
  return info.changes > 0;
}

export function countDocuments(db: Database, sessionId: string): number {
  return statement<[string], { n: number }>(db, 'SELECT COUNT(*) AS n FROM documents WHERE session_id = ?').get(sessionId)!
    .n;
}

export function countDocumentsWithStatus(db: Database, sessionId: string, status: DocumentStatus): number {
  return statement<[string, string], { n: number }>(
    db,
    'SELECT COUNT(*) AS n FROM documents WHERE session_id = ? AND status = ?',
  ).get(sessionId, status)!.n;
}

/**
 * Gives every pending document without a batch a batch number, `size` per batch, numbered after `afterBatchNo`.
 * Returns the highest batch number used.
 */
export function assignBatchNumbers(db: Database, sessionId: string, size: number, afterBatchNo: number): number {
  statement(
    db,
    `UPDATE documents SET batch_no = numbered.b
     FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / CAST(@size AS INTEGER) + 1 + CAST(@after AS INTEGER) AS b
           FROM documents WHERE session_id = @sessionId AND status = 'pending' AND batch_no IS NULL) AS numbered
     WHERE documents.id = numbered.id`,
  ).run({ sessionId, size, after: afterBatchNo });
  const row = statement<[string], { m: number | null }>(
    db,
    'SELECT MAX(batch_no) AS m FROM documents WHERE session_id = ?',
  ).get(sessionId);
  return row?.m ?? afterBatchNo;
}

/** Leases up to `limit` of the batch's documents that are due; returns every leased document of the batch. */
export function leaseBatchDocuments(
  db: Database,
  sessionId: string,
  batchNo: number,
  workerId: string,
  now: number,
  limit = -1,
): DocumentRow[] {
  statement(
    db,
    `UPDATE documents SET status = 'leased', worker_id = ?, updated_at = ?
     WHERE id IN (SELECT id FROM documents WHERE session_id = ? AND batch_no = ? AND status = 'pending'
                  AND COALESCE(next_attempt_at, 0) <= ? ORDER BY id LIMIT ?)`,
  ).run(workerId, now, sessionId, batchNo, now, limit);
  return statement<[string, number], DocumentRow>(
    db,
    `SELECT * FROM documents WHERE session_id = ? AND batch_no = ? AND status = 'leased' ORDER BY id`,
  ).all(sessionId, batchNo);
}

export function getDocument(db: Database, id: number): DocumentRow | undefined {
  return statement<[number], DocumentRow>(db, 'SELECT * FROM documents WHERE id = ?').get(id);
}

export function markDocumentDone(db: Database, id: number, pages: number, ocrPages: number, now: number): void {
  statement(
    db,
    `UPDATE documents SET status = 'done', attempts = attempts + 1, pages = ?, ocr_pages = ?, next_attempt_at = NULL,
       last_error_code = NULL, last_error_message = NULL, worker_id = NULL, updated_at = ?
     WHERE id = ?`,
  ).run(pages, ocrPages, now, id);
}

export function markDocumentFailed(db: Database, id: number, code: string, message: string, now: number): void {
  statement(
    db,
    `UPDATE documents SET status = 'failed', attempts = attempts + 1, last_error_code = ?, last_error_message = ?,
       next_attempt_at = NULL, worker_id = NULL, updated_at = ?
     WHERE id = ?`,
  ).run(code, message, now, id);
}

export function markDocumentSkipped(db: Database, id: number, code: string, message: string, now: number): void {
  statement(
    db,
    `UPDATE documents SET status = 'skipped', last_error_code = ?, last_error_message = ?, next_attempt_at = NULL,
       worker_id = NULL, updated_at = ?
     WHERE id = ?`,
  ).run(code, message, now, id);
}

/** A retryable failure: back to pending, due again at `nextAttemptAt`. */
export function scheduleDocumentRetry(
  db: Database,
  id: number,
  code: string,
  message: string,
  nextAttemptAt: number,
  now: number,
): void {
  statement(
    db,
    `UPDATE documents SET status = 'pending', attempts = attempts + 1, last_error_code = ?, last_error_message = ?,
       next_attempt_at = ?, worker_id = NULL, updated_at = ?
     WHERE id = ?`,
  ).run(code, message, nextAttemptAt, now, id);
}

/** Documents a worker still held when it stopped (pause, stop): back to pending, no attempt counted. */
export function releaseLeasedDocumentsOfBatch(db: Database, sessionId: string, batchNo: number, now: number): number {
  return statement(
    db,
    `UPDATE documents SET status = 'pending', worker_id = NULL, updated_at = ?
     WHERE session_id = ? AND batch_no = ? AND status = 'leased'`,
  ).run(now, sessionId, batchNo).changes;
}

/** After a crash nothing is leased any more: every leased document goes back to pending. */
export function releaseAllLeasedDocuments(db: Database, now: number): number {
  return statement(
    db,
    `UPDATE documents SET status = 'pending', worker_id = NULL, updated_at = ? WHERE status = 'leased'`,
  ).run(now).changes;
}

export function leasedDocumentsOfBatch(db: Database, sessionId: string, batchNo: number): DocumentRow[] {
  return statement<[string, number], DocumentRow>(
    db,
    `SELECT * FROM documents WHERE session_id = ? AND batch_no = ? AND status = 'leased' ORDER BY id`,
  ).all(sessionId, batchNo);
}

export function openDocumentsInBatch(db: Database, sessionId: string, batchNo: number): number {
  return statement<[string, number], { n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM documents WHERE session_id = ? AND batch_no = ? AND status IN ('pending','leased')`,
  ).get(sessionId, batchNo)!.n;
}

export interface BatchOutcomeCounts {
  done: number;
  failed: number;
  skipped: number;
  total: number;
}

export function batchOutcomeCounts(db: Database, sessionId: string, batchNo: number): BatchOutcomeCounts {
  return statement<[string, number], BatchOutcomeCounts>(
    db,
    `SELECT COALESCE(SUM(status = 'done'), 0) AS done, COALESCE(SUM(status = 'failed'), 0) AS failed,
       COALESCE(SUM(status = 'skipped'), 0) AS skipped, COUNT(*) AS total
     FROM documents WHERE session_id = ? AND batch_no = ?`,
  ).get(sessionId, batchNo)!;
}

/** The earliest time a waiting retry becomes due, or null. */
export function earliestRetryAt(db: Database, sessionId: string): number | null {
  const row = statement<[string], { t: number | null }>(
    db,
    `SELECT MIN(next_attempt_at) AS t FROM documents WHERE session_id = ? AND status = 'pending' AND next_attempt_at IS NOT NULL`,
  ).get(sessionId);
  return row?.t ?? null;
}

export interface FailureRow {
  id: number;
  name: string;
  source_id: string;
  last_error_code: string | null;
  last_error_message: string | null;
  attempts: number;
  status: DocumentStatus;
}

export function failedDocuments(db: Database, sessionId: string, limit: number): FailureRow[] {
  return statement<[string, number], FailureRow>(
    db,
    `SELECT id, name, source_id, last_error_code, last_error_message, attempts, status FROM documents
     WHERE session_id = ? AND status = 'failed' ORDER BY last_error_code, name LIMIT ?`,
  ).all(sessionId, limit);
}

export function failureCountsByCode(db: Database, sessionId: string): { code: string; n: number }[] {
  return statement<[string], { code: string; n: number }>(
    db,
    `SELECT COALESCE(last_error_code, 'unknown') AS code, COUNT(*) AS n FROM documents
     WHERE session_id = ? AND status = 'failed' GROUP BY 1 ORDER BY n DESC, code`,
  ).all(sessionId);
}

export function skippedDocuments(db: Database, sessionId: string, limit: number): FailureRow[] {
  return statement<[string, number], FailureRow>(
    db,
    `SELECT id, name, source_id, last_error_code, last_error_message, attempts, status FROM documents
     WHERE session_id = ? AND status = 'skipped' ORDER BY name LIMIT ?`,
  ).all(sessionId, limit);
}

export function documentBySourceId(db: Database, sessionId: string, sourceId: string): DocumentRow | undefined {
  return statement<[string, string], DocumentRow>(
    db,
    'SELECT * FROM documents WHERE session_id = ? AND source_id = ?',
  ).get(sessionId, sourceId);
}

/** Copies another session's failed documents (optionally one code) into a new session as pending. */
export function copyFailedDocuments(
  db: Database,
  fromSessionId: string,
  toSessionId: string,
  code: string | null,
  now: number,
): number {
  return statement(
    db,
    `INSERT INTO documents (session_id, source_id, name, mime_type, size_bytes, checksum, modified_at, status, updated_at)
     SELECT ?, source_id, name, mime_type, size_bytes, checksum, modified_at, 'pending', ?
     FROM documents WHERE session_id = ? AND status = 'failed' AND (? IS NULL OR last_error_code = ?) ORDER BY id`,
  ).run(toSessionId, now, fromSessionId, code, code).changes;
}

export function totalBytesOfOpenDocuments(db: Database, sessionId: string): { docs: number; bytes: number } {
  return statement<[string], { docs: number; bytes: number }>(
    db,
    `SELECT COUNT(*) AS docs, COALESCE(SUM(size_bytes), 0) AS bytes FROM documents
     WHERE session_id = ? AND status IN ('pending','leased')`,
  ).get(sessionId)!;
}
