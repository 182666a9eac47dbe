/**
 * What a session looks like in Telegram: the live `/status` message and the one-line summaries used in lists.
 * Pure functions of the engine's {@link SessionView}; no timestamps inside, so an unchanged session renders to the
 * same text and the edit can be skipped.
 */
import type { SessionView } from '../core/engine/types.js';
import type { SessionStatus } from '../core/engine/statuses.js';
import { clockTime, count, perHour, plural, progressBar, roughDuration, safeName, usd } from './text.js';

export interface StatusTextOptions {
  timeZone: string | undefined;
  now: number;
  /** When the nightly job next runs (it resumes interrupted sessions), if it is scheduled. */
  nightlyAt: number | null;
}

const STATUS_WORDS: Record<SessionStatus, string> = {
  planned: 'Ready to start',
  awaiting_confirmation: 'Waiting for a cost confirmation',
  running: 'Running',
  paused: 'Paused',
  completed: 'Finished',
  stopped: 'Stopped',
  failed: 'Failed',
};

export function statusWord(status: SessionStatus): string {
  return STATUS_WORDS[status];
}

/** Pause reasons the nightly job resumes by itself: nobody chose to stop, and money is not the question. */
export const NIGHTLY_REASONS = ['interrupted', 'no_workers', 'shutdown'] as const;

export function resumesAtNight(pauseReason: string | null): boolean {
  return pauseReason != null && (NIGHTLY_REASONS as readonly string[]).includes(pauseReason);
}

/** The live status message. */
export function statusHtml(view: SessionView, options: StatusTextOptions): string {
  const fraction = view.total_documents === 0 ? 0 : view.progress_percentage / 100;
  const lines = [
    `<b>${statusWord(view.status)}</b> · ${safeName(view.source)}`,
    `<code>${progressBar(fraction, 16)}</code> ${Math.floor(view.progress_percentage)}%`,
    `Documents: ${count(view.done)} done · ${count(view.failed)} failed · ${count(view.remaining)} left (of ${count(view.total_documents)})`,
    `Pages: ${count(view.pages)} (${count(view.ocr_pages)} read by OCR)`,
  ];
  if (view.skipped > 0) lines.push(`Skipped: ${plural(view.skipped, 'document')} (already done before, or gone)`);
  if (view.status === 'running') lines.push(speedLine(view, options));
  lines.push(spendLine(view));
  if (view.status === 'running' && view.workers.length > 0) lines.push(`Machines: ${view.workers.map(workerText).join(', ')}`);
  const next = nextStep(view, options);
  if (next) lines.push('', next);
  lines.push(`<i>Session ${safeName(view.session_id)}</i>`);
  return lines.join('\n');
}

function speedLine(view: SessionView, options: StatusTextOptions): string {
  if (view.documents_per_minute == null) return 'Speed: measuring…';
  const eta = view.eta_seconds == null ? '' : ` · ${roughDuration(view.eta_seconds)} left (done around ${clockTime(options.now + view.eta_seconds * 1000, options.timeZone, options.now)})`;
  return `Speed: ${view.documents_per_minute.toFixed(1)} documents/min${eta}`;
}

export function spendLine(view: SessionView): string {
  const budget = view.budget != null ? ` of the ${usd(view.budget)} budget` : '';
  return `Spent: ${usd(view.total_cost)}${budget}`;
}

function workerText(w: SessionView['workers'][number]): string {
  const price = w.pricePerHour ? `, ${perHour(w.pricePerHour)}` : '';
  return `${safeName(w.label, 60)} (${w.status}${price})`;
}

/** What happens next, for every state that is not simply running. */
export function nextStep(view: SessionView, options: StatusTextOptions): string | null {
  switch (view.status) {
    case 'paused':
      return pausedNextStep(view, options);
    case 'planned':
      return 'Nothing has started yet. /resume starts it.';
    case 'awaiting_confirmation':
      return 'Nothing is rented until someone confirms the price. /resume shows the offers.';
    case 'completed':
      return 'All done. /search finds words in the text; /failed lists what could not be read.';
    case 'stopped':
      return 'Stopped for good. The documents already done are kept.';
    case 'failed':
      return `It could not continue: ${safeName(view.message ?? 'unknown reason', 300)}`;
    default:
      return null;
  }
}

function pausedNextStep(view: SessionView, options: StatusTextOptions): string {
  const why = view.message ? `${safeName(view.message, 300)} ` : '';
  if (view.pause_reason === 'budget') return `${why}Nothing more is spent. To continue, /resume and set a higher budget.`;
  if (view.pause_reason === 'credit') return `${why}Add credit to the Vast.ai account, then /resume.`;
  if (resumesAtNight(view.pause_reason) && options.nightlyAt != null) {
    return `${why}Nothing is lost. It resumes by itself at ${clockTime(options.nightlyAt, options.timeZone, options.now)}, or now with /resume.`;
  }
  return `${why}Nothing is lost. /resume continues where it stopped.`;
}

/** One line for lists (/resume, /checkpoints): what it is and how far it got. */
export function sessionLine(view: SessionView): string {
  const progress = `${count(view.done + view.failed + view.skipped)}/${count(view.total_documents)}`;
  return `${statusWord(view.status)} · ${safeName(view.source, 60)} · ${progress} documents`;
}
