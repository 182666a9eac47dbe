/** Builds what front ends show about a session from O(1) counters and a few small queries. */
import type { Database } from '../store/database.js';
import * as batches from '../store/batches.js';
import * as documents from '../store/documents.js';
import type { SessionRow } from '../store/sessions.js';
import * as workers from '../store/workers.js';
import type { SessionSummary } from './events.js';
import type { CurrentBatchView, SessionView } from './types.js';

const iso = (ms: number | null): string | null => (ms == null ? null : new Date(ms).toISOString());
const round2 = (n: number): number => Math.round(n * 100) / 100;

export function progressOf(session: SessionRow): { processed: number; remaining: number; percentage: number } {
  const processed = session.docs_done + session.docs_failed + session.docs_skipped;
  const remaining = Math.max(0, session.total_documents - processed);
  const percentage = session.total_documents === 0 ? (session.listing_complete ? 100 : 0) : (processed / session.total_documents) * 100;
  return { processed, remaining, percentage: round2(percentage) };
}

/** Documents per minute over the time the session actually ran, and the resulting ETA. */
export function throughputOf(session: SessionRow, now: number): { perMinute: number | null; etaSeconds: number | null; activeMs: number } {
  const activeMs = session.active_ms + (session.run_started_at != null ? Math.max(0, now - session.run_started_at) : 0);
  const worked = session.docs_done + session.docs_failed;
  if (activeMs < 1_000 || worked === 0) return { perMinute: null, etaSeconds: null, activeMs };
  const perMs = worked / activeMs;
  const { remaining } = progressOf(session);
  return { perMinute: round2(perMs * 60_000), etaSeconds: Math.round(remaining / perMs / 1000), activeMs };
}

export function buildSessionView(db: Database, session: SessionRow, now: number): SessionView {
  const { remaining, percentage } = progressOf(session);
  const { perMinute, etaSeconds, activeMs } = throughputOf(session, now);
  const current = currentBatches(db, session);
  const workerRows = workers.activeWorkers(db, session.id);
  const computeCost = session.compute_spent_usd;
  const running = session.status === 'running';
  return {
    session_id: session.id,
    status: session.status,
    pause_reason: session.pause_reason,
    message: session.status_message,
    source: session.source_label,
    compute: session.compute_kind,
    total_documents: session.total_documents,
    done: session.docs_done,
    failed: session.docs_failed,
    skipped: session.docs_skipped,
    remaining,
    total_batches: session.total_batches,
    completed_batches: session.batches_done,
    failed_batches: session.batches_failed,
    progress_percentage: percentage,
    pages: session.pages,
    ocr_pages: session.ocr_pages,
    bytes_processed: session.bytes_processed,
    created_at: iso(session.created_at)!,
    started_at: iso(session.started_at),
    finished_at: iso(session.finished_at),
    active_seconds: Math.round(activeMs / 1000),
    documents_per_minute: perMinute,
    eta_seconds: running ? etaSeconds : null,
    estimated_completion: running && etaSeconds != null ? iso(now + etaSeconds * 1000) : null,
    compute_cost: round2(computeCost),
    analysis_cost: round2(session.analysis_spent_usd),
    total_cost: round2(computeCost + session.analysis_spent_usd),
    budget: session.budget_usd,
    workers: workerRows.map((w) => ({ id: w.id, label: w.label, status: w.status, pricePerHour: w.price_per_hour, costUsd: round2(w.cost_usd) })),
    current_batch: current[0] ?? null,
    current_batches: current,
  };
}

function currentBatches(db: Database, session: SessionRow): CurrentBatchView[] {
  if (session.status !== 'running') return [];
  return batches.leasedBatches(db, session.id).map((b) => {
    const counts = documents.batchOutcomeCounts(db, session.id, b.batch_no);
    return {
      batch_id: `batch_${String(b.batch_no).padStart(4, '0')}`,
      batch_number: b.batch_no,
      document_count: counts.total,
      processed_count: counts.done + counts.failed + counts.skipped,
      status: 'processing' as const,
      worker: b.worker_id,
    };
  });
}

export function buildSummary(db: Database, session: SessionRow, now: number): SessionSummary {
  const failuresByCode: Record<string, number> = {};
  for (const row of documents.failureCountsByCode(db, session.id)) failuresByCode[row.code] = row.n;
  const { activeMs } = throughputOf(session, now);
  return {
    sessionId: session.id,
    status: session.status,
    totalDocuments: session.total_documents,
    done: session.docs_done,
    failed: session.docs_failed,
    skipped: session.docs_skipped,
    pages: session.pages,
    ocrPages: session.ocr_pages,
    failuresByCode,
    durationMs: activeMs,
    costUsd: round2(session.compute_spent_usd + session.analysis_spent_usd),
  };
}
