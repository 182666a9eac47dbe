/**
 * Statements on `workers` that only rented compute needs: finding a worker by its provider instance id, so the
 * orphan reaper can book what an instance cost while nobody watched it (after a crash).
 */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

export interface InstanceWorkerRow {
  id: string;
  session_id: string;
  cost_usd: number;
}

export function workerByInstance(db: Database, kind: string, instanceId: string): InstanceWorkerRow | undefined {
  return statement<[string, string], InstanceWorkerRow>(
    db,
    `SELECT id, session_id, cost_usd FROM workers WHERE kind = ? AND instance_id = ? ORDER BY started_at DESC LIMIT 1`,
  ).get(kind, instanceId);
}

/** Raises a worker's recorded cost to `costUsd` (never lowers it: the larger figure is the safer one). */
export function raiseWorkerCost(db: Database, workerId: string, costUsd: number, now: number): void {
  statement(
    db,
    `UPDATE workers SET cost_usd = MAX(cost_usd, ?), status = CASE WHEN status IN ('starting','ready') THEN 'lost' ELSE status END,
       ended_at = COALESCE(ended_at, ?) WHERE id = ?`,
  ).run(costUsd, now, workerId);
}

