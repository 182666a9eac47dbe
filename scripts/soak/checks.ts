/**
 * The books after a soak phase, read straight from SQLite: every document exactly once — one result row, one
 * full-text entry, counted once in the session's counters, with its own text — and nothing of ours still running.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import type { SoakDocument } from './documents.js';
import { killRef, processesWithEnv, waitUntil } from './proc.js';
import type { ProcessRef } from './proc.js';

export interface Books {
  /** Documents without a completed result (or not marked done). */
  lost: string[];
  /** Documents with more than one result row, full-text entry, or count in the session's counters. */
  duplicated: string[];
  /** Anything else wrong: session state, counters, stray rows, text under the wrong document. */
  problems: string[];
}

interface SessionRow {
  id: string;
  status: string;
  total_documents: number;
  docs_done: number;
  docs_failed: number;
  docs_skipped: number;
  pages: number;
}

interface ResultCount {
  source_id: string;
  rows: number;
  id: number;
  status: string;
  text: string;
}

function checkSession(db: Database, expected: number, books: Books): SessionRow | null {
  const sessions = db.prepare('SELECT id, status, total_documents, docs_done, docs_failed, docs_skipped, pages FROM sessions').all() as SessionRow[];
  if (sessions.length !== 1) books.problems.push(`${sessions.length} sessions in the database, expected 1`);
  const session = sessions[0];
  if (!session) return null;
  if (session.status !== 'completed') books.problems.push(`session ${session.id} is ${session.status}, not completed`);
  if (session.total_documents !== expected) books.problems.push(`session lists ${session.total_documents} documents, expected ${expected}`);
  if (session.docs_failed !== 0 || session.docs_skipped !== 0) books.problems.push(`session counts ${session.docs_failed} failed and ${session.docs_skipped} skipped`);
  if (session.docs_done > expected) books.duplicated.push(`session counter: ${session.docs_done} done for ${expected} documents`);
  else if (session.docs_done < expected) books.problems.push(`session counter: ${session.docs_done} done of ${expected}`);
  const unfinished = (db.prepare(`SELECT COUNT(*) AS n FROM batches WHERE status <> 'done'`).get() as { n: number }).n;
  if (unfinished > 0) books.problems.push(`${unfinished} batches not done`);
  return session;
}

function checkDocuments(db: Database, expected: readonly SoakDocument[], books: Books): void {
  const rows = db.prepare('SELECT source_id, status FROM documents').all() as { source_id: string; status: string }[];
  const status = new Map(rows.map((row) => [row.source_id, row.status]));
  if (rows.length !== status.size) books.duplicated.push(`${rows.length - status.size} document rows listed twice`);
  const wanted = new Set(expected.map((doc) => doc.sourceId));
  for (const doc of expected) if (status.get(doc.sourceId) !== 'done') books.lost.push(`${doc.sourceId}: document ${status.get(doc.sourceId) ?? 'missing'}`);
  for (const id of status.keys()) if (!wanted.has(id)) books.problems.push(`unexpected document ${id}`);
}

function checkResults(db: Database, expected: readonly SoakDocument[], session: SessionRow | null, books: Books): void {
  const rows = db
    .prepare('SELECT source_id, COUNT(*) AS rows, MIN(id) AS id, MIN(status) AS status, MIN(text) AS text FROM results GROUP BY source_id')
    .all() as ResultCount[];
  const bySource = new Map(rows.map((row) => [row.source_id, row]));
  const fts = db.prepare('SELECT rowid FROM results_fts WHERE results_fts MATCH ?');
  for (const doc of expected) {
    const row = bySource.get(doc.sourceId);
    if (!row || row.status !== 'completed') {
      books.lost.push(`${doc.sourceId}: result ${row?.status ?? 'missing'}`);
      continue;
    }
    if (row.rows > 1) books.duplicated.push(`${doc.sourceId}: ${row.rows} result rows`);
    if (!doc.marker) continue;
    const markers = row.text.match(/soakmarker\d{6}/g) ?? [];
    if (markers.length !== 1 || markers[0] !== doc.marker) books.problems.push(`${doc.sourceId}: its result holds ${markers.join(', ') || 'no marker'}`);
    const hits = fts.all(doc.marker) as { rowid: number }[];
    if (hits.length > 1) books.duplicated.push(`${doc.sourceId}: ${hits.length} full-text entries`);
    else if (hits[0]?.rowid !== row.id) books.problems.push(`${doc.sourceId}: full-text search does not find it`);
  }
  const completed = rows.filter((row) => row.status === 'completed').length;
  if (session && session.docs_done !== completed) books.problems.push(`session counts ${session.docs_done} done, results hold ${completed}`);
  const pages = (db.prepare('SELECT COALESCE(SUM(pages), 0) AS n FROM results').get() as { n: number }).n;
  if (session && session.pages !== pages) books.problems.push(`session counts ${session.pages} pages, results hold ${pages}`);
}

/**
 * The full-text index agrees with the results table, row for row (rank 1 compares it with the content table; a
 * document indexed twice, or a result written behind the index's back, fails it).
 */
function checkFullTextIndex(db: Database, books: Books): void {
  try {
    db.prepare(`INSERT INTO results_fts (results_fts, rank) VALUES ('integrity-check', 1)`).run();
  } catch (error) {
    books.problems.push(`full-text index integrity check failed: ${String(error)}`);
  }
}

/** Reads the books of a finished phase. The CLI must have exited (the integrity check needs a writable handle). */
export function checkBooks(dbPath: string, expected: readonly SoakDocument[]): Books {
  const books: Books = { lost: [], duplicated: [], problems: [] };
  const db = new BetterSqlite3(dbPath, { fileMustExist: true });
  try {
    const session = checkSession(db, expected.length, books);
    checkDocuments(db, expected, books);
    checkResults(db, expected, session, books);
    checkFullTextIndex(db, books);
  } finally {
    db.close();
  }
  return books;
}

/**
 * Processes of ours (they inherit HOME) still running after `graceMs`: each is a violation. They are then killed,
 * so one phase's leftovers cannot disturb the next.
 */
export async function leftoverProcesses(home: string, graceMs = 15_000): Promise<ProcessRef[]> {
  const ours = (): ProcessRef[] => processesWithEnv(`HOME=${home}`);
  await waitUntil(() => ours().length === 0, graceMs, 200);
  const left = ours();
  left.forEach(killRef);
  return left;
}
