/**
 * `aseagi estimate <folder>`: count what a folder holds and say how long and how much processing would take.
 * With `--sample N`, N random documents are processed here first (see estimate-sample.ts) to learn pages per
 * document and the share needing OCR, and the collection is projected onto rented GPUs (Vast.ai offers when
 * configured, with their estimated totals).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Env } from '../config.js';
import { systemClock } from '../core/clock.js';
import { createVastCompute } from '../core/compute/vast/vast-provider.js';
import { vastSettingsFromEnv } from '../core/compute/vast/vast-settings.js';
import { estimateForOffers } from '../core/engine/offer-estimate.js';
import type { OfferEstimate } from '../core/engine/offer-estimate.js';
import type { DocumentProfile } from '../core/compute/vast/throughput.js';
import { estimate } from '../core/engine/estimate.js';
import type { Estimate } from '../core/engine/estimate.js';
import type { SourceDocument } from '../core/engine/ports.js';
import type { EngineLogger } from '../core/engine/types.js';
import { describeError } from '../core/errors.js';
import { createLocalFolderSource } from '../core/sources/local-folder.js';
import { calibrationRows } from '../core/store/calibration.js';
import type { CalibrationRow } from '../core/store/calibration.js';
import { openDatabase } from '../core/store/database.js';
import type { OpenedDatabase } from '../core/store/database.js';
import { measuredSecondsPerDocument } from '../core/store/sessions.js';
import { engineSettings, secretValues, localWorkerEnv } from '../main.js';
import { Reservoir, gpuThroughput, processSample } from './estimate-sample.js';
import type { SampleFigures } from './estimate-sample.js';
import { formatBytes, formatDuration, formatUsd } from './format.js';

export interface SampleProjection {
  sample: SampleFigures;
  gpu: { secondsPerDocument: number; basis: string; gpuHours: number };
  offers: OfferEstimate[];
  offersError: string | null;
}

export interface FolderEstimate {
  estimate: Estimate & { total_bytes: number; sample?: SampleProjection };
  text: string;
}

export interface FolderEstimateOptions {
  env: Env;
  logger: EngineLogger;
  dbPath: string;
  costPerHour: number;
  workers: number;
  /** Documents to process here first (0 or absent: none). */
  sample?: number;
  random?: () => number;
}

/** Measured local seconds per document from earlier sessions, when there are enough to trust. */
function measuredLocal(store: OpenedDatabase | null): { seconds: number; basis: string } | null {
  if (!store) return null;
  const m = measuredSecondsPerDocument(store.db, 'local');
  if (m.docs < 20 || m.busyMs <= 0) return null;
  const seconds = m.busyMs / 1000 / m.docs;
  return { seconds, basis: `measured: ${seconds.toFixed(2)} s/document per worker over ${m.docs} documents processed here` };
}

export async function estimateFolder(folder: string, options: FolderEstimateOptions): Promise<FolderEstimate> {
  const root = resolve(folder);
  const source = createLocalFolderSource(root);
  const reservoir = new Reservoir<SourceDocument>(options.sample ?? 0, options.random);
  let documents = 0;
  let bytes = 0;
  for await (const doc of source.list({})) {
    documents += 1;
    bytes += doc.sizeBytes ?? 0;
    reservoir.offer(doc);
  }
  const store = existsSync(options.dbPath) ? openDatabase(options.dbPath, { readonly: true }) : null;
  try {
    const sample = reservoir.items.length > 0 ? await sampleAndProject(root, reservoir.items, { ...options, documents, bytes, calibration: store ? calibrationRows(store.db, 'vast') : [] }) : null;
    const measured = sample ? { seconds: sample.sample.localSecondsPerDocument, basis: `measured on a sample of ${sample.sample.documents} documents here` } : measuredLocal(store);
    const result = estimate({
      documents,
      batchSize: options.env.BATCH_SIZE,
      totalBytes: bytes,
      costPerHour: options.costPerHour,
      workers: options.workers,
      secondsPerDocument: measured?.seconds ?? null,
      basis: measured?.basis ?? null,
    });
    const lines = [
      `${source.describe()}: ${documents} documents, ${formatBytes(bytes)}.`,
      `With ${result.workers} worker${result.workers === 1 ? '' : 's'}: about ${formatDuration(result.wall_clock_hours * 3600)} (${result.seconds_per_document} s/document; ${result.basis}).`,
      `Cost: ${options.costPerHour > 0 ? `${formatUsd(result.total_cost)} at ${formatUsd(options.costPerHour)}/h per worker` : '$0.00 on this machine'}.`,
      ...(sample ? sampleLines(sample, documents) : []),
    ];
    return { estimate: { ...result, total_bytes: bytes, ...(sample ? { sample } : {}) }, text: lines.join('\n') };
  } finally {
    store?.close();
  }
}

async function sampleAndProject(
  root: string,
  picked: readonly SourceDocument[],
  options: FolderEstimateOptions & { documents: number; bytes: number; calibration: readonly CalibrationRow[] },
): Promise<SampleProjection> {
  const { env } = options;
  const sample = await processSample(
    picked.map((doc) => ({ doc, path: join(root, ...doc.sourceId.split('/')) })),
    { batchOptions: engineSettings(env).batchOptions, workerEnv: localWorkerEnv(env), logger: options.logger },
  );
  const gpu = gpuThroughput(env, sample.profile, options.calibration);
  const projection: SampleProjection = {
    sample,
    gpu: { secondsPerDocument: gpu.secondsPerDocument, basis: gpu.basis, gpuHours: (options.documents * gpu.secondsPerDocument) / 3600 },
    offers: [],
    offersError: null,
  };
  if (env.VAST_AI_API_KEY) {
    try {
      projection.offers = await vastOfferEstimates(env, options, sample.profile);
    } catch (error) {
      projection.offersError = describeError(error);
    }
  }
  return projection;
}

/** Vast.ai's best offers now, each priced for the whole folder with the sample's profile. */
async function vastOfferEstimates(env: Env, options: FolderEstimateOptions & { documents: number; bytes: number }, profile: DocumentProfile): Promise<OfferEstimate[]> {
  const store = openDatabase(existsSync(options.dbPath) ? options.dbPath : ':memory:', existsSync(options.dbPath) ? { readonly: true } : {});
  try {
    const vast = createVastCompute({
      settings: vastSettingsFromEnv(env, env.VAST_AI_API_KEY!),
      db: store.db,
      clock: systemClock,
      logger: options.logger,
      workerEnv: localWorkerEnv(env),
      secrets: secretValues(env),
    });
    const offers = await vast.findOffers({ limit: 3 }, profile);
    return estimateForOffers({ documents: options.documents, totalBytes: options.bytes, batchSize: env.BATCH_SIZE, instances: env.VAST_MAX_INSTANCES }, offers);
  } finally {
    store.close();
  }
}

function sampleLines(projection: SampleProjection, documents: number): string[] {
  const { sample, gpu } = projection;
  const failed = sample.failed > 0 ? ` (${sample.failed} could not be read)` : '';
  const lines = [
    `Sample of ${sample.documents} documents${failed}: ${sample.profile.pagesPerDocument.toFixed(1)} pages/document, ${Math.round(sample.profile.ocrShare * 100)}% of pages need OCR, ${formatBytes(sample.profile.bytesPerDocument ?? 0)}/document; ${sample.localSecondsPerDocument.toFixed(2)} s/document on one worker here.`,
    `On a rented GPU: about ${gpu.secondsPerDocument.toFixed(2)} s/document (${gpu.basis}), ${gpu.gpuHours.toFixed(1)} GPU-hours for all ${documents} documents.`,
  ];
  for (const offer of projection.offers) {
    lines.push(
      `  ${offer.label} at ${formatUsd(offer.pricePerHour)}/h × ${offer.instances}: ${formatUsd(offer.totalUsd)}, about ${formatDuration(offer.wallClockHours * 3600)} (bounded by ${offer.boundedBy.replace('_', ' ')}).`,
    );
  }
  if (projection.offersError) lines.push(`Vast.ai offers could not be read: ${projection.offersError}`);
  return lines;
}
