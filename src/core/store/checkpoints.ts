/**
 * SQL for `checkpoints`: named marks every N batches (`checkpoint_100` after 100 batches), the seed's resume points.
 * Progress itself is always durable; a checkpoint names a moment a person can refer to.
 */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

export interface CheckpointRow {
  session_id: string;
  name: string;
  completed_batches: number;
  docs_done: number;
  created_at: number;
}

export function insertCheckpoint(db: Database, c: CheckpointRow): void {
  statement(
    db,
    `INSERT OR IGNORE INTO checkpoints (session_id, name, completed_batches, docs_done, created_at)
     VALUES (@session_id, @name, @completed_batches, @docs_done, @created_at)`,
  ).run(c);
}

export function sessionCheckpoints(db: Database, sessionId: string): CheckpointRow[] {
  return statement<[string], CheckpointRow>(
    db,
    `SELECT * FROM checkpoints WHERE session_id = ? ORDER BY completed_batches`,
  ).all(sessionId);
}

export function allCheckpoints(db: Database, limit: number): CheckpointRow[] {
  return statement<[number], CheckpointRow>(db, `SELECT * FROM checkpoints ORDER BY created_at DESC LIMIT ?`).all(limit);
}

/** The newest checkpoint with this name (names repeat across sessions). */
export function checkpointByName(db: Database, name: string): CheckpointRow | undefined {
  return statement<[string], CheckpointRow>(
    db,
    `SELECT * FROM checkpoints WHERE name = ? ORDER BY created_at DESC LIMIT 1`,
  ).get(name);
}
