/**
 * Renting one machine through the real provider and the fake Vast API: the happy path with a real worker behind
 * the mapped port, and every way a rental goes wrong — a lost create answer (looked up by label, never a second
 * paid instance), offers that vanish, machines that exit, fail to start their image, or load forever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ComputeReport, WorkerPool } from '../../src/core/engine/ports.js';
import { fakeOffer } from '../fakes/vast-fake.js';
import { createVastHarness, poolContext } from './helpers/vast-harness.js';
import type { VastHarness } from './helpers/vast-harness.js';

const NO_GAPS = { search: 0, create: 0, show: 0, list: 0, destroy: 0, account: 0 };
let harness: VastHarness | null = null;
let pool: WorkerPool | null = null;

afterEach(async () => {
  await pool?.close();
  pool = null;
  await harness?.cleanup();
  harness = null;
});

async function open(h: VastHarness, sessionId: string, remaining = 1) {
  const { context, reports } = poolContext(sessionId, { remainingBatches: () => remaining });
  pool = await h.compute.open(context);
  return { pool, reports };
}

const lostReasons = (reports: ComputeReport[]) => reports.flatMap((r) => (r.type === 'worker.lost' ? [r.reason] : []));

describe('renting a machine', () => {
  it('rents the best offer, waits for running and the mapped port, and hands over a worker that answers', async () => {
    harness = await createVastHarness();
    const { pool, reports } = await open(harness, 'sess_a');
    const worker = await pool.acquire(new AbortController().signal);
    expect(worker).not.toBeNull();
    expect(worker!.target.sharesFileSystem).toBe(false);
    expect((await worker!.health()).ok).toBe(true);
    const [instance] = harness.fake.live();
    expect(instance!.init.offerId).toBe(101);
    expect(instance!.init.label).toBe('aseagi:sess_a:1');
    expect(reports.map((r) => r.type).filter((t) => t !== 'worker.cost')).toEqual(['worker.starting', 'worker.ready']);
    await pool.close();
    expect(harness.fake.live()).toHaveLength(0);
    expect(reports.at(-1)).toMatchObject({ type: 'worker.released' });
  });

  it('after a create whose answer was lost, finds the instance by label and never creates a second one', async () => {
    harness = await createVastHarness({ fake: { readLagMs: 15_000 } });
    harness.fake.loseNextCreateAnswer('bad_gateway');
    const { pool } = await open(harness, 'sess_b');
    const worker = await pool.acquire(new AbortController().signal);
    expect(worker).not.toBeNull();
    expect(harness.fake.http.requestsTo('PUT', /\/asks\//)).toHaveLength(1);
    const lookups = harness.fake.http.requestsTo('GET', /^\/api\/v1\/instances\/$/).filter((r) => r.query.includes('select_filters'));
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    expect(decodeURIComponent(lookups[0]!.query)).toContain('"label":{"eq":"aseagi:sess_b:1"}');
    expect(harness.fake.live()).toHaveLength(1);
    expect((await worker!.health()).ok).toBe(true);
  });

  it('when the lost create never shows up, moves on under a new label and still destroys the first at close', async () => {
    harness = await createVastHarness();
    harness.fake.loseNextCreateAnswer('bad_gateway', 10 * 60_000);
    const { pool } = await open(harness, 'sess_c');
    const worker = await pool.acquire(new AbortController().signal);
    expect(worker).not.toBeNull();
    const labels = harness.fake.createRequests.map((r) => r.body.label);
    expect(labels).toEqual(['aseagi:sess_c:1', 'aseagi:sess_c:2']);
    harness.clock.advance(10 * 60_000);
    await pool.close();
    expect(harness.fake.live()).toHaveLength(0);
    expect(harness.fake.destroyed.map((i) => i.init.label).sort()).toEqual(['aseagi:sess_c:1', 'aseagi:sess_c:2']);
  });

  it('tries the next offer when one vanishes at create (404 and 410 no_such_ask): nothing is rented twice', async () => {
    harness = await createVastHarness();
    harness.fake.vanishOnCreate(101, 404).vanishOnCreate(102, 410);
    const { pool } = await open(harness, 'sess_d');
    expect(await pool.acquire(new AbortController().signal)).not.toBeNull();
    expect(harness.fake.createRequests.map((r) => r.offerId)).toEqual([101, 102, 103]);
    expect(harness.fake.live().map((i) => i.init.offerId)).toEqual([103]);
  });

  it('destroys a machine that exits, one whose image fails (OCI), one stuck loading, and rents another', async () => {
    harness = await createVastHarness({ settings: { loadingTimeoutMs: 3 * 60_000 } });
    harness.fake.script(101, { outcome: 'exited' }).script(102, { outcome: 'oci_failed' }).script(103, { outcome: 'stuck' });
    const { pool, reports } = await open(harness, 'sess_e');
    const worker = await pool.acquire(new AbortController().signal);
    expect(worker).not.toBeNull();
    expect(harness.fake.createRequests.map((r) => r.offerId)).toEqual([101, 102, 103, 104]);
    expect(harness.fake.destroyed.map((i) => i.init.offerId)).toEqual([101, 102, 103]);
    const reasons = lostReasons(reports);
    expect(reasons[0]).toMatch(/exited/);
    expect(reasons[1]).toMatch(/OCI runtime create failed/);
    expect(reasons[2]).toMatch(/still loading after 3 minutes/);
    expect(harness.fake.live().map((i) => i.init.offerId)).toEqual([104]);
  });

  it('rents nothing beyond the replacement bound, and reports why', async () => {
    harness = await createVastHarness({ settings: { maxInstances: 1, maxReplacements: 1 } });
    for (const id of [101, 102, 103]) harness.fake.script(id, { outcome: 'offline' });
    const { pool, reports } = await open(harness, 'sess_f');
    expect(await pool.acquire(new AbortController().signal)).toBeNull();
    expect(harness.fake.createRequests).toHaveLength(2);
    expect(reports.at(-1)).toMatchObject({ type: 'compute.exhausted', reason: expect.stringMatching(/replacement limit/) });
    expect(harness.fake.live()).toHaveLength(0);
  });

  it('never rents above the confirmed price, and refuses to open without a confirmation or an image', async () => {
    harness = await createVastHarness({ offers: [fakeOffer(201, { dph_total: 0.8 }), fakeOffer(202, { dph_total: 0.3 })] });
    const { context } = poolContext('sess_g', { confirmation: { offers: [{ id: '999', pricePerHour: 0.25, label: 'old quote' }] } });
    pool = await harness.compute.open(context);
    expect(await pool.acquire(new AbortController().signal)).toBeNull();
    expect(harness.fake.createRequests).toHaveLength(0);
    await expect(harness.compute.open(poolContext('sess_h', { confirmation: null }).context)).rejects.toMatchObject({ code: 'confirmation_required' });
  });

  it('stops renting when Vast says the credit is insufficient, and says so before the next batch', async () => {
    harness = await createVastHarness({ fake: { credit: 0.2 } });
    const { pool } = await open(harness, 'sess_i');
    expect(await pool.acquire(new AbortController().signal)).toBeNull();
    expect(await pool.canDispatch()).toMatchObject({ ok: false, reason: 'credit' });
    expect(harness.fake.live()).toHaveLength(0);
  });

  it('rents three at once through create 429s (a client unaware of the gap) without a duplicate', async () => {
    harness = await createVastHarness({ clientGaps: { ...NO_GAPS }, fake: { gaps: { create: 4_500 } } });
    const { context } = poolContext('sess_j', { remainingBatches: () => 3 });
    pool = await harness.compute.open(context);
    const workers = await Promise.all([1, 2, 3].map(() => pool!.acquire(new AbortController().signal)));
    expect(workers.every((w) => w !== null)).toBe(true);
    expect(harness.fake.rateLimited.create).toBeGreaterThan(0);
    const labels = harness.fake.live().map((i) => i.init.label);
    expect(labels).toHaveLength(3);
    expect(new Set(labels).size).toBe(3);
    expect(harness.fake.createRequests).toHaveLength(3);
  });

  it('destroys what an earlier run of the session left before renting, and never reuses its labels', async () => {
    harness = await createVastHarness();
    const left = [harness.fake.plant('aseagi:sess_k:1'), harness.fake.plant('aseagi:sess_k:7')];
    const others = [harness.fake.plant('aseagi:sess_kk:1'), harness.fake.plant('someone')];
    const { pool } = await open(harness, 'sess_k');
    expect(harness.fake.destroyed.map((i) => i.id).sort()).toEqual(left.sort());
    expect(await pool.acquire(new AbortController().signal)).not.toBeNull();
    expect(harness.fake.createRequests.map((r) => r.body.label)).toEqual(['aseagi:sess_k:8']);
    expect(harness.fake.live().map((i) => i.id)).toEqual(expect.arrayContaining(others));
  });
});
