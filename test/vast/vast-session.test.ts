/**
 * Whole sessions over the Vast.ai path: the real engine, the real provider, the fake Vast API whose "rented"
 * instances run real worker processes. Instances die mid-batch; budgets run out; planted keys must not leak.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { calibrationRows } from '../../src/core/store/calibration.js';
import { countSessionResults } from '../../src/core/store/results.js';
import { getSession } from '../../src/core/store/sessions.js';
import { sessionWorkers } from '../../src/core/store/workers.js';
import { fakeOffer } from '../fakes/vast-fake.js';
import { CLAUDE_KEY, SUPABASE_KEY, VAST_KEY, createVastHarness } from './helpers/vast-harness.js';
import type { VastHarness } from './helpers/vast-harness.js';

let harness: VastHarness | null = null;

afterEach(async () => {
  await harness?.cleanup();
  harness = null;
});

function documentStatuses(h: VastHarness, sessionId: string): Record<string, number> {
  const rows = h.store.db.prepare('SELECT status, COUNT(*) AS n FROM documents WHERE session_id = ? GROUP BY status').all(sessionId) as { status: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe('a session on rented machines', () => {
  it('runs 3 instances, survives two dying mid-batch with replacements, does every document once, and leaves none rented', async () => {
    harness = await createVastHarness({ documents: 36, batchSize: 4 });
    const h = harness;
    const killed: string[] = [];
    const killedBatches = new Set<number>();
    h.engine.events.on('batch.started', (e) => {
      // The first dispatch of batches 2 and 3 loses its machine while the batch is in flight.
      if ((e.batchNo === 2 || e.batchNo === 3) && !killedBatches.has(e.batchNo)) {
        const instance = h.fake.instanceOfWorker(e.workerId);
        if (!instance) return;
        killedBatches.add(e.batchNo);
        killed.push(e.workerId);
        void h.fake.kill(instance.id, e.batchNo === 2 ? 'exited' : 'offline');
      }
    });
    const id = await h.planAndConfirm(50);
    const view = await h.engine.run(id);

    expect(view.status).toBe('completed');
    expect(view).toMatchObject({ total_documents: 36, done: 36, failed: 0 });
    expect(documentStatuses(h, id)).toEqual({ done: 36 });
    expect(countSessionResults(h.store.db, id)).toBe(36);
    expect(killed).toHaveLength(2);
    expect(h.events.filter((e) => e.type === 'batch.requeued').length).toBeGreaterThanOrEqual(2);
    const replaced = h.events.filter((e) => e.type === 'worker.replaced');
    expect(replaced.map((e) => e.oldWorkerId).sort()).toEqual([...killed].sort());
    expect(replaced.every((e) => e.newWorkerId !== null)).toBe(true);
    expect(h.fake.createRequests.length).toBe(5);
    expect(h.fake.live()).toHaveLength(0);
    expect(h.fake.destroyed).toHaveLength(5);
    const workers = sessionWorkers(h.store.db, id);
    expect(workers).toHaveLength(5);
    expect(workers.every((w) => w.status === 'lost' || w.status === 'released')).toBe(true);
    expect(workers.filter((w) => w.status === 'lost').map((w) => w.id).sort()).toEqual([...killed].sort());
    const spent = getSession(h.store.db, id)!.compute_spent_usd;
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeCloseTo(workers.reduce((s, w) => s + w.cost_usd, 0), 6);
    const calibration = calibrationRows(h.store.db, 'vast');
    expect(calibration[0]).toMatchObject({ gpu_name: 'RTX 4090', ocr_engine: 'none' });
    expect(calibration[0]!.documents).toBeGreaterThanOrEqual(28);
  });

  it('pauses for the budget within one batch of the cap, destroys every machine, and spends no more than cap + one batch', async () => {
    harness = await createVastHarness({
      documents: 60,
      batchSize: 4,
      offers: [fakeOffer(301, { dph_total: 30 }), fakeOffer(302, { dph_total: 32 }), fakeOffer(303, { dph_total: 34 })],
      settings: { maxPricePerHour: 60 },
      fake: { credit: 10_000, defaultScript: { setupMs: 2_000, loadingMs: 10_000 } },
    });
    const h = harness;
    // Each batch takes a minute of billed time: $0.50 at $30/h, so the $4 cap falls mid-session.
    h.engine.events.on('batch.started', () => h.clock.advance(60_000));
    const cap = 4;
    const id = await h.planAndConfirm(cap);
    const view = await h.engine.run(id);

    expect(view.status).toBe('paused');
    expect(view.pause_reason).toBe('budget');
    expect(h.events.some((e) => e.type === 'budget.reached')).toBe(true);
    expect(view.done).toBeGreaterThan(0);
    expect(view.done).toBeLessThan(60);
    expect(h.fake.live()).toHaveLength(0);
    const spent = getSession(h.store.db, id)!.compute_spent_usd;
    const burnPerHour = 30 + 32 + 34;
    const started = new Map<number, number>();
    let longestBatchMs = 0;
    for (const e of h.events) {
      if (e.type === 'batch.started') started.set(e.batchNo, e.at);
      if (e.type === 'batch.completed' && started.has(e.batchNo)) longestBatchMs = Math.max(longestBatchMs, e.at - started.get(e.batchNo)!);
    }
    const oneBatchUsd = (burnPerHour * longestBatchMs) / 3_600_000;
    expect(spent).toBeLessThanOrEqual(cap + oneBatchUsd);
    expect(sessionWorkers(h.store.db, id).every((w) => w.status === 'released' || w.status === 'lost')).toBe(true);
  });

  it('never puts the Vast, Supabase or Claude key into a create request, a rented machine, a log line or an event', async () => {
    harness = await createVastHarness({ documents: 8, batchSize: 4, settings: { maxInstances: 2 } });
    const h = harness;
    const environs: string[] = [];
    h.engine.events.on('batch.started', (e) => {
      const pid = h.fake.instanceOfWorker(e.workerId)?.worker?.pid;
      if (pid) environs.push(readFileSync(`/proc/${pid}/environ`, 'utf8'));
    });
    const id = await h.planAndConfirm(20);
    expect((await h.engine.run(id)).status).toBe('completed');

    const planted = [VAST_KEY, SUPABASE_KEY, CLAUDE_KEY];
    const creates = JSON.stringify(h.fake.createRequests);
    const storedEvents = JSON.stringify(h.store.db.prepare('SELECT type, data_json FROM events').all());
    for (const key of planted) {
      expect(creates).not.toContain(key);
      expect(h.log.text()).not.toContain(key);
      expect(JSON.stringify(h.events)).not.toContain(key);
      expect(storedEvents).not.toContain(key);
      for (const environ of environs) expect(environ).not.toContain(key);
    }
    expect(environs.length).toBeGreaterThan(0);
    for (const environ of environs) expect(environ).toMatch(/WORKER_TOKEN=\S{16,}/);
    const env = h.fake.createRequests[0]!.body.env as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(['-p 8080:8080', 'LOG_LEVEL', 'OCR_ENGINE', 'OCR_LANGS', 'OCR_POOL_SIZE', 'WORKER_CONCURRENCY', 'WORKER_HOST', 'WORKER_ID', 'WORKER_PORT', 'WORKER_SEAL_KEY', 'WORKER_TOKEN']);
    // Every machine gets a token of its own.
    const tokens = h.fake.createRequests.map((r) => (r.body.env as Record<string, string>).WORKER_TOKEN);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(h.fake.violations).toEqual([]);
  });

  it('pauses a session over a local folder before renting anything: rented machines cannot read it', async () => {
    harness = await createVastHarness({ documents: 2 });
    const id = await harness.planAndConfirm(5);
    harness.store.db.prepare(`UPDATE sessions SET source_kind = 'local', source_label = 'folder /home/family/cases' WHERE id = ?`).run(id);
    const view = await harness.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'integration' });
    expect(view.message).toMatch(/folder \/home\/family\/cases is on this machine; rented GPUs cannot read it\. Nothing was rented\./);
    expect(harness.fake.createRequests).toHaveLength(0);
  });
});
