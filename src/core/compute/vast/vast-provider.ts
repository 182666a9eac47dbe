/**
 * Vast.ai as the engine's compute: renting needs a confirmation; offers are ranked by estimated $/document; each
 * session gets a {@link VastPool}; an {@link OrphanReaper} destroys what no running session owns. Wired in
 * `src/main.ts` when `VAST_AI_API_KEY` is set.
 */
import type { Database } from 'better-sqlite3';
import type { Clock, ComputeOffer, ComputeProvider, ComputeSessionContext, OfferCriteria, WorkerPool } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { AppError } from '../../errors.js';
import { calibrationRows } from '../../store/calibration.js';
import { getSession } from '../../store/sessions.js';
import { offerLimits, rankOffers, searchBody, toComputeOffer, withinLimits } from './offers.js';
import type { VastComputeOffer } from './offers.js';
import { OrphanReaper } from './orphan-reaper.js';
import { profileFromCalibration } from './throughput.js';
import type { DocumentProfile } from './throughput.js';
import { VastClient } from './vast-client.js';
import type { VastClientOptions } from './vast-client.js';
import { estimateForOffers } from '../../engine/offer-estimate.js';
import type { OfferEstimate, OfferEstimateInput } from '../../engine/offer-estimate.js';
import { VastPool } from './vast-pool.js';
import type { VastSettings } from './vast-settings.js';

export interface VastComputeDeps {
  settings: VastSettings;
  db: Database;
  clock: Clock;
  logger: EngineLogger;
  /** Worker settings every instance gets (OCR_ENGINE, OCR_LANGS, LOG_LEVEL). Never secrets: checked again. */
  workerEnv: Record<string, string>;
  /** Values that must never reach a rented machine (the installation's keys and tokens). */
  secrets: readonly string[];
  /** For tests: Vast client tuning (gaps, timeouts) and the fetch used to reach workers. */
  client?: Partial<Pick<VastClientOptions, 'gaps' | 'timeoutMs' | 'fetch' | 'random' | 'maxRateLimitRetries' | 'maxReadRetries'>>;
  workerFetch?: typeof fetch;
  reaperIntervalMs?: number;
}

export interface VastCompute extends ComputeProvider {
  readonly kind: 'vast';
  readonly requiresConfirmation: true;
  readonly client: VastClient;
  readonly reaper: OrphanReaper;
  findOffers(criteria: OfferCriteria, profile?: DocumentProfile | null): Promise<VastComputeOffer[]>;
  balance(): Promise<{ creditUsd: number }>;
  /** Per-offer hours, GPU $, analysis $, wall clock with N instances and the bounding resource. */
  estimateForOffers(input: OfferEstimateInput, offers: readonly ComputeOffer[]): OfferEstimate[];
}

export function createVastCompute(deps: VastComputeDeps): VastCompute {
  const { settings } = deps;
  const client = new VastClient({ apiUrl: settings.apiUrl, apiKey: settings.apiKey, clock: deps.clock, logger: deps.logger, ...deps.client });
  const reaper = new OrphanReaper({ client, db: deps.db, clock: deps.clock, logger: deps.logger, ...(deps.reaperIntervalMs ? { intervalMs: deps.reaperIntervalMs } : {}) });
  let confirmedOfferIds = new Set<string>();

  async function search(criteria: OfferCriteria, profile: DocumentProfile | null, signal?: AbortSignal): Promise<VastComputeOffer[]> {
    const limits = offerLimits(settings, criteria);
    const raw = await client.searchOffers(searchBody(limits), signal);
    const calibration = calibrationRows(deps.db, 'vast');
    const context = { ocrEngine: settings.ocrEngine, calibration, profile: profile ?? profileFromCalibration(calibration) };
    return rankOffers(raw.filter((offer) => withinLimits(offer, limits)).map((offer) => toComputeOffer(offer, context)));
  }

  return {
    kind: 'vast',
    requiresConfirmation: true,
    maxWorkers: settings.maxInstances,
    client,
    reaper,
    describe: () => `up to ${settings.maxInstances} rented Vast.ai GPU machine${settings.maxInstances === 1 ? '' : 's'} at most $${settings.maxPricePerHour}/h each`,
    async findOffers(criteria, profile = null) {
      const offers = await search(criteria, profile);
      return offers.slice(0, criteria.limit ?? 10);
    },
    async balance() {
      return { creditUsd: await client.credit() };
    },
    estimateForOffers: (input, offers) => estimateForOffers(input, offers),
    async open(context: ComputeSessionContext): Promise<WorkerPool> {
      assertMayRent(settings, context);
      assertReachableSource(deps.db, context.sessionId);
      confirmedOfferIds = new Set(context.confirmation!.offers.map((o) => o.id));
      const pool = new VastPool(
        {
          client,
          settings,
          db: deps.db,
          clock: deps.clock,
          logger: deps.logger,
          secrets: deps.secrets,
          workerEnv: deps.workerEnv,
          workerFetch: deps.workerFetch,
          offers: async (maxPricePerHour, excluded, signal) => {
            // Searched again right before each rental: offers vanish between a search and a create.
            const offers = await search({ maxPricePerHour, limit: 64 }, null, signal);
            const usable = offers.filter((o) => !excluded(o));
            return [...usable.filter((o) => confirmedOfferIds.has(o.id)), ...usable.filter((o) => !confirmedOfferIds.has(o.id))];
          },
        },
        context,
      );
      await pool.start();
      return pool;
    },
    close: () => reaper.stop(),
  };
}

/** The Vast provider, as opposed to any other compute (the composition root starts its orphan reaper). */
export function isVastCompute(compute: ComputeProvider): compute is VastCompute {
  return compute.kind === 'vast' && 'reaper' in compute;
}

/** A rented machine cannot read this machine's files: refuse before renting rather than at the first batch. */
function assertReachableSource(db: Database, sessionId: string): void {
  const session = getSession(db, sessionId);
  if (session?.source_kind === 'local') {
    throw new AppError('source_unreachable', `${session.source_label} is on this machine; rented GPUs cannot read it. Nothing was rented.`, {
      hint: 'Put the documents in Google Drive (DRIVE_FOLDER_ID), or unset VAST_AI_API_KEY to process them here.',
    });
  }
}

function assertMayRent(settings: VastSettings, context: ComputeSessionContext): void {
  if (!context.confirmation) {
    throw new AppError('confirmation_required', 'Renting Vast.ai machines needs a cost confirmation first.');
  }
  if (!settings.image) {
    throw new AppError('vast_no_image', 'WORKER_IMAGE is not set: there is no worker image to run on a rented machine.', {
      hint: 'Build and push the gpu-worker image (docs/worker.md) and set WORKER_IMAGE.',
    });
  }
}
