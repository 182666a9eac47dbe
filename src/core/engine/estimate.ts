/**
 * Cost and time estimates, as a pure function. Priors are stated and reported; measured figures replace them as
 * sessions run (see the calibration the compute providers feed in).
 */

/** The seed's figure: 4.5 seconds of GPU time per document. Used only when nothing has been measured. */
export const SEED_SECONDS_PER_DOCUMENT = 4.5;

export interface EstimateInput {
  documents: number;
  batchSize: number;
  /** Total bytes, when the source knows sizes. */
  totalBytes?: number | null;
  /** $/hour of one worker; 0 for local compute. */
  costPerHour: number;
  /** Workers running in parallel. */
  workers?: number;
  /** Measured seconds per document on this kind of worker; absent → the seed prior. */
  secondsPerDocument?: number | null;
  /** Where the figure came from, e.g. "measured over 1,200 documents on RTX 4090". */
  basis?: string | null;
  /** $ per document for analysis (0 without). */
  analysisCostPerDocument?: number;
  /** Download bandwidth per worker in bytes/s, when known (rented machines). */
  downloadBytesPerSecond?: number | null;
  /** Bytes a day the source lets us download (Drive: 1 TB/day/project), when it limits. */
  sourceBytesPerDay?: number | null;
}

export type BoundingResource = 'gpu_time' | 'download_bandwidth' | 'source_quota';

export interface Estimate {
  total_documents: number;
  batch_size: number;
  total_batches: number;
  seconds_per_document: number;
  /** Worker-hours of processing (what is billed per worker). */
  total_hours: number;
  /** Wall-clock hours with the given number of workers, including the bounding resource. */
  wall_clock_hours: number;
  workers: number;
  cost_per_hour: number;
  compute_cost: number;
  analysis_cost: number;
  /** compute_cost + analysis_cost (the seed's name). */
  total_cost: number;
  bounded_by: BoundingResource;
  basis: string;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

export function estimate(input: EstimateInput): Estimate {
  const workers = Math.max(1, input.workers ?? 1);
  const secondsPerDocument = input.secondsPerDocument ?? SEED_SECONDS_PER_DOCUMENT;
  const basis =
    input.basis ?? (input.secondsPerDocument == null ? `prior: the seed's ${SEED_SECONDS_PER_DOCUMENT} s/document (nothing measured yet)` : 'measured');
  const computeHours = (input.documents * secondsPerDocument) / 3600;
  const gpuWallHours = computeHours / workers;
  const bytes = input.totalBytes ?? 0;
  const downloadWallHours =
    bytes > 0 && input.downloadBytesPerSecond ? bytes / (input.downloadBytesPerSecond * workers) / 3600 : 0;
  const quotaWallHours = bytes > 0 && input.sourceBytesPerDay ? (bytes / input.sourceBytesPerDay) * 24 : 0;
  const wall = Math.max(gpuWallHours, downloadWallHours, quotaWallHours);
  const bounded_by: BoundingResource =
    wall === gpuWallHours ? 'gpu_time' : wall === downloadWallHours ? 'download_bandwidth' : 'source_quota';
  // Workers bill while they wait on downloads too: billed hours follow the wall clock, not GPU time alone.
  const billedHours = wall * workers;
  const computeCost = billedHours * input.costPerHour;
  const analysisCost = input.documents * (input.analysisCostPerDocument ?? 0);
  return {
    total_documents: input.documents,
    batch_size: input.batchSize,
    total_batches: Math.ceil(input.documents / Math.max(1, input.batchSize)),
    seconds_per_document: round(secondsPerDocument, 3),
    total_hours: round(billedHours, 2),
    wall_clock_hours: round(wall, 2),
    workers,
    cost_per_hour: input.costPerHour,
    compute_cost: round(computeCost, 2),
    analysis_cost: round(analysisCost, 2),
    total_cost: round(computeCost + analysisCost, 2),
    bounded_by,
    basis,
  };
}
