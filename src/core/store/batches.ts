/** SQL for the `batches` table: fixed groups of documents, cut at planning, leased to one worker at a time. */
import type { Database } from 'better-sqlite3';
import type { BatchStatus } from '../engine/statuses.js';
import { statement } from './database.js';

export interface BatchRow {
  session_id: string;
  batch_no: number;
  status: BatchStatus;
  doc_count: number;
  attempts: number;
  worker_id: string | null;
  leased_at: number | null;
  finished_at: number | null;
  busy_ms: number;
  losses: number;
}

/** Creates the batch rows for documents numbered after `afterBatchNo`. Returns how many were created. */
export function insertBatchesAfter(db: Database, sessionId: string, afterBatchNo: number): number {
  return statement(
    db,
    `INSERT INTO batches (session_id, batch_no, status, doc_count)
     SELECT session_id, batch_no, 'pending', COUNT(*) FROM documents
     WHERE session_id = ? AND batch_no > ? GROUP BY batch_no`,
  ).run(sessionId, afterBatchNo).changes;
}

export function maxBatchNo(db: Database, sessionId: string): number {
  return (
    statement<[string], { m: number | null }>(db, 'SELECT MAX(batch_no) AS m FROM batches WHERE session_id = ?').get(
      sessionId,
    )?.m ?? 0
  );
}

/** The lowest pending batch that has at least one document due now. */
export function nextLeasableBatch(db: Database, sessionId: string, now: number): number | null {
  const row = statement<[string, number], { batch_no: number }>(
    db,
    `SELECT b.batch_no FROM batches b
     WHERE b.session_id = ? AND b.status = 'pending'
       AND EXISTS (SELECT 1 FROM documents d WHERE d.session_id = b.session_id AND d.batch_no = b.batch_no
                   AND d.status = 'pending' AND COALESCE(d.next_attempt_at, 0) <= ?)
     ORDER BY b.batch_no LIMIT 1`,
  ).get(sessionId, now);
  return row?.batch_no ?? null;
}

export function leaseBatch(db: Database, sessionId: string, batchNo: number, workerId: string, now: number): void {
  statement(
    db,
    `UPDATE batches SET status = 'leased', worker_id = ?, leased_at = ?, attempts = attempts + 1
     WHERE session_id = ? AND batch_no = ?`,
  ).run(workerId, now, sessionId, batchNo);
}

/** Back to the queue (worker lost, pause, retries still due). */
export function returnBatchToQueue(db: Database, sessionId: string, batchNo: number, busyMs: number): void {
  statement(
    db,
    `UPDATE batches SET status = 'pending', worker_id = NULL, leased_at = NULL, busy_ms = busy_ms + ?
     WHERE session_id = ? AND batch_no = ?`,
  ).run(busyMs, sessionId, batchNo);
}

export function finishBatch(db: Database, sessionId: string, batchNo: number, status: 'done' | 'failed', busyMs: number, now: number): void {
  statement(
    db,
    `UPDATE batches SET status = ?, worker_id = NULL, finished_at = ?, busy_ms = busy_ms + ?
     WHERE session_id = ? AND batch_no = ?`,
  ).run(status, now, busyMs, sessionId, batchNo);
}

/** A worker died with this batch: from now on its documents go out one at a time, to find the culprit. */
export function countBatchLoss(db: Database, sessionId: string, batchNo: number): void {
  statement(db, `UPDATE batches SET losses = losses + 1 WHERE session_id = ? AND batch_no = ?`).run(sessionId, batchNo);
}

/** A finished batch gets work again (failed documents retried). */
export function reopenBatch(db: Database, sessionId: string, batchNo: number): void {
  statement(
    db,
    `UPDATE batches SET status = 'pending', finished_at = NULL, worker_id = NULL WHERE session_id = ? AND batch_no = ?`,
  ).run(sessionId, batchNo);
}

export function getBatch(db: Database, sessionId: string, batchNo: number): BatchRow | undefined {
  return statement<[string, number], BatchRow>(db, 'SELECT * FROM batches WHERE session_id = ? AND batch_no = ?').get(
    sessionId,
    batchNo,
  );
}

export function countBatchesWithStatus(db: Database, sessionId: string, status: BatchStatus): number {
  return statement<[string, string], { n: number }>(
    db,
    'SELECT COUNT(*) AS n FROM batches WHERE session_id = ? AND status = ?',
  ).get(sessionId, status)!.n;
}

/**
 * Open batches with no open document: a process that died after recording a batch's last result but before
 * settling the batch leaves one behind; nothing can lease it, so it must be settled as it is.
 */
export function openBatchesWithNothingOpen(db: Database, sessionId: string): number[] {
  return statement<[string], { batch_no: number }>(
    db,
    `SELECT b.batch_no FROM batches b
     WHERE b.session_id = ? AND b.status IN ('pending','leased')
       AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.session_id = b.session_id AND d.batch_no = b.batch_no
                       AND d.status IN ('pending','leased'))
     ORDER BY b.batch_no`,
  )
    .all(sessionId)
    .map((row) => row.batch_no);
}

/** Batches not finished: pending or leased. */
export function countOpenBatches(db: Database, sessionId: string): number {
  return statement<[string], { n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM batches WHERE session_id = ? AND status IN ('pending','leased')`,
  ).get(sessionId)!.n;
}

export function leasedBatches(db: Database, sessionId: string): BatchRow[] {
  return statement<[string], BatchRow>(
    db,
    `SELECT * FROM batches WHERE session_id = ? AND status = 'leased' ORDER BY batch_no`,
  ).all(sessionId);
}

/** After a crash nothing is leased any more. */
export function releaseAllLeasedBatches(db: Database): number {
  return statement(db, `UPDATE batches SET status = 'pending', worker_id = NULL, leased_at = NULL WHERE status = 'leased'`).run()
    .changes;
}

/** Seconds of worker time spent per finished batch, for calibration. */
export function finishedBatchTimings(db: Database, sessionId: string): { docs: number; busyMs: number } {
  return statement<[string], { docs: number; busyMs: number }>(
    db,
    `SELECT COALESCE(SUM(doc_count), 0) AS docs, COALESCE(SUM(busy_ms), 0) AS busyMs FROM batches
     WHERE session_id = ? AND status IN ('done','failed')`,
  ).get(sessionId)!;
}
