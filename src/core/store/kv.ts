/** SQL for `kv`: small named values that must survive restarts (e.g. a Drive changes page token). */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

export function getValue(db: Database, key: string): string | undefined {
  return statement<[string], { value: string }>(db, 'SELECT value FROM kv WHERE key = ?').get(key)?.value;
}

export function setValue(db: Database, key: string, value: string, now: number): void {
  statement(
    db,
    `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key, value, now);
}

export function deleteValue(db: Database, key: string): void {
  statement(db, 'DELETE FROM kv WHERE key = ?').run(key);
}
