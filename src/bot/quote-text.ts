/** The words of the renting questions: offers, the confirmation, expired quotes, and starting on this machine. */
import type { Quote, QuoteSheet } from './quotes.js';
import { clockTime, count, duration, formatBytes, perHour, plural, roughDuration, safeName, usd } from './text.js';

export function offerButton(quote: Quote): string {
  return `${truncateLabel(quote.label)} · ${perHour(quote.pricePerHour)} · ≈${usd(quote.estimatedUsd)} · ${roughDuration(quote.hours * 3600).replace('about ', '≈')}`;
}

function truncateLabel(label: string): string {
  return label.length > 28 ? `${label.slice(0, 27)}…` : label;
}

export function offersHtml(sheet: QuoteSheet, intro: string | null): string {
  const lines = intro ? [intro, ''] : [];
  lines.push(`<b>${plural(sheet.documents, 'document')}</b> to process (${formatBytes(sheet.bytes)}). Machines available now, best value first:`);
  sheet.quotes.forEach((q, i) => {
    lines.push(`${i + 1}. ${safeName(q.label, 80)} — ${perHour(q.pricePerHour)}, about ${usd(q.estimatedUsd)} in total, ${roughDuration(q.hours * 3600)}`);
  });
  const basis = sheet.quotes[0]?.basis;
  if (basis) lines.push(`<i>Speed figures: ${safeName(basis, 200)}</i>`);
  lines.push('Nothing is rented until you confirm.');
  return lines.join('\n');
}

export interface ConfirmationTextOptions {
  ttlMs: number;
  timeZone: string | undefined;
}

export function confirmationHtml(sheet: QuoteSheet, quote: Quote, budgetUsd: number, options: ConfirmationTextOptions): string {
  const validUntil = clockTime(sheet.quotedAt + options.ttlMs, options.timeZone, sheet.quotedAt);
  const spent = sheet.spentUsd > 0 ? `, plus ${usd(sheet.spentUsd)} already spent` : '';
  const lines = [
    '<b>Please confirm</b>',
    `Machine: ${safeName(quote.label, 120)}`,
    `Price: ${usd(quote.pricePerHour)} per hour`,
    `Estimated total: ${usd(quote.estimatedUsd)} for ${plural(sheet.documents, 'document')} (${roughDuration(quote.hours * 3600)})${spent}`,
    `Budget cap: <b>${usd(budgetUsd)}</b> — the work pauses by itself before spending more, and the machine is released.`,
  ];
  if (sheet.creditUsd != null) {
    const short = sheet.creditUsd < quote.estimatedUsd ? ' That is less than the estimate: the work pauses when the credit runs out.' : '';
    lines.push(`Vast.ai credit: ${usd(sheet.creditUsd)}.${short}`);
  }
  lines.push(`This price is valid until ${validUntil} (${duration(options.ttlMs / 1000)}).`);
  return lines.join('\n');
}

export function expiredHtml(sheet: QuoteSheet, ttlMs: number, timeZone: string | undefined, now: number): string {
  return [
    `That price was quoted at ${clockTime(sheet.quotedAt, timeZone, now)} and has expired (quotes are valid for ${duration(ttlMs / 1000)}; prices move).`,
    'Nothing was rented. Here are the prices now:',
  ].join('\n');
}

export function priceRoseIntro(confirmed: number, best: number): string {
  return `Prices rose since you confirmed: the lowest is now ${perHour(best)}, you confirmed ${perHour(confirmed)}. Nothing runs until you choose again.`;
}

export function budgetSpentIntro(budgetUsd: number | null, spentUsd: number): string {
  return `It paused at its budget cap (${usd(spentUsd)} spent of ${usd(budgetUsd)}). To continue, choose a machine and set a higher cap.`;
}

export function budgetQuestion(spentUsd: number): string {
  const floor = spentUsd > 0 ? ` It has spent ${usd(spentUsd)} so far, so the cap must be more than that.` : '';
  return `Type the most this session may cost in total, in dollars (for example 25).${floor}`;
}

/** "25", "$25", "12.50", "1,000" → dollars; null when it is not a sensible amount. */
export function parseBudget(input: string): number | null {
  const cleaned = input.trim().replace(/^\$|usd$/i, '').replace(/[\s,]/g, '').replace(/\$$/, '');
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return null;
  const value = Number(cleaned);
  return value > 0 && value <= 100_000 ? value : null;
}

export interface LocalStartFacts {
  source: string;
  remaining: number;
  skipped: number;
  hours: number;
  compute: string;
  resumed: boolean;
}

export function localStartHtml(facts: LocalStartFacts): string {
  const skipped = facts.skipped > 0 ? ` ${plural(facts.skipped, 'document')} done before ${facts.skipped === 1 ? 'is' : 'are'} skipped.` : '';
  return [
    `<b>${count(facts.remaining)}</b> documents to process (${safeName(facts.source, 160)}).${skipped}`,
    `No rental is needed: this runs on this machine (${safeName(facts.compute, 80)}) at no cost; it takes ${roughDuration(facts.hours * 3600)}.`,
    `${facts.resumed ? 'Resumed' : 'Started'}. /status shows progress; /stop pauses or stops it.`,
  ].join('\n');
}
