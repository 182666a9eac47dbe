/**
 * The books every fault-matrix cell must balance: the session's counters agree with its documents, every finished
 * document has exactly one result in each sink (SQLite; Supabase when it is one) and no unfinished one has any,
 * and the spend stays within the budget.
 */
import { expect } from 'vitest';
import type { SessionView } from '../../../src/core/engine/types.js';
import type { Database } from '../../../src/core/store/database.js';
import { getSession } from '../../../src/core/store/sessions.js';
import type { SupabaseFake } from '../../fakes/supabase-fake.js';
import type { CellOutcome, CloudCell } from './cloud-cell.js';

export type StatusCounts = Partial<Record<'pending' | 'leased' | 'done' | 'failed' | 'skipped', number>>;

export function documentStatuses(db: Database, sessionId: string): StatusCounts {
  const rows = db.prepare('SELECT status, COUNT(*) AS n FROM documents WHERE session_id = ? GROUP BY status').all(sessionId) as { status: keyof StatusCounts; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

interface DocRow {
  source_id: string;
  status: string;
  last_error_code: string | null;
}

function documentsOf(db: Database, sessionId: string): DocRow[] {
  return db.prepare('SELECT source_id, status, last_error_code FROM documents WHERE session_id = ? ORDER BY id').all(sessionId) as DocRow[];
}

const SINK_STATUS: Record<string, string> = { done: 'completed', failed: 'failed', skipped: 'skipped' };

/** Counters = documents; one SQLite result per finished document and none for the others. Returns the statuses. */
export function expectLocalBooks(db: Database, view: SessionView, sourceKey: string): StatusCounts {
  const statuses = documentStatuses(db, view.session_id);
  expect({ done: view.done, failed: view.failed, skipped: view.skipped }).toEqual({ done: statuses.done ?? 0, failed: statuses.failed ?? 0, skipped: statuses.skipped ?? 0 });
  expect((statuses.done ?? 0) + (statuses.failed ?? 0) + (statuses.skipped ?? 0) + (statuses.pending ?? 0) + (statuses.leased ?? 0)).toBe(view.total_documents);
  expect(statuses.leased ?? 0).toBe(0);
  const docs = documentsOf(db, view.session_id);
  const results = db.prepare('SELECT source_id, status, error_code FROM results WHERE source_key = ? AND session_id = ?').all(sourceKey, view.session_id) as { source_id: string; status: string; error_code: string | null }[];
  const bySource = new Map(results.map((r) => [r.source_id, r]));
  expect(bySource.size).toBe(results.length);
  for (const doc of docs) {
    const result = bySource.get(doc.source_id);
    if (doc.status in SINK_STATUS) expect(result, doc.source_id).toMatchObject({ status: SINK_STATUS[doc.status] });
    else expect(result, doc.source_id).toBeUndefined();
  }
  expect(results.length).toBe(docs.filter((d) => d.status in SINK_STATUS).length);
  return statuses;
}

/** The same books in Supabase's journal: one row per finished Drive document, with the same outcome. */
export async function expectJournalBooks(supabase: SupabaseFake, db: Database, sessionId: string): Promise<void> {
  const docs = documentsOf(db, sessionId);
  const rows = await supabase.rows<{ google_drive_id: string; processing_status: string; error_code: string | null }>(
    'SELECT google_drive_id, processing_status, error_code FROM document_journal WHERE google_drive_id = ANY($1::text[])',
    [docs.map((d) => d.source_id)],
  );
  const byId = new Map(rows.map((r) => [r.google_drive_id, r]));
  for (const doc of docs) {
    const row = byId.get(doc.source_id);
    if (doc.status in SINK_STATUS) expect(row, doc.source_id).toMatchObject({ processing_status: SINK_STATUS[doc.status], error_code: doc.status === 'done' ? null : doc.last_error_code });
    else expect(row, doc.source_id).toBeUndefined();
  }
  const texts = await supabase.rows<{ n: number }>('SELECT COUNT(*)::int AS n FROM document_text WHERE google_drive_id = ANY($1::text[])', [docs.map((d) => d.source_id)]);
  expect(texts[0]!.n).toBe(docs.filter((d) => d.status === 'done').length);
}

/** Compute + analysis spend never passes the cap by more than `slackUsd` (one batch's worth, where renting). */
export function expectWithinBudget(db: Database, sessionId: string, slackUsd = 0): number {
  const session = getSession(db, sessionId)!;
  const spent = session.compute_spent_usd + session.analysis_spent_usd;
  expect(session.budget_usd).not.toBeNull();
  expect(spent).toBeLessThanOrEqual(session.budget_usd! + slackUsd);
  return spent;
}

/**
 * Analysis books: every extracted document analysed exactly once, its analysis kept locally and in the journal,
 * and the session's analysis spend equal to what the journal says each document cost.
 */
export async function expectAnalysisBooks(supabase: SupabaseFake, db: Database, sessionId: string): Promise<void> {
  const done = documentsOf(db, sessionId).filter((d) => d.status === 'done').map((d) => d.source_id);
  const local = db.prepare(`SELECT COUNT(*) AS n FROM results WHERE session_id = ? AND analysis_json IS NOT NULL`).get(sessionId) as { n: number };
  expect(local.n).toBe(done.length);
  const rows = await supabase.rows<{ google_drive_id: string; analysis_status: string | null; cost_usd: number | null }>(
    'SELECT google_drive_id, analysis_status, cost_usd::float AS cost_usd FROM document_journal WHERE google_drive_id = ANY($1::text[])',
    [done],
  );
  expect(rows).toHaveLength(done.length);
  expect(rows.every((r) => r.analysis_status === 'completed' && (r.cost_usd ?? 0) > 0)).toBe(true);
  const spent = getSession(db, sessionId)!.analysis_spent_usd;
  expect(rows.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0)).toBeCloseTo(spent, 4);
}

/**
 * A finished cloud cell: completed with the expected counts, the local and Supabase books balanced, every extracted
 * document analysed (and paid for) once since `claudeBefore` requests, and the spend within the budget.
 */
export async function expectCloudBooks(cell: CloudCell, sessionId: string, view: SessionView, outcome: CellOutcome, claudeBefore: number): Promise<void> {
  const { db } = cell.fixture.store;
  expect(view.status).toBe('completed');
  expect({ done: view.done, failed: view.failed, skipped: view.skipped }).toEqual({ failed: 0, skipped: 0, ...outcome });
  expectLocalBooks(db, view, 'gdrive');
  await expectJournalBooks(cell.fakes.supabase, db, sessionId);
  await expectAnalysisBooks(cell.fakes.supabase, db, sessionId);
  expect(cell.fakes.claude.batchedRequests - claudeBefore).toBe(outcome.done);
  expectWithinBudget(db, sessionId);
}
