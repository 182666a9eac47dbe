/** `aseagi export`: every result as JSON lines or CSV, streamed (never the whole set in memory). */
import type { Writable } from 'node:stream';
import type { Database } from '../core/store/database.js';
import { iterateResults } from '../core/store/results.js';
import type { ResultRow } from '../core/store/results.js';

export type ExportFormat = 'jsonl' | 'csv';

const CSV_COLUMNS = [
  'source_id',
  'name',
  'status',
  'error_code',
  'error_message',
  'mime_type',
  'detected_type',
  'size_bytes',
  'pages',
  'text_pages',
  'ocr_pages',
  'words',
  'chars',
  'ocr_confidence',
  'ocr_engine',
  'session_id',
  'batch_no',
  'processed_at',
] as const satisfies readonly (keyof ResultRow)[];

/** RFC 4180 quoting; a leading = + - @ is prefixed so spreadsheets never run a cell as a formula. */
export function csvCell(value: unknown): string {
  if (value == null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function jsonRecord(row: ResultRow): Record<string, unknown> {
  const { id: _id, failed_pages_json, analysis_json, ...rest } = row;
  return {
    ...rest,
    processed_at: new Date(row.processed_at).toISOString(),
    failed_pages: failed_pages_json ? (JSON.parse(failed_pages_json) as unknown) : [],
    analysis: analysis_json ? (JSON.parse(analysis_json) as unknown) : null,
  };
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

export async function exportResults(
  db: Database,
  out: Writable,
  options: { format: ExportFormat; sessionId: string | null; withText: boolean },
): Promise<number> {
  const columns: string[] = [...CSV_COLUMNS, ...(options.withText ? ['text'] : [])];
  if (options.format === 'csv') await write(out, `${columns.join(',')}\r\n`);
  let count = 0;
  for (const row of iterateResults(db, options.sessionId)) {
    if (options.format === 'jsonl') {
      await write(out, `${JSON.stringify(jsonRecord(row))}\n`);
    } else {
      const values = columns.map((c) => (c === 'processed_at' ? new Date(row.processed_at).toISOString() : row[c as keyof ResultRow]));
      await write(out, `${values.map(csvCell).join(',')}\r\n`);
    }
    count += 1;
  }
  return count;
}
