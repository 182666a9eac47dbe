/** What the Vast.ai provider is told by configuration (see `src/config.ts`, "Vast.ai"), with the defaults it uses. */
import type { Env } from '../../../config.js';

export interface VastSettings {
  apiUrl: string;
  apiKey: string;
  /** The worker's Docker image; nothing is rented without it. */
  image: string | undefined;
  /** Instances one session runs at once. */
  maxInstances: number;
  /** $/hour ceiling for any instance (a confirmation can only lower it). */
  maxPricePerHour: number;
  minGpuRamGb: number;
  /** Allowed GPU models as Vast names them ("RTX 4090"); empty = any. */
  gpuNames: string[];
  diskGb: number;
  minReliability: number;
  minDownloadMbps: number;
  /** Highest CUDA version the host driver must support at least (`cuda_max_good`). */
  minCudaVersion: number;
  /** Loading (image pull) longer than this: destroy and try another machine. */
  loadingTimeoutMs: number;
  /** Running but the worker not answering its health check for this long: destroy and try another. */
  workerStartTimeoutMs: number;
  /** Machines beyond `maxInstances` a session run may rent (lost ones and failed starts). */
  maxReplacements: number;
  /** A worker with nothing to do is kept this long for work that may come back, then destroyed. */
  idleGraceMs: number;
  /** Pause when credit would last less than this at the current spend rate. */
  creditReserveMinutes: number;
  /** The worker's port inside the container (mapped to a public port by Vast). */
  workerPort: number;
  /** The OCR engine rented workers use (for calibration and estimates). */
  ocrEngine: string;
  /** How often a starting instance is looked at (Vast suggests ~10 s). */
  pollIntervalMs: number;
  /** How often a ready worker's health and instance state are checked. */
  healthIntervalMs: number;
  /** Failed health checks in a row before a worker counts as lost. */
  healthFailures: number;
  /** Credit is asked for at most this often; between asks it is projected from our own spend. */
  creditCheckIntervalMs: number;
}

export const VAST_DEFAULTS = {
  maxInstances: 2,
  maxPricePerHour: 1,
  minGpuRamGb: 16,
  diskGb: 40,
  minReliability: 0.98,
  minDownloadMbps: 200,
  minCudaVersion: 12.8,
  loadingTimeoutMin: 20,
  maxReplacements: 4,
  idleGraceS: 120,
  creditReserveMinutes: 10,
  workerPort: 8080,
} as const;

export function vastSettingsFromEnv(env: Env, apiKey: string): VastSettings {
  return {
    apiUrl: env.VAST_API_URL,
    apiKey,
    image: env.WORKER_IMAGE,
    maxInstances: env.VAST_MAX_INSTANCES,
    maxPricePerHour: env.VAST_MAX_PRICE_PER_HOUR,
    minGpuRamGb: env.VAST_MIN_GPU_RAM_GB,
    gpuNames: env.VAST_GPU_NAMES,
    diskGb: env.VAST_DISK_GB,
    minReliability: env.VAST_MIN_RELIABILITY,
    minDownloadMbps: env.VAST_MIN_DOWNLOAD_MBPS,
    minCudaVersion: env.VAST_MIN_CUDA,
    loadingTimeoutMs: env.VAST_LOADING_TIMEOUT_MIN * 60_000,
    // A first vLLM start downloads the model (about 9 GB) before the worker answers; BAKE_MODEL images start faster.
    workerStartTimeoutMs: env.VAST_WORKER_START_TIMEOUT_MIN * 60_000,
    maxReplacements: env.VAST_MAX_REPLACEMENTS,
    idleGraceMs: env.VAST_IDLE_GRACE_S * 1000,
    creditReserveMinutes: env.VAST_CREDIT_RESERVE_MIN,
    workerPort: env.VAST_WORKER_PORT,
    ocrEngine: env.OCR_ENGINE,
    pollIntervalMs: 10_000,
    healthIntervalMs: 30_000,
    healthFailures: 3,
    creditCheckIntervalMs: 60_000,
  };
}
