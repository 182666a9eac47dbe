/**
 * Money over HTTP: with a compute provider that rents (here an in-test one whose machines are the local worker
 * processes), nothing starts without `confirm: true` and a budget cap; the 409 carries the estimate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalCompute } from '../../src/core/compute/local.js';
import type { ComputeOffer, ComputeProvider, Confirmation, OfferCriteria } from '../../src/core/engine/ports.js';
import { silentLogger } from '../../src/logger.js';
import { startApiFixture, waitForEnd, writePdfs } from './helpers/api-fixture.js';
import type { ApiFixture } from './helpers/api-fixture.js';

const TOKEN = 'confirm-token-0123456789';

function offer(id: string, gpuName: string, gpuRamGb: number, pricePerHour: number, secondsPerDocument: number): ComputeOffer {
  return {
    id,
    label: `${gpuName} · ${gpuRamGb} GB · Quebec, CA`,
    gpuName,
    gpuCount: 1,
    gpuRamGb,
    cpuCores: 16,
    ramGb: 64,
    diskGb: 200,
    pricePerHour,
    reliability: 0.99,
    downloadMbps: 800,
    secondsPerDocument,
    basis: `measured: ${secondsPerDocument} s/document on ${gpuName}`,
    costPerDocument: (pricePerHour * secondsPerDocument) / 3600,
  };
}

const OFFERS = [offer('123456', 'RTX 4090', 24, 0.48, 1.8), offer('234567', 'A100', 80, 0.95, 1.2), offer('345678', 'RTX 3090', 24, 0.2, 5)]
  .sort((a, b) => a.costPerDocument - b.costPerDocument);

interface RentalCompute extends ComputeProvider {
  opened: number;
  confirmations: (Confirmation | null)[];
  searches: OfferCriteria[];
}

/** A renting provider in name: it asks for confirmation and lists offers, and its "rented" machines are local. */
function rentalCompute(): RentalCompute {
  const local = createLocalCompute({ workers: 1, workerEnv: { OCR_ENGINE: 'none', LOG_LEVEL: 'warn' }, logger: silentLogger() });
  const provider: RentalCompute = {
    kind: 'test-rental',
    requiresConfirmation: true,
    maxWorkers: 1,
    describe: () => 'rented machines (test)',
    opened: 0,
    confirmations: [],
    searches: [],
    open: (context) => {
      provider.opened += 1;
      provider.confirmations.push(context.confirmation);
      return local.open(context);
    },
    findOffers: (criteria) => {
      provider.searches.push(criteria);
      const fit = OFFERS.filter(
        (o) =>
          (criteria.maxPricePerHour === undefined || o.pricePerHour <= criteria.maxPricePerHour) &&
          (criteria.minGpuRamGb === undefined || o.gpuRamGb >= criteria.minGpuRamGb) &&
          (!criteria.gpuNames || criteria.gpuNames.includes(o.gpuName)),
      );
      return Promise.resolve(criteria.limit ? fit.slice(0, criteria.limit) : fit);
    },
    balance: () => Promise.resolve({ creditUsd: 87.456 }),
  };
  return provider;
}

let fixture: ApiFixture | null = null;
let compute: RentalCompute;

afterEach(async () => {
  await fixture?.close();
  fixture = null;
});

async function start(): Promise<ApiFixture> {
  compute = rentalCompute();
  fixture = await startApiFixture({ token: TOKEN, compute: () => compute });
  await writePdfs(fixture.inbox, 3, 'rent');
  return fixture;
}

describe('the 409 confirmation guard', { timeout: 120_000 }, () => {
  it('plans but rents nothing without confirm, answers the estimate, then starts the confirmed session', async () => {
    const f = await start();
    const asked = await f.request('POST', '/batch/start', { body: { batch_size: 2, max_cost_per_hour: 0.5 } });
    expect(asked.status).toBe(409);
    expect(asked.json.error.code).toBe('confirmation_required');
    expect(asked.json.error.message).toContain('Nothing has been rented');
    expect(asked.json.error.hint).toContain(asked.json.session_id);
    // The cheapest fitting offer per document prices the estimate: the RTX 4090 at $0.48/h and 1.8 s/document.
    expect(asked.json.estimate).toMatchObject({ total_documents: 3, batch_size: 2, total_batches: 2, cost_per_hour: 0.48, seconds_per_document: 1.8, bounded_by: 'gpu_time' });
    expect(asked.json.estimate.basis).toContain('RTX 4090');
    expect(asked.json.offers.map((o: { id: number }) => o.id)).toEqual([123456, 345678]);
    expect(compute.searches[0]).toMatchObject({ maxPricePerHour: 0.5 });
    expect(compute.opened).toBe(0);
    const waiting = await f.request('GET', '/batch/status');
    expect(waiting.json).toMatchObject({ session_id: asked.json.session_id, status: 'awaiting_confirmation' });

    const noBudget = await f.request('POST', '/batch/start', { body: { session_id: asked.json.session_id, confirm: true } });
    expect(noBudget.status).toBe(400);
    expect(noBudget.json.error.fields).toEqual([{ in: 'body', field: 'max_total_cost', message: 'required when confirming a rental' }]);
    expect(compute.opened).toBe(0);

    const confirmed = await f.request('POST', '/batch/start', { body: { session_id: asked.json.session_id, confirm: true, max_total_cost: 5 } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json).toMatchObject({ session_id: asked.json.session_id, status: 'running', budget: 5 });
    const end = await waitForEnd(f, asked.json.session_id);
    expect(end).toMatchObject({ status: 'completed', done: 3 });
    expect(compute.opened).toBe(1);
    expect(compute.confirmations[0]).toMatchObject({ maxTotalCostUsd: 5, by: 'api' });
    expect(compute.confirmations[0]!.offers.map((o) => o.id)).toEqual(['123456', '345678']);
  });

  it('plans, confirms and starts in one request when confirm and a budget come together', async () => {
    const f = await start();
    const started = await f.request('POST', '/batch/start', { body: { confirm: true, max_total_cost: 2.5 } });
    expect(started.status).toBe(200);
    expect(started.json.budget).toBe(2.5);
    await waitForEnd(f, started.json.session_id);
    expect(compute.opened).toBe(1);
  });

  it('asks again on resume of a session that was never confirmed', async () => {
    const f = await start();
    const asked = await f.request('POST', '/batch/start', { body: {} });
    const resume = await f.request('POST', `/batch/resume/${asked.json.session_id}`);
    expect(resume.status).toBe(409);
    expect(resume.json).toMatchObject({ session_id: asked.json.session_id, error: { code: 'confirmation_required' } });
    expect(resume.json.error.hint).toContain('"confirm": true');
    const confirmed = await f.request('POST', `/batch/resume/${asked.json.session_id}`, { body: { confirm: true, max_total_cost: 1 } });
    expect(confirmed.status).toBe(200);
    await waitForEnd(f, asked.json.session_id);
    expect(compute.opened).toBe(1);
  });

  it('needs a price for estimates with rented compute', async () => {
    const f = await start();
    const missing = await f.request('GET', '/batch/estimate?total_documents=100');
    expect(missing.status).toBe(400);
    expect(missing.json.error.fields[0]).toMatchObject({ in: 'query', field: 'cost_per_hour' });
    const priced = await f.request('GET', '/batch/estimate?total_documents=70000&batch_size=100&cost_per_hour=0.50');
    expect(priced.json).toMatchObject({ total_documents: 70000, total_batches: 700, total_hours: 87.5, total_cost: 43.75, workers: 1 });
  });
});

describe('Vast.ai endpoints through the compute provider', { timeout: 120_000 }, () => {
  it('reports the balance and lists offers with the seed\'s fields and filters', async () => {
    const f = await start();
    const balance = await f.request('GET', '/vastai/balance');
    expect(balance.status).toBe(200);
    expect(balance.json).toEqual({ balance: 87.46, currency: 'USD' });

    const offers = await f.request('GET', '/vastai/instances?min_gpu_ram=24&max_cost_per_hour=1.0&limit=2');
    expect(offers.status).toBe(200);
    expect(offers.json).toMatchObject({ total_found: 3, showing: 2 });
    expect(offers.json.instances[0]).toEqual({
      id: 123456,
      gpu_name: 'RTX 4090',
      num_gpus: 1,
      gpu_ram_gb: 24,
      cpu_cores: 16,
      ram_gb: 64,
      cost_per_hour: 0.48,
      disk_space_gb: 200,
      reliability: 0.99,
      download_mbps: 800,
      seconds_per_document: 1.8,
      cost_per_document: (0.48 * 1.8) / 3600,
      label: 'RTX 4090 · 24 GB · Quebec, CA',
    });
    expect(compute.searches.at(-1)).toMatchObject({ minGpuRamGb: 24, maxPricePerHour: 1 });

    const a100 = await f.request('GET', '/vastai/instances?gpu_name=A100,H100');
    expect(a100.json.instances.map((o: { gpu_name: string }) => o.gpu_name)).toEqual(['A100']);
    expect(compute.searches.at(-1)!.gpuNames).toEqual(['A100', 'H100']);
  });
});
