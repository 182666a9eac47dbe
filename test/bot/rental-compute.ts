/**
 * A small renting provider for the bot's tests: it needs a confirmation, offers machines at prices the test sets,
 * has a balance, and "rents" by opening the REAL local pool (worker processes on this machine). Spend follows the
 * confirmed price and uptime (on the test's clock), as a rented machine bills. The real Vast.ai provider is tested
 * elsewhere.
 */
import { createLocalCompute } from '../../src/core/compute/local.js';
import type { ComputeOffer, ComputeProvider, ComputeSessionContext, OfferCriteria, WorkerPool } from '../../src/core/engine/ports.js';
import { AppError } from '../../src/core/errors.js';
import type { Env } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { workerEnv } from '../../src/main.js';

export function testOffer(id: string, label: string, pricePerHour: number, secondsPerDocument: number): ComputeOffer {
  return {
    id,
    label,
    gpuName: label.split(' ·')[0]!,
    gpuCount: 1,
    gpuRamGb: 24,
    cpuCores: 16,
    ramGb: 64,
    diskGb: 100,
    pricePerHour,
    reliability: 0.99,
    downloadMbps: 800,
    secondsPerDocument,
    basis: `test figure: ${secondsPerDocument} s/document`,
    costPerDocument: (pricePerHour * secondsPerDocument) / 3600,
  };
}

export interface RentalTestCompute extends ComputeProvider {
  /** What `findOffers` returns now; tests change prices here. */
  offers: ComputeOffer[];
  creditUsd: number;
  /** Every context the engine opened a pool with (the confirmation the engine passed along). */
  opened: ComputeSessionContext[];
}

export function createRentalCompute(env: Env, logger: Logger, now: () => number = Date.now): RentalTestCompute {
  const local = createLocalCompute({ workers: 1, workerEnv: workerEnv(env), logger });
  const provider: RentalTestCompute = {
    kind: 'rental-test',
    requiresConfirmation: true,
    maxWorkers: 1,
    offers: [testOffer('off-a', 'RTX 4090 · 24 GB · Test A', 0.4, 2), testOffer('off-b', 'RTX 3090 · 24 GB · Test B', 0.25, 4)],
    creditUsd: 50,
    opened: [],
    describe: () => 'rented test machines (local processes)',
    async open(context) {
      if (!context.confirmation) throw new AppError('confirmation_required', 'renting needs a confirmation');
      provider.opened.push(context);
      const price = Math.max(...context.confirmation.offers.map((o) => o.pricePerHour));
      return billed(await local.open(context), price, now);
    },
    findOffers(criteria: OfferCriteria) {
      const within = provider.offers.filter((o) => criteria.maxPricePerHour == null || o.pricePerHour <= criteria.maxPricePerHour);
      return Promise.resolve([...within].sort((a, b) => a.costPerDocument - b.costPerDocument).slice(0, criteria.limit ?? 10));
    },
    balance: () => Promise.resolve({ creditUsd: provider.creditUsd }),
  };
  return provider;
}

function billed(pool: WorkerPool, pricePerHour: number, now: () => number): WorkerPool {
  const openedAt = now();
  return {
    get maxWorkers() {
      return pool.maxWorkers;
    },
    acquire: (signal) => pool.acquire(signal),
    release: (worker, idle) => pool.release(worker, idle),
    lost: (worker, reason) => pool.lost(worker, reason),
    spentUsd: () => (pricePerHour * (now() - openedAt)) / 3_600_000,
    canDispatch: () => pool.canDispatch(),
    close: () => pool.close(),
  };
}
