/**
 * The orphan reaper: instances labelled `aseagi:<session>:<n>` that no running session of this database owns are
 * destroyed at start-up (through the composition root, as `aseagi serve` starts) and on its timer; anyone else's
 * instances are never touched; each destruction is recorded, and what it cost is booked on its worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { OrphanReaper } from '../../src/core/compute/vast/orphan-reaper.js';
import { VastClient } from '../../src/core/compute/vast/vast-client.js';
import { isVastCompute } from '../../src/core/compute/vast/vast-provider.js';
import { openDatabase } from '../../src/core/store/database.js';
import type { OpenedDatabase } from '../../src/core/store/database.js';
import { beginSessionRun, insertSession, updateSessionStatus } from '../../src/core/store/sessions.js';
import { insertWorker } from '../../src/core/store/workers.js';
import { silentLogger } from '../../src/logger.js';
import { createApp } from '../../src/main.js';
import type { App } from '../../src/main.js';
import { VastFake } from '../fakes/vast-fake.js';
import { FastClock } from './helpers/fast-clock.js';
import { captureLog } from './helpers/log-capture.js';
import { VAST_KEY } from './helpers/vast-harness.js';

let dir: string | null = null;
let fake: VastFake | null = null;
let app: App | null = null;
let store: OpenedDatabase | null = null;

afterEach(async () => {
  await app?.close();
  app = null;
  store?.close();
  store = null;
  await fake?.stop();
  fake = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function addSession(db: OpenedDatabase['db'], id: string, now: number): void {
  insertSession(db, { id, status: 'planned', sourceKind: 'gdrive', sourceKey: 'gdrive', sourceSpecJson: '{"kind":"gdrive"}', sourceLabel: 'Drive', computeKind: 'vast', sinkKind: 'sqlite', analyzerKind: 'none', optionsJson: '{"batchSize":100}', budgetUsd: 10, now });
}

async function setup() {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-reaper-'));
  const clock = new FastClock(100);
  fake = await new VastFake({ clock, apiKey: VAST_KEY }).start();
  return { clock, fake, dbPath: join(dir, 'aseagi.db') };
}

describe('the orphan reaper', () => {
  it('at start-up destroys our instances that no running session owns, books their cost, and leaves others alone', async () => {
    const { clock, fake, dbPath } = await setup();
    // A previous run of the program crashed while session A ran on two machines.
    const before = openDatabase(dbPath);
    const t0 = clock.now();
    addSession(before.db, 'batch_session_1_aaaa', t0);
    beginSessionRun(before.db, 'batch_session_1_aaaa', t0);
    addSession(before.db, 'batch_session_2_bbbb', t0);
    updateSessionStatus(before.db, 'batch_session_2_bbbb', 'completed', null, null, t0);
    const crashed = fake.plant('aseagi:batch_session_1_aaaa:1', { dphTotal: 0.5, startedAt: t0 - 2 * 3_600_000 });
    const crashed2 = fake.plant('aseagi:batch_session_1_aaaa:2', { dphTotal: 0.4, startedAt: t0 - 3_600_000 });
    insertWorker(before.db, { id: 'batch_session_1_aaaa.vast1', sessionId: 'batch_session_1_aaaa', kind: 'vast', label: 'RTX 3090 · vast', instanceId: String(crashed), gpuName: 'RTX 3090', pricePerHour: 0.5, now: t0 });
    before.close();
    const finished = fake.plant('aseagi:batch_session_2_bbbb:4');
    const unknown = fake.plant('aseagi:batch_session_9_dead:1');
    const others = [fake.plant('training-run-7'), fake.plant(null), fake.plant('aseagi-staging:x:1'), fake.plant('ASEAGI:batch_session_1_aaaa:3')];

    const log = captureLog('info');
    const env = loadConfig({ env: { VAST_AI_API_KEY: VAST_KEY, VAST_API_URL: fake.url, WORKER_IMAGE: 'ghcr.io/example/worker:1', LOG_LEVEL: 'info' }, dotenvPath: false });
    app = createApp(env, log.logger, { dbPath, clock });
    expect(isVastCompute(app.compute)).toBe(true);
    if (!isVastCompute(app.compute)) return;
    await app.compute.reaper.sweep();

    expect(fake.live().map((i) => i.id).sort()).toEqual([...others].sort());
    expect(fake.destroyed.map((i) => i.id).sort()).toEqual([crashed, crashed2, finished, unknown].sort());
    const events = app.store.db.prepare(`SELECT session_id, data_json FROM events WHERE type = 'compute.orphan_destroyed'`).all() as { session_id: string | null; data_json: string }[];
    expect(events).toHaveLength(4);
    const reasons = events.map((e) => JSON.parse(e.data_json) as { reason: string; instanceId: number });
    expect(reasons.find((r) => r.instanceId === crashed)?.reason).toMatch(/batch_session_1_aaaa is paused \(interrupted\)/);
    expect(reasons.find((r) => r.instanceId === unknown)?.reason).toMatch(/no session batch_session_9_dead in this database/);
    expect(events.find((e) => JSON.parse(e.data_json).instanceId === unknown)?.session_id).toBeNull();
    const cost = app.store.db.prepare(`SELECT cost_usd, status FROM workers WHERE id = ?`).get('batch_session_1_aaaa.vast1') as { cost_usd: number; status: string };
    expect(cost.cost_usd).toBeGreaterThanOrEqual(1);
    expect(cost.status).toBe('lost');
    expect(log.text()).toContain('destroyed an orphaned Vast.ai instance');
    expect(log.text()).not.toContain(VAST_KEY);

    // Closing the app stops the timer: no more sweeps afterwards.
    await app.close();
    app = null;
    const listsAtClose = fake.http.requestsTo('GET', /^\/api\/v1\/instances\/$/).length;
    clock.advance(30 * 60_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.http.requestsTo('GET', /^\/api\/v1\/instances\/$/).length).toBe(listsAtClose);
  });

  it('on its timer leaves a running session’s instances alone and takes those of a session that paused', async () => {
    const { clock, fake, dbPath } = await setup();
    store = openDatabase(dbPath);
    const now = clock.now();
    addSession(store.db, 'batch_session_3_cccc', now);
    beginSessionRun(store.db, 'batch_session_3_cccc', now);
    addSession(store.db, 'batch_session_4_dddd', now);
    beginSessionRun(store.db, 'batch_session_4_dddd', now);
    const running = fake.plant('aseagi:batch_session_3_cccc:1');
    const pausing = fake.plant('aseagi:batch_session_4_dddd:1');
    const client = new VastClient({ apiUrl: fake.url, apiKey: VAST_KEY, clock, logger: silentLogger() });
    const reaper = new OrphanReaper({ client, db: store.db, clock, logger: silentLogger(), intervalMs: 10 * 60_000 });
    reaper.start();
    await reaper.sweep();
    expect(fake.live().map((i) => i.id).sort()).toEqual([running, pausing].sort());

    updateSessionStatus(store.db, 'batch_session_4_dddd', 'paused', 'budget', 'Spend reached the budget.', clock.now());
    clock.advance(10 * 60_000);
    for (let i = 0; i < 200 && fake.live().length > 1; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(fake.live().map((i) => i.id)).toEqual([running]);
    await reaper.stop();
  });
});
