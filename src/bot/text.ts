/**
 * Text for Telegram, as pure functions: HTML escaping, names made safe to show, numbers and times for people, and
 * paging to Telegram's 4,096-character limit. Messages use HTML parse mode; everything that comes from outside
 * (file names, error messages, snippets, folder names) goes through {@link escapeHtml} or {@link safeName}.
 */
import { formatBytes, formatDuration, progressBar } from '../cli/format.js';

export { formatBytes, progressBar };

/** Telegram's limit for one message's text. */
export const MESSAGE_LIMIT = 4096;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Control characters and bidirectional overrides can make a file name display as something else (an `.exe`
 * shown as `.pdf`); they are removed, not shown.
 */
export function stripUnsafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
}

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** A file name, folder or message from outside, made safe for one line of an HTML message. */
export function safeName(text: string, max = 120): string {
  return escapeHtml(truncate(stripUnsafe(text).replace(/[\r\n\t]+/g, ' ').trim(), max));
}

/** An FTS snippet (hits marked with [ and ]) as HTML with the hits in bold; stray brackets stay as they are. */
export function snippetHtml(snippet: string, max = 300): string {
  const flat = truncate(stripUnsafe(snippet).replace(/-{3} page \d+ -{3}/g, ' ').replace(/\s+/g, ' ').trim(), max);
  return escapeHtml(flat).replace(/\[([^[\]]{1,200})\]/g, '<b>$1</b>');
}

const countFormat = new Intl.NumberFormat('en-US');

/** 12345 → "12,345". */
export function count(n: number): string {
  return countFormat.format(Math.round(n));
}

/** "1 document", "2 documents". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export function usd(amount: number | null | undefined): string {
  if (amount == null || !Number.isFinite(amount)) return '—';
  return `$${amount.toFixed(2)}`;
}

/** "$0.42/h". */
export function perHour(amount: number): string {
  return `${usd(amount)}/h`;
}

/** A measured duration: "2h 05m", "6s". */
export function duration(seconds: number | null | undefined): string {
  return formatDuration(seconds);
}

/** An estimated duration, "about 2h 05m"; seconds are noise, so short ones read "under a minute". */
export function roughDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return 'an unknown time';
  if (seconds < 60) return 'under a minute';
  if (seconds < 3_600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${formatDuration(Math.round(seconds / 60) * 60)}`;
}

/** A clock time in the configured zone: "02:00" (with the date when not today). */
export function clockTime(ms: number, timeZone: string | undefined, now: number): string {
  const zone = timeZone ? { timeZone } : {};
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', ...zone }).format(ms);
  const day = (t: number): string => new Intl.DateTimeFormat('en-CA', { dateStyle: 'short', ...zone }).format(t);
  return day(ms) === day(now) ? time : `${day(ms)} ${time}`;
}

/**
 * Groups lines into messages of at most `limit` characters, never splitting a line (each line carries its own
 * balanced tags). A line longer than the limit is cut, which only happens to text we did not write.
 */
export function pageLines(lines: readonly string[], limit = MESSAGE_LIMIT): string[] {
  const pages: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > limit ? `${stripTags(raw).slice(0, limit - 1).replace(/&[#a-zA-Z0-9]*$/, '')}…` : raw;
    const next = current.length === 0 ? line : `${current}\n${line}`;
    if (next.length > limit) {
      pages.push(current);
      current = line;
    } else current = next;
  }
  if (current.length > 0 || pages.length === 0) pages.push(current.length > 0 ? current : '—');
  return pages;
}

/** Tags removed and entities kept: what is left of an HTML line is still valid HTML. */
function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, '');
}
