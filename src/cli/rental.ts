/**
 * Renting from the command line: nothing is rented unless the person says so with `--yes --max-cost <dollars>`.
 * Without them the CLI shows what it would rent and what it would cost, and stops.
 */
import { isFinishedSession } from '../core/engine/statuses.js';
import { acceptedOffers, quoteSession } from '../core/quote.js';
import type { SessionQuote } from '../core/quote.js';
import { getSession } from '../core/store/sessions.js';
import type { App } from '../main.js';
import { formatDuration, formatUsd, oneLine, renderTable, truncate } from './format.js';

export interface RentalFlags {
  yes?: boolean;
  maxCost?: number;
}

export function quoteTable(quote: SessionQuote): string {
  const rows = quote.estimates.map((e, i) => [
    i + 1,
    truncate(oneLine(e.label), 40),
    `${formatUsd(e.pricePerHour)}/h`,
    formatUsd(e.totalUsd),
    formatDuration(e.wallClockHours * 3600),
    e.boundedBy.replace('_', ' '),
  ]);
  return renderTable(['#', 'machine', 'price', 'estimated total', `time with ${quote.instances}`, 'bounded by'], rows);
}

/** Whether this session still needs a person's yes before anything is rented. */
export function needsConfirmation(app: App, sessionId: string): boolean {
  if (!app.compute.requiresConfirmation) return false;
  const session = getSession(app.store.db, sessionId);
  if (!session || isFinishedSession(session.status)) return false;
  if (!session.confirmation_json) return true;
  // A session that already ran resumes within its confirmed budget; one that never started must be fresh.
  const confirmation = JSON.parse(session.confirmation_json) as { expiresAt: number };
  return session.started_at == null && confirmation.expiresAt < Date.now();
}

/**
 * Confirms the best offer with the person's budget cap when `--yes --max-cost` were given; otherwise prints the quote
 * and how to agree to it. Returns whether the session may run.
 */
export async function confirmFromFlags(app: App, sessionId: string, flags: RentalFlags, print: (line: string) => void): Promise<boolean> {
  if (!needsConfirmation(app, sessionId)) return true;
  const quote = await quoteSession({ db: app.store.db, compute: app.compute, analyzer: app.analyzer, openSource: app.openSource }, sessionId, {
    limit: 3,
    withCredit: true,
  });
  if (quote.problem) {
    print(`Could not get prices from ${app.compute.describe()}: ${quote.problem}`);
    return false;
  }
  if (quote.offers.length === 0) {
    print('No machine is on offer within the configured limits right now. Nothing has been rented.');
    return false;
  }
  print(`${quote.documents} documents to process. Machines available now (best value first):\n${quoteTable(quote)}`);
  if (quote.creditUsd != null) print(`Account credit: ${formatUsd(quote.creditUsd)}.`);
  const best = quote.estimates[0]!;
  if (!flags.yes || flags.maxCost == null) {
    const suggested = Math.ceil(Math.max(1, best.totalUsd * 1.25));
    print(`\nNothing has been rented. To rent with a budget cap (the session pauses when it is reached):\n  aseagi resume ${sessionId} --yes --max-cost ${suggested}`);
    return false;
  }
  app.engine.confirm(sessionId, { maxTotalCostUsd: flags.maxCost, offers: acceptedOffers(quote, 1), by: 'cli' });
  print(`Confirmed: ${oneLine(best.label)} at ${formatUsd(best.pricePerHour)}/h, budget cap ${formatUsd(flags.maxCost)}.`);
  return true;
}
