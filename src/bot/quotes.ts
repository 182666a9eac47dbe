/**
 * Price quotes for renting: the provider's offers turned into what a person decides on (price per hour, estimated
 * total, hours), the budget cap we suggest, and whether prices rose since the last confirmation.
 */
import type { OfferEstimate } from '../core/engine/offer-estimate.js';
import type { Confirmation } from '../core/engine/ports.js';
import { quoteSession as quoteForSession } from '../core/quote.js';
import { getSession } from '../core/store/sessions.js';
import type { BotServices } from './services.js';

export interface Quote {
  offerId: string;
  label: string;
  pricePerHour: number;
  /** For the documents still to do. */
  estimatedUsd: number;
  /** Wall-clock hours on one machine. */
  hours: number;
  basis: string;
}

/** Everything a confirmation screen shows; JSON-safe (conversations store it). */
export interface QuoteSheet {
  sessionId: string;
  quotedAt: number;
  documents: number;
  bytes: number;
  spentUsd: number;
  budgetUsd: number | null;
  pauseReason: string | null;
  startedBefore: boolean;
  /** The highest $/h confirmed for this session, if it was ever confirmed. */
  confirmedPricePerHour: number | null;
  creditUsd: number | null;
  quotes: Quote[];
  /** Set when the provider could not be asked. */
  problem: string | null;
}

export function confirmationOf(json: string | null): Confirmation | null {
  return json ? (JSON.parse(json) as Confirmation) : null;
}

export function confirmedPrice(confirmation: Confirmation | null): number | null {
  if (!confirmation || confirmation.offers.length === 0) return null;
  return Math.max(...confirmation.offers.map((o) => o.pricePerHour));
}

/** One offer's estimate as a confirmation screen shows it. */
export function toQuote(e: OfferEstimate): Quote {
  return { offerId: e.offerId, label: e.label, pricePerHour: e.pricePerHour, estimatedUsd: e.totalUsd, hours: e.wallClockHours, basis: e.basis };
}

/** A cap with room for estimates being estimates: a quarter more than expected, whole dollars, at least $1. */
export function suggestBudget(spentUsd: number, quote: Quote): number {
  return Math.ceil(spentUsd + Math.max(1, quote.estimatedUsd * 1.25));
}

/** The lowest $/h on offer now, when even that is above what was confirmed: a reason to ask again. */
export function priceRise(sheet: QuoteSheet): { confirmed: number; best: number } | null {
  if (sheet.confirmedPricePerHour == null || sheet.quotes.length === 0) return null;
  const best = Math.min(...sheet.quotes.map((q) => q.pricePerHour));
  return best > sheet.confirmedPricePerHour + 1e-9 ? { confirmed: sheet.confirmedPricePerHour, best } : null;
}

/** Asks the provider for offers and prices what is left of a session (the shared quote, shaped for the bot). */
export async function quoteSession(services: BotServices, sessionId: string, limit = 5): Promise<QuoteSheet> {
  const { compute, db, analyzer, settings, timers, openSource } = services;
  const session = getSession(db, sessionId);
  if (!session) throw new Error(`no session ${sessionId}`);
  const quote = await quoteForSession({ db, compute, analyzer, openSource }, sessionId, { limit, maxPricePerHour: settings.maxPricePerHour, withCredit: true });
  return {
    sessionId,
    quotedAt: timers.now(),
    documents: quote.documents,
    bytes: quote.bytes,
    spentUsd: session.compute_spent_usd + session.analysis_spent_usd,
    budgetUsd: session.budget_usd,
    pauseReason: session.pause_reason,
    startedBefore: session.started_at != null,
    confirmedPricePerHour: confirmedPrice(confirmationOf(session.confirmation_json)),
    creditUsd: quote.creditUsd,
    quotes: quote.estimates.map(toQuote),
    problem: quote.problem,
  };
}
