/** SQL for the append-only `events` audit log. */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

export interface EventRow {
  id: number;
  session_id: string | null;
  at: number;
  type: string;
  data_json: string;
}

export function appendEvent(db: Database, sessionId: string | null, at: number, type: string, dataJson: string): void {
  statement(db, `INSERT INTO events (session_id, at, type, data_json) VALUES (?, ?, ?, ?)`).run(
    sessionId,
    at,
    type,
    dataJson,
  );
}

export function sessionEvents(db: Database, sessionId: string, afterId: number, limit: number): EventRow[] {
  return statement<[string, number, number], EventRow>(
    db,
    `SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`,
  ).all(sessionId, afterId, limit);
}

export function recentEvents(db: Database, limit: number): EventRow[] {
  return statement<[number], EventRow>(db, `SELECT * FROM events ORDER BY id DESC LIMIT ?`).all(limit);
}
