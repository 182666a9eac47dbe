/**
 * Per-offer estimates for what a person is about to pay: billed hours, GPU dollars, analysis dollars, wall clock
 * with N instances, and which resource bounds the run (GPU time, download bandwidth, or the Drive egress quota).
 * A thin layer over the pure {@link estimate}; offers carry their calibrated seconds per document and its basis.
 */
import { estimate } from './estimate.js';
import type { BoundingResource, Estimate } from './estimate.js';
import type { ComputeOffer } from './ports.js';

export interface OfferEstimateInput {
  documents: number;
  /** Total bytes to download, when the source knows sizes. */
  totalBytes: number | null;
  batchSize: number;
  /** Instances run at once. */
  instances: number;
  analysisCostPerDocument?: number;
  /** The source's daily download quota (`DocumentSource.dailyDownloadBytes`); null when it has none. */
  sourceBytesPerDay?: number | null;
}

export interface OfferEstimate {
  offerId: string;
  label: string;
  pricePerHour: number;
  instances: number;
  /** Instance-hours billed (all instances together). */
  hours: number;
  gpuUsd: number;
  analysisUsd: number;
  totalUsd: number;
  wallClockHours: number;
  boundedBy: BoundingResource;
  secondsPerDocument: number;
  basis: string;
  /** The same figures in the seed's estimate shape (`/batch/estimate`). */
  estimate: Estimate;
}

/** An offer, optionally with its processing seconds apart from download (Vast offers have both). */
export type EstimableOffer = ComputeOffer & { computeSecondsPerDocument?: number };

export function estimateForOffers(input: OfferEstimateInput, offers: readonly EstimableOffer[]): OfferEstimate[] {
  return offers.map((offer) => estimateForOffer(input, offer));
}

/**
 * Download time is modelled by {@link estimate} from the bytes and the offer's bandwidth, so it gets processing
 * seconds alone: the bounding resource then comes out right.
 */
export function estimateForOffer(input: OfferEstimateInput, offer: EstimableOffer): OfferEstimate {
  const result = estimate({
    documents: input.documents,
    batchSize: input.batchSize,
    totalBytes: input.totalBytes,
    costPerHour: offer.pricePerHour,
    workers: input.instances,
    secondsPerDocument: input.totalBytes ? (offer.computeSecondsPerDocument ?? offer.secondsPerDocument) : offer.secondsPerDocument,
    basis: offer.basis,
    analysisCostPerDocument: input.analysisCostPerDocument ?? 0,
    downloadBytesPerSecond: offer.downloadMbps ? offer.downloadMbps * 125_000 : null,
    sourceBytesPerDay: input.sourceBytesPerDay ?? null,
  });
  return {
    offerId: offer.id,
    label: offer.label,
    pricePerHour: offer.pricePerHour,
    instances: result.workers,
    hours: result.total_hours,
    gpuUsd: result.compute_cost,
    analysisUsd: result.analysis_cost,
    totalUsd: result.total_cost,
    wallClockHours: result.wall_clock_hours,
    boundedBy: result.bounded_by,
    secondsPerDocument: result.seconds_per_document,
    basis: result.basis,
    estimate: result,
  };
}
