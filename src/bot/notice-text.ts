/**
 * The notifications' words. Written for a busy, careful reader: short, exact numbers, never alarming, and always
 * what happens next and what it costs.
 */
import type { SessionSummary } from '../core/engine/events.js';
import type { SessionView } from '../core/engine/types.js';
import { spendLine } from './status-text.js';
import { count, duration, plural, roughDuration, safeName, usd } from './text.js';

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const CODE_LABELS: Record<string, string> = {
  encrypted: 'password-protected',
  corrupt: 'damaged file',
  unsupported_type: 'not a PDF or image',
  too_large: 'too large',
  too_complex: 'too complex to read',
  timeout: 'took too long',
  not_found: 'no longer in the folder',
  access_denied: 'no permission to read',
  fetch_failed: 'could not be downloaded',
  export_too_large: 'too large to export from Drive',
  worker_crashed: 'made the reader crash',
  internal: 'internal error',
};

/** "corrupt (damaged file)". */
export function codeLabel(code: string): string {
  const label = CODE_LABELS[code];
  return label ? `${safeName(code, 40)} (${label})` : safeName(code, 40);
}

/** "corrupt (damaged file): 4 · encrypted (password-protected): 1". */
export function countsByCode(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${codeLabel(code)}: ${count(n)}`)
    .join(' · ');
}

export function progressNotice(view: SessionView, completedBatches: number, totalBatches: number): string {
  const pct = totalBatches === 0 ? 0 : Math.floor((completedBatches / totalBatches) * 100);
  const speed =
    view.eta_seconds != null && view.documents_per_minute != null
      ? `${capitalise(roughDuration(view.eta_seconds))} left at ${view.documents_per_minute.toFixed(1)} documents/min.`
      : null;
  return [
    `<b>Progress</b>: ${count(completedBatches)} of ${count(totalBatches)} batches (${pct}%) · ${safeName(view.source, 80)}`,
    `${count(view.done)} documents done, ${count(view.failed)} could not be read, ${count(view.remaining)} left.`,
    ...(speed ? [speed] : []),
    `${spendLine(view)}.`,
  ].join('\n');
}

export interface FailureNote {
  code: string;
  name: string;
}

/** The first failure of a burst: told at once. */
export function firstFailureNotice(failure: FailureNote): string {
  return [
    `One document could not be read: ${safeName(failure.name)} — ${codeLabel(failure.code)}.`,
    'The work continues. If more follow, I group them into one message every 30 seconds. /failed lists them all.',
  ].join('\n');
}

/** The rest of a burst, grouped: counts by code and the first names. */
export function failureBurstNotice(failures: readonly FailureNote[], firstNames = 5): string {
  const counts: Record<string, number> = {};
  for (const f of failures) counts[f.code] = (counts[f.code] ?? 0) + 1;
  const names = failures.slice(0, firstNames).map((f) => safeName(f.name, 80));
  const more = failures.length > names.length ? `, and ${count(failures.length - names.length)} more` : '';
  return [
    `${plural(failures.length, 'more document')} could not be read: ${countsByCode(counts)}.`,
    `First ones: ${names.join(', ')}${more}.`,
    'The work continues. /failed lists them all and can retry them.',
  ].join('\n');
}

export function workerLostNotice(label: string, reason: string): string {
  return [
    `A machine stopped working: ${safeName(label, 80)} (${safeName(reason, 200)}).`,
    'Its unfinished documents go back to the queue: nothing is lost, nothing is paid twice.',
  ].join('\n');
}

export function workerReplacedNotice(oldLabel: string, newLabel: string | null): string {
  if (!newLabel) return `No replacement for ${safeName(oldLabel, 80)} is available; the work continues on the machines left, or pauses if none are.`;
  return `A replacement for ${safeName(oldLabel, 80)} is starting: ${safeName(newLabel, 80)}.`;
}

export function replacementReadyNotice(label: string): string {
  return `A replacement machine is working: ${safeName(label, 80)}. The work continues.`;
}

export function budgetNotice(spentUsd: number, capUsd: number): string {
  return [
    `<b>Budget reached</b>: ${usd(spentUsd)} spent of the ${usd(capUsd)} cap.`,
    'The work is paused and rented machines are released, so nothing more is spent. Everything done so far is kept.',
    'To continue, /resume and set a higher budget.',
  ].join('\n');
}

export function startedNotice(view: SessionView, resumed: boolean): string {
  const verb = resumed ? 'Resumed' : 'Started';
  return [
    `<b>${verb}</b>: ${safeName(view.source, 120)} — ${count(view.remaining)} of ${plural(view.total_documents, 'document')} to go.`,
    `Progress every few batches here; /status shows it live, /stop pauses or stops it.`,
  ].join('\n');
}

export function completedNotice(summary: SessionSummary, view: SessionView): string {
  const lines = [
    `<b>Finished</b>: ${safeName(view.source, 120)}`,
    `${plural(summary.totalDocuments, 'document')}: ${count(summary.done)} done, ${count(summary.failed)} could not be read, ${count(summary.skipped)} skipped (already done before, or gone).`,
    `${plural(summary.pages, 'page')}, ${count(summary.ocrPages)} of them read by OCR.`,
  ];
  if (summary.failed > 0) lines.push(`Not read: ${countsByCode(summary.failuresByCode)}. /failed shows them and can retry.`);
  lines.push(`Took ${duration(summary.durationMs / 1000)}. Cost: ${usd(summary.costUsd)}${view.budget != null ? ` (budget ${usd(view.budget)})` : ''}.`);
  lines.push('Search the text with /search followed by words. To export everything, run <code>aseagi export --format csv</code> on the server.');
  lines.push(`<i>Session ${safeName(summary.sessionId)}</i>`);
  return lines.join('\n');
}

export function stoppedNotice(view: SessionView): string {
  return `<b>Stopped</b> for good: ${safeName(view.source, 120)}. ${count(view.done)} documents done and kept; ${count(view.remaining)} were not processed. ${spendLine(view)}.`;
}

export function shutdownNotice(view: SessionView, nightly: string | null): string {
  const next = nightly ? `It resumes by itself at ${nightly}, or with /resume once the service is back.` : 'Use /resume once the service is back.';
  return `The service is shutting down: ${safeName(view.source, 120)} pauses now, with ${count(view.done)} documents done and kept. ${next}`;
}

export function failedNotice(view: SessionView): string {
  return [
    `<b>The session could not continue</b>: ${safeName(view.message ?? 'unknown reason', 300)}`,
    `${count(view.done)} documents done and kept. Nothing more runs or is spent. ${spendLine(view)}.`,
  ].join('\n');
}
