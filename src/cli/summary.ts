/** What the CLI prints when a session ends: a few lines for people, or one JSON object for machines. */
import type { SessionView } from '../core/engine/types.js';
import type { FailureRow } from '../core/store/documents.js';
import { formatDuration, formatUsd, oneLine, renderTable, truncate } from './format.js';

export interface SummaryJson {
  session_id: string;
  status: string;
  total_documents: number;
  done: number;
  failed: number;
  skipped: number;
  pages: number;
  ocr_pages: number;
  duration_seconds: number;
  total_cost: number;
  pause_reason: string | null;
  message: string | null;
}

export function summaryJson(view: SessionView): SummaryJson {
  return {
    session_id: view.session_id,
    status: view.status,
    total_documents: view.total_documents,
    done: view.done,
    failed: view.failed,
    skipped: view.skipped,
    pages: view.pages,
    ocr_pages: view.ocr_pages,
    duration_seconds: view.active_seconds,
    total_cost: view.total_cost,
    pause_reason: view.pause_reason,
    message: view.message,
  };
}

export function summaryText(view: SessionView, failures: readonly FailureRow[]): string {
  const lines = [
    `Session ${view.session_id} ${view.status} after ${formatDuration(view.active_seconds)}.`,
    `  ${view.total_documents} documents: ${view.done} done, ${view.failed} failed, ${view.skipped} skipped${view.remaining > 0 ? `, ${view.remaining} left` : ''}.`,
    `  ${view.pages} pages, ${view.ocr_pages} read by OCR.${view.total_cost > 0 ? ` Cost ${formatUsd(view.total_cost)}.` : ''}`,
  ];
  if (view.message) lines.push(`  ${view.message}`);
  if (failures.length > 0) {
    lines.push('', 'Not processed:');
    lines.push(
      renderTable(
        ['file', 'why', 'details'],
        failures.map((f) => [truncate(oneLine(f.name), 48), f.last_error_code ?? '?', truncate(oneLine(f.last_error_message ?? ''), 70)]),
      ),
    );
  }
  if (view.status === 'paused') lines.push('', `Resume with: aseagi resume ${view.session_id}`);
  if (view.status === 'completed' && view.done > 0) {
    lines.push('', 'Search the text: aseagi search "<words>"   ·   Export: aseagi export --format csv');
  }
  return lines.join('\n');
}
