/**
 * Rows for Supabase's `document_journal` and `document_text` (supabase/migrations/…_document_journal.sql), built
 * from the engine's records. Every row of one kind carries the same keys: a bulk upsert sets missing keys to NULL,
 * so a row must never rely on "not mentioned" meaning "left alone".
 */
import type { AnalysisRecord, SinkRecord } from '../../engine/ports.js';

/** The migration the sink needs; named in every schema error. */
export const JOURNAL_MIGRATION = 'supabase/migrations/20261120000000_document_journal.sql';
export const JOURNAL_TABLE = 'document_journal';
export const TEXT_TABLE = 'document_text';

/**
 * The unique, non-null upsert key: a Drive file id as it is (Drive ids are global), anything else as
 * `<source key>:<source id>` so a local folder's documents fit the same table.
 */
export function journalId(sourceKey: string, sourceId: string): string {
  return sourceKey === 'gdrive' ? sourceId : `${sourceKey}:${sourceId}`;
}

export type JournalRow = Record<string, string | number | null | unknown[] | Record<string, unknown>>;

const DOCUMENT_TYPES = new Set(['TEXT', 'TRNS', 'CPSR', 'MEDR', 'FORN', 'PLCR', 'ORDR', 'DECL', 'EXPA', 'MOTN', 'RESP', 'EVID', 'OTHER']);
const IMPORTANCE = new Set(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'REFERENCE']);

/** Analysis columns, each with the conversion that keeps a bad value from failing the whole upsert. */
const ANALYSIS_COLUMNS: Record<string, (value: unknown) => JournalRow[string]> = {
  document_type: (v) => (typeof v === 'string' && DOCUMENT_TYPES.has(v) ? v : null),
  document_date: isoDate,
  document_title: text,
  executive_summary: text,
  micro_number: rangeInt(0, 999),
  macro_number: rangeInt(0, 999),
  legal_number: rangeInt(0, 999),
  category_number: rangeInt(0, 999),
  relevancy_number: rangeInt(0, 999),
  importance: (v) => (typeof v === 'string' && IMPORTANCE.has(v) ? v : null),
  key_quotes: jsonArray,
  smoking_guns: jsonArray,
  parties: jsonArray,
  keywords: jsonArray,
  fraud_indicators: jsonArray,
  perjury_indicators: jsonArray,
  w388_relevance: rangeInt(0, 100),
  ccp473_relevance: rangeInt(0, 100),
  criminal_relevance: rangeInt(0, 100),
};

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function rangeInt(min: number, max: number): (value: unknown) => number | null {
  return (value) => (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : null);
}

function jsonArray(value: unknown): unknown[] | null {
  return Array.isArray(value) ? value : null;
}

/** `YYYY-MM-DD` that is a real date, else null (the model may answer "unknown" or a partial date). */
function isoDate(value: unknown): string | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value ? null : value;
}

function identity(sourceKey: string, sourceKind: string, sourceId: string, name: string): JournalRow {
  return {
    google_drive_id: journalId(sourceKey, sourceId),
    source: sourceKind,
    source_key: sourceKey,
    source_id: sourceId,
    original_filename: name,
  };
}

function emptyAnalysis(status: 'pending' | null): JournalRow {
  const row: JournalRow = { analysis_status: status, analysis_error: null, analysis: null, analysis_model: null, tokens_used: null, cost_usd: null };
  for (const column of Object.keys(ANALYSIS_COLUMNS)) row[column] = null;
  return row;
}

/**
 * A document's extraction outcome. Analysis columns are reset: a document (re)extracted now has no analysis yet,
 * and `analysisPending` says whether one will follow.
 */
export function extractionRow(record: SinkRecord, analysisPending: boolean): JournalRow {
  const result = record.result;
  return {
    ...identity(record.sourceKey, record.sourceKind, record.document.sourceId, record.document.name),
    mime_type: record.document.mimeType,
    file_size_bytes: record.document.sizeBytes ?? result?.bytes ?? null,
    checksum: record.document.checksum,
    processing_status: record.status,
    error_code: record.error?.code ?? null,
    error_message: record.error?.message ?? null,
    page_count: result?.pages ?? null,
    ocr_page_count: result?.ocrPages ?? null,
    word_count: result?.words ?? null,
    ocr_engine: result?.ocrEngine ?? null,
    ocr_confidence: result?.ocrConfidence ?? null,
    processed_date: new Date(record.processedAt).toISOString(),
    processing_duration_seconds: result ? Math.round(result.timings.totalMs) / 1000 : null,
    session_id: record.sessionId,
    batch_number: record.batchNo,
    processor_name: record.workerLabel,
    ...emptyAnalysis(analysisPending && record.status === 'completed' ? 'pending' : null),
  };
}

/** The companion text row, for documents that produced text. */
export function textRow(record: SinkRecord): JournalRow | null {
  const content = record.result?.text ?? '';
  if (record.status !== 'completed' || content.length === 0) return null;
  return { google_drive_id: journalId(record.sourceKey, record.document.sourceId), content, char_count: content.length };
}

/**
 * A document's analysis, written after its extraction. The identity columns are repeated because Postgres checks
 * NOT NULL before it resolves the conflict, even when the row exists.
 */
export function analysisRow(record: AnalysisRecord): JournalRow {
  const { analysis } = record;
  const row: JournalRow = {
    ...identity(record.sourceKey, record.sourceKind, record.sourceId, record.name),
    ...emptyAnalysis(null),
    analysis_status: analysis.status === 'ok' ? 'completed' : 'failed',
    analysis_error: analysis.status === 'ok' ? null : `${analysis.errorCode ?? 'analysis_failed'}: ${analysis.error ?? 'no details'}`,
    analysis: analysis.data,
    analysis_model: analysis.model,
    tokens_used: analysis.inputTokens + analysis.outputTokens,
    cost_usd: Math.round(analysis.costUsd * 1e6) / 1e6,
  };
  const data = analysis.data ?? {};
  for (const [column, convert] of Object.entries(ANALYSIS_COLUMNS)) row[column] = convert(data[column]);
  return row;
}

/** Later rows win: one request must not name the same key twice (Postgres refuses to update a row twice). */
export function dedupeByKey(rows: readonly JournalRow[]): JournalRow[] {
  const byKey = new Map<unknown, JournalRow>();
  for (const row of rows) byKey.set(row.google_drive_id, row);
  return [...byKey.values()];
}

/** Splits rows into requests of at most `maxRows` rows and about `maxBytes` of JSON (a big row goes alone). */
export function chunkRows(rows: readonly JournalRow[], maxRows: number, maxBytes: number): JournalRow[][] {
  const chunks: JournalRow[][] = [];
  let current: JournalRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = approximateBytes(row);
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function approximateBytes(row: JournalRow): number {
  const content = row.content;
  // Text dominates; measuring it avoids serialising every row twice.
  return typeof content === 'string' ? content.length * 1.1 + 200 : 2_000;
}
