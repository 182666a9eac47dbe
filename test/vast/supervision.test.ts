/**
 * Supervising rented machines: a worker that stops answering or an instance Vast interrupts is declared lost
 * (its batch fails over), destroyed and replaced; a machine with no work left is destroyed rather than idled;
 * the credit is checked before each batch and a session pauses before Vast would stop its machines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ComputeReport, Worker, WorkerPool } from '../../src/core/engine/ports.js';
import { WorkerLostError } from '../../src/core/engine/ports.js';
import { batchOptionsSchema } from '../../src/protocol/worker-protocol.js';
import { createVastHarness, poolContext } from './helpers/vast-harness.js';
import type { VastHarness } from './helpers/vast-harness.js';

let harness: VastHarness | null = null;
let pool: WorkerPool | null = null;

afterEach(async () => {
  await pool?.close();
  pool = null;
  await harness?.cleanup();
  harness = null;
});

async function rentOne(h: VastHarness, sessionId: string, remaining: () => number = () => 5) {
  const { context, reports } = poolContext(sessionId, { remainingBatches: remaining });
  pool = await h.compute.open(context);
  const worker = await pool.acquire(new AbortController().signal);
  expect(worker).not.toBeNull();
  return { pool, worker: worker!, reports };
}

/** A batch that never finishes by itself: the document path does not exist, and the worker retries it. */
function runForever(worker: Worker): Promise<unknown> {
  const batch = { batchId: `b-${Math.random().toString(16).slice(2)}`, documents: [{ id: '1', name: 'x.pdf', location: { kind: 'file' as const, path: '/nonexistent/never.pdf' } }], options: batchOptionsSchema.parse({ ocr: { engine: 'none' } }) };
  return worker.process(batch, () => Promise.resolve(), new AbortController().signal).then(
    () => 'finished',
    (error: unknown) => error,
  );
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
}

const types = (reports: ComputeReport[]) => reports.map((r) => r.type).filter((t) => t !== 'worker.cost');

describe('supervising rented machines', () => {
  it('declares a worker lost after N missed health checks, destroys it, and rents a replacement', async () => {
    harness = await createVastHarness();
    const { pool, worker, reports } = await rentOne(harness, 'sup_a');
    const instance = harness.fake.instanceOfWorker(worker.id)!;
    await harness.fake.kill(instance.id, 'process_only');
    const outcome = await runForever(worker);
    expect(outcome).toBeInstanceOf(WorkerLostError);
    await pool.lost(worker, (outcome as Error).message);
    expect(harness.fake.destroyed.map((i) => i.id)).toContain(instance.id);
    const replacement = await pool.acquire(new AbortController().signal);
    expect(replacement).not.toBeNull();
    expect(replacement!.id).not.toBe(worker.id);
    const lost = reports.find((r) => r.type === 'worker.lost');
    expect(lost).toMatchObject({ workerId: worker.id });
    expect(reports.find((r) => r.type === 'worker.replaced')).toMatchObject({ oldWorkerId: worker.id, newWorkerId: replacement!.id });
    expect(harness.fake.live()).toHaveLength(1);
  });

  it('treats an interrupted instance (every state stopped) as lost at once', async () => {
    harness = await createVastHarness();
    const { pool, worker } = await rentOne(harness, 'sup_b');
    const running = runForever(worker);
    await harness.fake.kill(harness.fake.instanceOfWorker(worker.id)!.id, 'interrupted');
    const outcome = await running;
    expect(outcome).toBeInstanceOf(WorkerLostError);
    expect((outcome as Error).message).toMatch(/interrupted/);
    await pool.lost(worker, (outcome as Error).message);
    expect(harness.fake.live()).toHaveLength(0);
  });

  it('destroys a machine released at the tail, and one left idle past the grace period', async () => {
    harness = await createVastHarness();
    let remaining = 5;
    const { pool, worker, reports } = await rentOne(harness, 'sup_c', () => remaining);
    await pool.release(worker, true);
    expect(harness.fake.live()).toHaveLength(1);
    expect(await pool.acquire(new AbortController().signal)).toBe(worker);
    await pool.release(worker, true);
    harness.clock.advance(121_000);
    await until(() => reports.at(-1)?.type === 'worker.released');
    expect(harness.fake.live()).toHaveLength(0);
    expect(reports.at(-1)).toMatchObject({ type: 'worker.released', reason: 'idle longer than the grace period' });

    remaining = 0;
    const second = await pool.acquire(new AbortController().signal);
    expect(second).toBeNull();
    remaining = 1;
    const third = await pool.acquire(new AbortController().signal);
    remaining = 0;
    await pool.release(third!, true);
    expect(harness.fake.live()).toHaveLength(0);
    expect(types(reports).slice(-1)).toEqual(['worker.released']);
  });

  it('checks the credit before batches and pauses before it runs out', async () => {
    harness = await createVastHarness({ fake: { credit: 5 } });
    const { pool } = await rentOne(harness, 'sup_d');
    expect(await pool.canDispatch()).toEqual({ ok: true });
    // Someone else spends the account down; our projection only sees it at the next look.
    harness.fake.credit = 0.03;
    expect(await pool.canDispatch()).toEqual({ ok: true });
    harness.clock.advance(61_000);
    const answer = await pool.canDispatch();
    expect(answer).toMatchObject({ ok: false, reason: 'credit', message: expect.stringMatching(/would last less than 10 minutes/) });
    expect(harness.fake.http.requestsTo('GET', /users\/current/).length).toBe(2);
  });

  it('a session that cannot rent for lack of credit pauses with reason credit, renting nothing', async () => {
    harness = await createVastHarness({ documents: 4, fake: { credit: 0.01 } });
    const id = await harness.planAndConfirm(10);
    const view = await harness.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'credit' });
    expect(harness.fake.live()).toHaveLength(0);
  });
});
