/**
 * Price quotes for renting, shared by every front end (Telegram, HTTP API, CLI): what is left of a session, priced on
 * each offer a renting provider has right now — hours, GPU and analysis dollars, wall clock with the session's
 * machines, and what bounds the run (GPU time, download bandwidth, or the source's daily download quota).
 */
import { describeError } from './errors.js';
import type { Analyzer, ComputeOffer, ComputeProvider, DocumentSource } from './engine/ports.js';
import { estimateForOffers } from './engine/offer-estimate.js';
import type { OfferEstimate } from './engine/offer-estimate.js';
import type { SessionOptions, SourceSpec } from './engine/types.js';
import type { Database } from './store/database.js';
import { totalBytesOfOpenDocuments } from './store/documents.js';
import { getSession } from './store/sessions.js';
import { AppError } from './errors.js';

/** Average characters per document assumed for analysis estimates until the engine measures it. */
export const ASSUMED_CHARS_PER_DOCUMENT = 6_000;

export interface QuoteDeps {
  db: Database;
  compute: ComputeProvider;
  analyzer: Analyzer;
  /** To learn the source's daily download quota; without it none is assumed. */
  openSource?: ((spec: SourceSpec) => DocumentSource) | undefined;
}

export interface SessionQuote {
  sessionId: string;
  documents: number;
  bytes: number;
  batchSize: number;
  /** Machines the session would run at once. */
  instances: number;
  /** Best estimated $/document first. */
  offers: ComputeOffer[];
  /** One per offer, same order. */
  estimates: OfferEstimate[];
  creditUsd: number | null;
  /** Set when the provider could not be asked (the quote is then empty, not wrong). */
  problem: string | null;
}

export interface QuoteOptions {
  limit?: number;
  maxPricePerHour?: number | null;
  /** Also ask for the account credit. */
  withCredit?: boolean;
}

/** The source's daily download quota, without listing anything (opening a source is cheap). */
function dailyQuota(deps: QuoteDeps, sourceSpecJson: string): number | null {
  if (!deps.openSource) return null;
  try {
    return deps.openSource(JSON.parse(sourceSpecJson) as SourceSpec).dailyDownloadBytes ?? null;
  } catch {
    return null;
  }
}

export async function quoteSession(deps: QuoteDeps, sessionId: string, options: QuoteOptions = {}): Promise<SessionQuote> {
  const session = getSession(deps.db, sessionId);
  if (!session) throw new AppError('no_session', `There is no session ${sessionId}.`);
  const open = totalBytesOfOpenDocuments(deps.db, sessionId);
  const batchSize = (JSON.parse(session.options_json) as SessionOptions).batchSize;
  const quote: SessionQuote = {
    sessionId,
    documents: open.docs,
    bytes: open.bytes,
    batchSize,
    instances: deps.compute.maxWorkers,
    offers: [],
    estimates: [],
    creditUsd: null,
    problem: null,
  };
  if (!deps.compute.findOffers) return quote;
  try {
    quote.offers = await deps.compute.findOffers({ maxPricePerHour: options.maxPricePerHour ?? undefined, limit: options.limit ?? 5 });
    if (options.withCredit && deps.compute.balance) quote.creditUsd = (await deps.compute.balance()).creditUsd;
  } catch (error) {
    quote.problem = describeError(error);
    return quote;
  }
  quote.estimates = estimateForOffers(
    {
      documents: open.docs,
      totalBytes: open.bytes || null,
      batchSize,
      instances: quote.instances,
      analysisCostPerDocument: deps.analyzer.enabled ? deps.analyzer.estimateCostPerDocument(ASSUMED_CHARS_PER_DOCUMENT) : 0,
      sourceBytesPerDay: dailyQuota(deps, session.source_spec_json),
    },
    quote.offers,
  );
  return quote;
}

/** The offers a person accepts when confirming a quote: what the engine records and caps replacements by. */
export function acceptedOffers(quote: SessionQuote, count = 1): { id: string; pricePerHour: number; label: string }[] {
  return quote.offers.slice(0, count).map((o) => ({ id: o.id, pricePerHour: o.pricePerHour, label: o.label }));
}
