/**
 * Choosing machines: the offer search body (Vast's JSON filter form), the same limits applied again on our side
 * (the server may ignore some), and the ranking by estimated $/document — price × calibrated seconds per
 * document on that GPU, slowed by a thin download pipe, discounted by unreliability — not by $/hour alone.
 */
import type { ComputeOffer, OfferCriteria } from '../../engine/ports.js';
import type { CalibrationRow } from '../../store/calibration.js';
import { throughputFor } from './throughput.js';
import type { DocumentProfile } from './throughput.js';
import type { VastOffer } from './vast-schemas.js';
import type { VastSettings } from './vast-settings.js';

/** The limits one search applies: settings narrowed by a caller's criteria (never widened). */
export interface OfferLimits {
  maxPricePerHour: number;
  minGpuRamGb: number;
  gpuNames: string[];
  minReliability: number;
  minDownloadMbps: number;
  minCudaVersion: number;
  diskGb: number;
  limit: number;
}

export function offerLimits(settings: VastSettings, criteria: OfferCriteria = {}): OfferLimits {
  return {
    maxPricePerHour: Math.min(settings.maxPricePerHour, criteria.maxPricePerHour ?? Infinity),
    minGpuRamGb: Math.max(settings.minGpuRamGb, criteria.minGpuRamGb ?? 0),
    gpuNames: criteria.gpuNames && criteria.gpuNames.length > 0 ? criteria.gpuNames : settings.gpuNames,
    minReliability: settings.minReliability,
    minDownloadMbps: settings.minDownloadMbps,
    minCudaVersion: settings.minCudaVersion,
    diskGb: settings.diskGb,
    limit: criteria.limit ?? 10,
  };
}

/** `POST /api/v0/bundles/` body: on-demand, verified, one GPU with a direct port, cheapest first. */
export function searchBody(limits: OfferLimits): Record<string, unknown> {
  return {
    verified: { eq: true },
    external: { eq: false },
    rentable: { eq: true },
    rented: { eq: false },
    num_gpus: { eq: 1 },
    gpu_ram: { gte: Math.round(limits.minGpuRamGb * 1000) },
    dph_total: { lte: limits.maxPricePerHour },
    reliability: { gte: limits.minReliability },
    inet_down: { gte: limits.minDownloadMbps },
    direct_port_count: { gte: 1 },
    cuda_max_good: { gte: limits.minCudaVersion },
    disk_space: { gte: limits.diskGb },
    ...(limits.gpuNames.length > 0 ? { gpu_name: { in: limits.gpuNames } } : {}),
    order: [['dph_total', 'asc']],
    type: 'on-demand',
    // Ranking is by $/document, not $/hour: fetch more than shown so a faster, pricier machine can win.
    limit: Math.max(64, limits.limit * 4),
    allocated_storage: limits.diskGb,
  };
}

/** The search's limits again, on our side. `gpu_ram` is MB; a "24 GB" card reports a little under 24,576. */
export function withinLimits(offer: VastOffer, limits: OfferLimits): boolean {
  const gpuRamGb = (offer.gpu_ram ?? 0) / 1024;
  return (
    offer.rented !== true &&
    offer.rentable !== false &&
    offer.dph_total > 0 &&
    offer.dph_total <= limits.maxPricePerHour &&
    gpuRamGb >= limits.minGpuRamGb * 0.95 &&
    (limits.gpuNames.length === 0 || limits.gpuNames.some((name) => name.toLowerCase() === offer.gpu_name.toLowerCase())) &&
    (offer.reliability ?? offer.reliability2 ?? 0) >= limits.minReliability &&
    (offer.inet_down ?? 0) >= limits.minDownloadMbps &&
    (offer.direct_port_count ?? 0) >= 1 &&
    (offer.disk_space ?? 0) >= limits.diskGb
  );
}

export interface RankContext {
  ocrEngine: string;
  calibration: readonly CalibrationRow[];
  profile: DocumentProfile | null;
}

/** A Vast offer as front ends show it; the two parts of its seconds per document kept apart for estimates. */
export interface VastComputeOffer extends ComputeOffer {
  /** Processing alone (calibrated or prior). */
  computeSecondsPerDocument: number;
  /** Downloading a typical document at the offer's bandwidth, when the document size is known. */
  downloadSecondsPerDocument: number | null;
  machineId: number | null;
}

/** One Vast offer as front ends show it, with its estimated seconds and dollars per document. */
export function toComputeOffer(offer: VastOffer, context: RankContext): VastComputeOffer {
  const cores = offer.cpu_cores_effective ?? offer.cpu_cores;
  const throughput = throughputFor({ gpuName: offer.gpu_name, ocrEngine: context.ocrEngine, cpuCores: cores, calibration: context.calibration, profile: context.profile });
  const download = downloadSeconds(offer, context.profile);
  // Prefetch overlaps downloading with processing: the slower of the two sets the pace.
  const seconds = Math.max(throughput.secondsPerDocument, download ?? 0);
  const basis = download !== null && download > throughput.secondsPerDocument ? `${throughput.basis}; bounded by download (${Math.round(offer.inet_down ?? 0)} Mb/s)` : throughput.basis;
  const gpuRamGb = Math.round((offer.gpu_ram ?? 0) / 1024);
  return {
    id: String(offer.id),
    label: `${offer.gpu_name} · ${gpuRamGb} GB${offer.geolocation ? ` · ${offer.geolocation}` : ''}`,
    gpuName: offer.gpu_name,
    gpuCount: offer.num_gpus,
    gpuRamGb,
    cpuCores: cores,
    ramGb: offer.cpu_ram == null ? null : Math.round(offer.cpu_ram / 1024),
    diskGb: offer.disk_space,
    pricePerHour: offer.dph_total,
    reliability: offer.reliability ?? offer.reliability2,
    downloadMbps: offer.inet_down,
    secondsPerDocument: seconds,
    basis,
    costPerDocument: (offer.dph_total * seconds) / 3600,
    computeSecondsPerDocument: throughput.secondsPerDocument,
    downloadSecondsPerDocument: download,
    machineId: offer.machine_id,
  };
}

/** Seconds to download a typical document at the offer's bandwidth (docs disagree on Mb/s vs MB/s: assume Mb/s). */
function downloadSeconds(offer: VastOffer, profile: DocumentProfile | null): number | null {
  if (!profile?.bytesPerDocument || !offer.inet_down) return null;
  return profile.bytesPerDocument / (offer.inet_down * 125_000);
}

/** A machine that fails wastes its loading time and a replacement's: expected cost grows as reliability falls. */
export function rankingCost(offer: ComputeOffer): number {
  return offer.costPerDocument / Math.max(0.5, offer.reliability ?? 0.9);
}

export function rankOffers<T extends ComputeOffer>(offers: readonly T[]): T[] {
  return [...offers].sort((a, b) => rankingCost(a) - rankingCost(b) || a.pricePerHour - b.pricePerHour);
}
