/**
 * SQL for `results`: one row per source document (keyed by source key + source id, whatever the session), the
 * extracted text, and its FTS5 index.
 */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

export interface ResultRow {
  id: number;
  source_key: string;
  source_id: string;
  source_kind: string;
  session_id: string;
  batch_no: number;
  name: string;
  mime_type: string;
  size_bytes: number | null;
  checksum: string | null;
  status: 'completed' | 'failed' | 'skipped';
  error_code: string | null;
  error_message: string | null;
  detected_type: string | null;
  sha256: string | null;
  pages: number;
  text_pages: number;
  ocr_pages: number;
  failed_pages_json: string | null;
  chars: number;
  words: number;
  ocr_confidence: number | null;
  ocr_engine: string | null;
  duration_ms: number | null;
  worker_label: string | null;
  text: string;
  analysis_json: string | null;
  analysis_tokens: number | null;
  analysis_cost_usd: number | null;
  processed_at: number;
}

export type ResultUpsert = Omit<ResultRow, 'id'>;

/** Idempotent on (source_key, source_id): the last write wins, never a second row. */
export function upsertResult(db: Database, r: ResultUpsert): void {
  statement(
    db,
    `INSERT INTO results (source_key, source_id, source_kind, session_id, batch_no, name, mime_type, size_bytes, checksum,
       status, error_code, error_message, detected_type, sha256, pages, text_pages, ocr_pages, failed_pages_json, chars,
       words, ocr_confidence, ocr_engine, duration_ms, worker_label, text, analysis_json, analysis_tokens,
       analysis_cost_usd, processed_at)
     VALUES (@source_key, @source_id, @source_kind, @session_id, @batch_no, @name, @mime_type, @size_bytes, @checksum,
       @status, @error_code, @error_message, @detected_type, @sha256, @pages, @text_pages, @ocr_pages,
       @failed_pages_json, @chars, @words, @ocr_confidence, @ocr_engine, @duration_ms, @worker_label, @text,
       @analysis_json, @analysis_tokens, @analysis_cost_usd, @processed_at)
     ON CONFLICT (source_key, source_id) DO UPDATE SET
       source_kind = excluded.source_kind, session_id = excluded.session_id, batch_no = excluded.batch_no,
       name = excluded.name, mime_type = excluded.mime_type, size_bytes = excluded.size_bytes,
       checksum = excluded.checksum, status = excluded.status, error_code = excluded.error_code,
       error_message = excluded.error_message, detected_type = excluded.detected_type, sha256 = excluded.sha256,
       pages = excluded.pages, text_pages = excluded.text_pages, ocr_pages = excluded.ocr_pages,
       failed_pages_json = excluded.failed_pages_json, chars = excluded.chars, words = excluded.words,
       ocr_confidence = excluded.ocr_confidence, ocr_engine = excluded.ocr_engine, duration_ms = excluded.duration_ms,
       worker_label = excluded.worker_label, text = excluded.text,
       analysis_json = COALESCE(excluded.analysis_json, results.analysis_json),
       analysis_tokens = COALESCE(excluded.analysis_tokens, results.analysis_tokens),
       analysis_cost_usd = COALESCE(excluded.analysis_cost_usd, results.analysis_cost_usd),
       processed_at = excluded.processed_at`,
  ).run(r);
}

/** The checksum of a completed result for this document, if any: planning skips unchanged documents. */
export function completedChecksum(db: Database, sourceKey: string, sourceId: string): string | null | undefined {
  const row = statement<[string, string], { checksum: string | null }>(
    db,
    `SELECT checksum FROM results WHERE source_key = ? AND source_id = ? AND status = 'completed'`,
  ).get(sourceKey, sourceId);
  return row === undefined ? undefined : row.checksum;
}

export function getResult(db: Database, sourceKey: string, sourceId: string): ResultRow | undefined {
  return statement<[string, string], ResultRow>(db, 'SELECT * FROM results WHERE source_key = ? AND source_id = ?').get(
    sourceKey,
    sourceId,
  );
}

export function countResults(db: Database): number {
  return statement<[], { n: number }>(db, 'SELECT COUNT(*) AS n FROM results').get()!.n;
}

export function countSessionResults(db: Database, sessionId: string): number {
  return statement<[string], { n: number }>(db, 'SELECT COUNT(*) AS n FROM results WHERE session_id = ?').get(sessionId)!
    .n;
}

export interface SearchHit {
  id: number;
  source_key: string;
  source_id: string;
  name: string;
  session_id: string;
  pages: number;
  snippet: string;
  rank: number;
}

/**
 * Turns what a person typed into a safe FTS5 query: every word becomes a quoted term (all must match), so quotes,
 * colons and operators in the input can never be a syntax error. Returns null when nothing searchable remains.
 */
export function toFtsQuery(input: string): string | null {
  const terms = input.match(/[\p{L}\p{N}][\p{L}\p{N}_'’.-]*/gu) ?? [];
  if (terms.length === 0) return null;
  return terms.map((term) => `"${term.replace(/"/g, '""')}"`).join(' ');
}

/** Ranked full-text search over names and text; snippets mark hits with [ and ]. */
export function searchResults(db: Database, query: string, limit: number, offset = 0): SearchHit[] {
  const fts = toFtsQuery(query);
  if (!fts) return [];
  return statement<[string, number, number], SearchHit>(
    db,
    `SELECT r.id, r.source_key, r.source_id, r.name, r.session_id, r.pages,
       snippet(results_fts, 1, '[', ']', '…', 16) AS snippet, bm25(results_fts, 5.0, 1.0) AS rank
     FROM results_fts JOIN results r ON r.id = results_fts.rowid
     WHERE results_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?`,
  ).all(fts, limit, offset);
}

export function countSearchResults(db: Database, query: string): number {
  const fts = toFtsQuery(query);
  if (!fts) return 0;
  return statement<[string], { n: number }>(db, `SELECT COUNT(*) AS n FROM results_fts WHERE results_fts MATCH ?`).get(
    fts,
  )!.n;
}

/** Every result, optionally of one session, in id order; streamed for exports. */
export function iterateResults(db: Database, sessionId: string | null): IterableIterator<ResultRow> {
  return statement<[string | null, string | null], ResultRow>(
    db,
    `SELECT * FROM results WHERE (? IS NULL OR session_id = ?) ORDER BY id`,
  ).iterate(sessionId, sessionId);
}

export function setResultAnalysis(
  db: Database,
  sourceKey: string,
  sourceId: string,
  analysisJson: string,
  tokens: number,
  costUsd: number,
): void {
  statement(
    db,
    `UPDATE results SET analysis_json = ?, analysis_tokens = ?, analysis_cost_usd = ? WHERE source_key = ? AND source_id = ?`,
  ).run(analysisJson, tokens, costUsd, sourceKey, sourceId);
}
