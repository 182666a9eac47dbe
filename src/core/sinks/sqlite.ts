/**
 * The default sink: results in the engine's own SQLite database (`results` + its FTS5 index). Written inside the
 * same transaction that marks documents done, so the two can never disagree.
 */
import type { Database } from '../store/database.js';
import type { ResultSink, SinkRecord } from '../engine/ports.js';
import { upsertResult } from '../store/results.js';
import type { ResultUpsert } from '../store/results.js';

export function toResultRow(r: SinkRecord): ResultUpsert {
  const result = r.result;
  return {
    source_key: r.sourceKey,
    source_id: r.document.sourceId,
    source_kind: r.sourceKind,
    session_id: r.sessionId,
    batch_no: r.batchNo,
    name: r.document.name,
    mime_type: r.document.mimeType,
    size_bytes: r.document.sizeBytes ?? result?.bytes ?? null,
    checksum: r.document.checksum,
    status: r.status,
    error_code: r.error?.code ?? null,
    error_message: r.error?.message ?? null,
    detected_type: result?.detectedType ?? null,
    sha256: result?.sha256 ?? null,
    pages: result?.pages ?? 0,
    text_pages: result?.textPages ?? 0,
    ocr_pages: result?.ocrPages ?? 0,
    failed_pages_json: result && result.failedPages.length > 0 ? JSON.stringify(result.failedPages) : null,
    chars: result?.chars ?? 0,
    words: result?.words ?? 0,
    ocr_confidence: result?.ocrConfidence ?? null,
    ocr_engine: result?.ocrEngine ?? null,
    duration_ms: result ? Math.round(result.timings.totalMs) : null,
    worker_label: r.workerLabel,
    text: result?.text ?? '',
    analysis_json: r.analysis?.data ? JSON.stringify(r.analysis.data) : null,
    analysis_tokens: r.analysis ? r.analysis.inputTokens + r.analysis.outputTokens : null,
    analysis_cost_usd: r.analysis?.costUsd ?? null,
    processed_at: r.processedAt,
  };
}

export function createSqliteSink(db: Database): ResultSink {
  const writeAll = (records: readonly SinkRecord[]): void => {
    for (const record of records) upsertResult(db, toResultRow(record));
  };
  return { kind: 'sqlite', writeInTransaction: writeAll };
}
