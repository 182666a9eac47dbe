/**
 * Price quotes for renting: the provider's offers turned into what a person decides on (price per hour, estimated
 * total, hours), the budget cap we suggest, and whether prices rose since the last confirmation.
 */
import { estimate } from '../core/engine/estimate.js';
import type { ComputeOffer, Confirmation } from '../core/engine/ports.js';
import { coerceError } from '../core/errors.js';
import { totalBytesOfOpenDocuments } from '../core/store/documents.js';
import { getSession } from '../core/store/sessions.js';
import type { BotServices } from './services.js';

/** Average characters per document assumed for analysis estimates until the engine measures it. */
const ASSUMED_CHARS_PER_DOCUMENT = 6_000;

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

export function quoteOffer(offer: ComputeOffer, input: { documents: number; bytes: number; batchSize: number; analysisCostPerDocument: number }): Quote {
  const e = estimate({
    documents: input.documents,
    batchSize: input.batchSize,
    totalBytes: input.bytes,
    costPerHour: offer.pricePerHour,
    workers: 1,
    secondsPerDocument: offer.secondsPerDocument,
    basis: offer.basis,
    analysisCostPerDocument: input.analysisCostPerDocument,
  });
  return { offerId: offer.id, label: offer.label, pricePerHour: offer.pricePerHour, estimatedUsd: e.total_cost, hours: e.wall_clock_hours, basis: e.basis };
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

/** Asks the provider for offers and prices what is left of a session. */
export async function quoteSession(services: BotServices, sessionId: string, limit = 5): Promise<QuoteSheet> {
  const { compute, db, analyzer, settings, timers } = services;
  const session = getSession(db, sessionId);
  if (!session) throw new Error(`no session ${sessionId}`);
  const open = totalBytesOfOpenDocuments(db, sessionId);
  const confirmation = confirmationOf(session.confirmation_json);
  const sheet: QuoteSheet = {
    sessionId,
    quotedAt: timers.now(),
    documents: open.docs,
    bytes: open.bytes,
    spentUsd: session.compute_spent_usd + session.analysis_spent_usd,
    budgetUsd: session.budget_usd,
    pauseReason: session.pause_reason,
    startedBefore: session.started_at != null,
    confirmedPricePerHour: confirmedPrice(confirmation),
    creditUsd: null,
    quotes: [],
    problem: null,
  };
  try {
    const offers = (await compute.findOffers?.({ limit, maxPricePerHour: settings.maxPricePerHour })) ?? [];
    const batchSize = (JSON.parse(session.options_json) as { batchSize: number }).batchSize;
    const analysisCostPerDocument = analyzer.enabled ? analyzer.estimateCostPerDocument(ASSUMED_CHARS_PER_DOCUMENT) : 0;
    sheet.quotes = offers.slice(0, limit).map((o) => quoteOffer(o, { documents: open.docs, bytes: open.bytes, batchSize, analysisCostPerDocument }));
    sheet.creditUsd = compute.balance ? (await compute.balance()).creditUsd : null;
  } catch (error) {
    sheet.problem = coerceError(error).message;
  }
  return sheet;
}
