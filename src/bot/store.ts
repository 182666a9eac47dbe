/**
 * SQL for the bot: its own tables (`bot_conversations`, `bot_status_messages`, migration `0002_bot_state`) and the
 * few read-only queries over the engine's tables that only the bot needs. One small named function per statement.
 */
import type { Database } from 'better-sqlite3';
import { statement } from '../core/store/database.js';
import type { SessionRow } from '../core/store/sessions.js';

// ─── Conversations ──────────────────────────────────────────────────────────────────────────────────────────

export function readConversation(db: Database, key: string): string | undefined {
  return statement<[string], { state_json: string }>(db, 'SELECT state_json FROM bot_conversations WHERE key = ?').get(key)
    ?.state_json;
}

export function writeConversation(db: Database, key: string, stateJson: string, now: number): void {
  statement(
    db,
    `INSERT INTO bot_conversations (key, state_json, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at`,
  ).run(key, stateJson, now);
}

export function deleteConversation(db: Database, key: string): void {
  statement(db, 'DELETE FROM bot_conversations WHERE key = ?').run(key);
}

// ─── Live status messages ───────────────────────────────────────────────────────────────────────────────────

export interface StatusMessageRow {
  chat_id: number;
  message_id: number;
  session_id: string;
  text: string;
  updated_at: number;
}

/** One live status message per chat: a newer one replaces the older. */
export function upsertStatusMessage(db: Database, row: StatusMessageRow): void {
  statement(
    db,
    `INSERT INTO bot_status_messages (chat_id, message_id, session_id, text, updated_at)
     VALUES (@chat_id, @message_id, @session_id, @text, @updated_at)
     ON CONFLICT (chat_id) DO UPDATE SET message_id = excluded.message_id, session_id = excluded.session_id,
       text = excluded.text, updated_at = excluded.updated_at`,
  ).run(row);
}

export function statusMessagesOfSession(db: Database, sessionId: string): StatusMessageRow[] {
  return statement<[string], StatusMessageRow>(db, 'SELECT * FROM bot_status_messages WHERE session_id = ?').all(sessionId);
}

export function statusMessageOfChat(db: Database, chatId: number): StatusMessageRow | undefined {
  return statement<[number], StatusMessageRow>(db, 'SELECT * FROM bot_status_messages WHERE chat_id = ?').get(chatId);
}

export function setStatusMessageText(db: Database, chatId: number, messageId: number, text: string, now: number): void {
  statement(db, 'UPDATE bot_status_messages SET text = ?, updated_at = ? WHERE chat_id = ? AND message_id = ?').run(
    text,
    now,
    chatId,
    messageId,
  );
}

export function deleteStatusMessage(db: Database, chatId: number, messageId: number): void {
  statement(db, 'DELETE FROM bot_status_messages WHERE chat_id = ? AND message_id = ?').run(chatId, messageId);
}

// ─── Reads over the engine's tables ─────────────────────────────────────────────────────────────────────────

/** Sessions a person can continue, newest first. */
export function resumableSessions(db: Database, limit: number): SessionRow[] {
  return statement<[number], SessionRow>(
    db,
    `SELECT * FROM sessions WHERE status IN ('paused','planned','awaiting_confirmation')
     ORDER BY created_at DESC, rowid DESC LIMIT ?`,
  ).all(limit);
}

/** Paused sessions whose pause reason is one of `reasons`, oldest first (the nightly job's queue). */
export function pausedSessionsFor(db: Database, reasons: readonly string[]): SessionRow[] {
  return statement<[string], SessionRow>(
    db,
    `SELECT * FROM sessions WHERE status = 'paused' AND pause_reason IN (SELECT value FROM json_each(?))
     ORDER BY created_at, rowid`,
  ).all(JSON.stringify(reasons));
}

/** The newest session with at least one failed document. */
export function latestSessionWithFailures(db: Database): SessionRow | undefined {
  return statement<[], SessionRow>(
    db,
    'SELECT * FROM sessions WHERE docs_failed > 0 ORDER BY created_at DESC, rowid DESC LIMIT 1',
  ).get();
}

export interface ResultTotals {
  documents: number;
  completed: number;
  failed: number;
  pages: number;
  ocr_pages: number;
}

export function resultTotals(db: Database): ResultTotals {
  return statement<[], ResultTotals>(
    db,
    `SELECT COUNT(*) AS documents, COALESCE(SUM(status = 'completed'), 0) AS completed,
       COALESCE(SUM(status = 'failed'), 0) AS failed, COALESCE(SUM(pages), 0) AS pages,
       COALESCE(SUM(ocr_pages), 0) AS ocr_pages
     FROM results`,
  ).get()!;
}

export interface RecentResultRow {
  name: string;
  status: string;
  pages: number;
  ocr_pages: number;
  words: number;
  error_code: string | null;
  processed_at: number;
}

export function recentResults(db: Database, limit: number): RecentResultRow[] {
  return statement<[number], RecentResultRow>(
    db,
    `SELECT name, status, pages, ocr_pages, words, error_code, processed_at FROM results
     ORDER BY processed_at DESC, id DESC LIMIT ?`,
  ).all(limit);
}
