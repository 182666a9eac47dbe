/** SQL for the `workers` table: every worker a session used, with its price and what it cost. */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

export type WorkerStatus = 'starting' | 'ready' | 'lost' | 'released';

export interface WorkerRow {
  id: string;
  session_id: string;
  kind: string;
  label: string;
  status: WorkerStatus;
  instance_id: string | null;
  gpu_name: string | null;
  price_per_hour: number | null;
  cost_usd: number;
  reason: string | null;
  started_at: number;
  ended_at: number | null;
}

export interface NewWorker {
  id: string;
  sessionId: string;
  kind: string;
  label: string;
  instanceId: string | null;
  gpuName: string | null;
  pricePerHour: number | null;
  now: number;
}

export function insertWorker(db: Database, w: NewWorker): void {
  statement(
    db,
    `INSERT INTO workers (id, session_id, kind, label, status, instance_id, gpu_name, price_per_hour, started_at)
     VALUES (@id, @sessionId, @kind, @label, 'starting', @instanceId, @gpuName, @pricePerHour, @now)
     ON CONFLICT (id) DO UPDATE SET status = 'starting', label = excluded.label`,
  ).run(w);
}

export function setWorkerStatus(db: Database, id: string, status: WorkerStatus, reason: string | null, now: number): void {
  const ended = status === 'lost' || status === 'released' ? now : null;
  statement(
    db,
    `UPDATE workers SET status = ?, reason = COALESCE(?, reason), ended_at = COALESCE(?, ended_at) WHERE id = ?`,
  ).run(status, reason, ended, id);
}

export function setWorkerCost(db: Database, id: string, costUsd: number): void {
  statement(db, `UPDATE workers SET cost_usd = ? WHERE id = ?`).run(costUsd, id);
}

export function activeWorkers(db: Database, sessionId: string): WorkerRow[] {
  return statement<[string], WorkerRow>(
    db,
    `SELECT * FROM workers WHERE session_id = ? AND status IN ('starting','ready') ORDER BY started_at`,
  ).all(sessionId);
}

export function sessionWorkers(db: Database, sessionId: string): WorkerRow[] {
  return statement<[string], WorkerRow>(db, `SELECT * FROM workers WHERE session_id = ? ORDER BY started_at`).all(
    sessionId,
  );
}

export function workerCostTotal(db: Database, sessionId: string): number {
  return statement<[string], { c: number }>(db, `SELECT COALESCE(SUM(cost_usd), 0) AS c FROM workers WHERE session_id = ?`).get(
    sessionId,
  )!.c;
}

/** After a crash no worker of ours is alive in this process. */
export function markAllActiveWorkersLost(db: Database, reason: string, now: number): number {
  return statement(
    db,
    `UPDATE workers SET status = 'lost', reason = ?, ended_at = ? WHERE status IN ('starting','ready')`,
  ).run(reason, now).changes;
}
