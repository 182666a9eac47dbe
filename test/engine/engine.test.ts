import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import type { ResultSink, SinkRecord } from '../../src/core/engine/ports.js';
import { countResults, countSessionResults, getResult } from '../../src/core/store/results.js';
import { beginSessionRun, getSession } from '../../src/core/store/sessions.js';
import { leaseBatch } from '../../src/core/store/batches.js';
import { sessionCheckpoints } from '../../src/core/store/checkpoints.js';
import { documentBySourceId, failedDocuments, leaseBatchDocuments } from '../../src/core/store/documents.js';
import { createSqliteSink } from '../../src/core/sinks/sqlite.js';
import type { OpenedDatabase } from '../../src/core/store/database.js';
import { createEngineFixture } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';
import { createScriptedCompute, errorResult, okResult } from '../helpers/scripted-compute.js';
import { createSyntheticSource } from '../helpers/synthetic-source.js';

const spec = { kind: 'synthetic' };
let fixture: EngineFixture | null = null;

afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

describe('engine: a session from plan to completion', () => {
  it('processes every document exactly once, counts batches and names checkpoints every 10 batches', async () => {
    const compute = createScriptedCompute({ workers: 3 });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 205 }) });
    const { engine, store, events } = fixture;
    const id = await engine.plan({ source: spec, requestedBy: 'test' });
    expect(getSession(store.db, id)?.status).toBe('planned');
    const view = await engine.run(id);

    expect(view.status).toBe('completed');
    expect(view).toMatchObject({ total_documents: 205, done: 205, failed: 0, total_batches: 21, completed_batches: 21, progress_percentage: 100 });
    expect(countSessionResults(store.db, id)).toBe(205);
    expect([...compute.calls.values()].every((n) => n === 1)).toBe(true);
    expect(sessionCheckpoints(store.db, id).map((c) => c.name)).toEqual(['checkpoint_10', 'checkpoint_20']);
    expect(events.filter((e) => e.type === 'batch.completed')).toHaveLength(21);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', summary: { done: 205, pages: 410 } });
    expect(compute.opened).toBe(1);
    expect(compute.closed).toBe(1);
  });

  it('skips documents already done with the same checksum, and redoes changed ones', async () => {
    const compute = createScriptedCompute();
    let version = 1;
    fixture = createEngineFixture({
      compute,
      source: () => createSyntheticSource({ count: 30, checksum: (i) => (i < 5 ? `v${version}:${i}` : `same:${i}`) }),
    });
    const first = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    await fixture.engine.run(first);
    version = 2;
    const second = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    const view = await fixture.engine.run(second);
    expect(view).toMatchObject({ total_documents: 30, done: 5, skipped: 25, status: 'completed' });
    expect(countResults(fixture.store.db)).toBe(30);
    expect(getResult(fixture.store.db, 'synthetic:test', 'doc-000001')?.checksum).toBe('v2:1');
  });

  it('refuses an empty source with a clear error and leaves no session behind', async () => {
    fixture = createEngineFixture({ compute: createScriptedCompute(), source: createSyntheticSource({ count: 0 }) });
    await expect(fixture.engine.plan({ source: spec, requestedBy: 'test' })).rejects.toMatchObject({ code: 'no_documents' });
    expect(fixture.engine.view()).toBeNull();
  });
});

describe('engine: retries and failures', () => {
  it('retries retryable errors with backoff, fails fatal codes at once, skips vanished documents', async () => {
    const compute = createScriptedCompute({
      script: (doc, { attempt }) => {
        if (doc.name === 'case-file-1.pdf') return attempt < 3 ? errorResult(doc.id, 'timeout', true) : okResult(doc.id);
        if (doc.name === 'case-file-2.pdf') return errorResult(doc.id, 'fetch_failed', true);
        if (doc.name === 'case-file-3.pdf') return errorResult(doc.id, 'encrypted', false);
        if (doc.name === 'case-file-4.pdf') return errorResult(doc.id, 'not_found', false);
        return okResult(doc.id);
      },
    });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 12 }) });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    const view = await fixture.engine.run(id);

    expect(view).toMatchObject({ status: 'completed', done: 9, failed: 2, skipped: 1 });
    const { db } = fixture.store;
    expect(documentBySourceId(db, id, 'doc-000001')).toMatchObject({ status: 'done', attempts: 3 });
    expect(documentBySourceId(db, id, 'doc-000002')).toMatchObject({ status: 'failed', attempts: 3, last_error_code: 'fetch_failed' });
    expect(documentBySourceId(db, id, 'doc-000003')).toMatchObject({ status: 'failed', attempts: 1, last_error_code: 'encrypted' });
    expect(documentBySourceId(db, id, 'doc-000004')).toMatchObject({ status: 'skipped', last_error_code: 'not_found' });
    expect(getResult(db, 'synthetic:test', 'doc-000003')).toMatchObject({ status: 'failed', error_code: 'encrypted' });
    expect(compute.calls.get(String(documentBySourceId(db, id, 'doc-000003')!.id))).toBe(1);
    const retryEvents = fixture.events.filter((e) => e.type === 'document.failed' && e.willRetry);
    expect(retryEvents).toHaveLength(4);
  });

  it('pauses when downloads fail in a row, but not when failed downloads are scattered among good ones', async () => {
    // Every other document cannot be downloaded: never three in a row, so the run completes.
    const scattered = createScriptedCompute({ script: (doc) => (Number(doc.name.match(/\d+/)?.[0]) % 2 === 0 ? errorResult(doc.id, 'fetch_failed', false) : okResult(doc.id)) });
    fixture = createEngineFixture({ compute: scattered, source: createSyntheticSource({ count: 12 }), settings: { fetchOutageAfter: 3 } });
    const first = await fixture.engine.run(await fixture.engine.plan({ source: spec, requestedBy: 'test' }));
    expect(first).toMatchObject({ status: 'completed', done: 6, failed: 6 });
    await fixture.cleanup();

    const down = createScriptedCompute({ script: (doc) => errorResult(doc.id, 'fetch_failed', true) });
    fixture = createEngineFixture({ compute: down, source: createSyntheticSource({ count: 12 }), settings: { fetchOutageAfter: 3 } });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    const paused = await fixture.engine.run(id);
    expect(paused).toMatchObject({ status: 'paused', pause_reason: 'integration', done: 0, failed: 0 });
    expect(paused.message).toContain('3 documents in a row could not be fetched (last: fetch_failed (scripted))');
  });

  it('requeues the unfinished documents of a lost worker and completes with a replacement', async () => {
    let lost = 0;
    const compute = createScriptedCompute({
      workers: 2,
      script: (doc, { workerId }) => {
        if (doc.name === 'case-file-15.pdf' && lost === 0) {
          lost += 1;
          void workerId;
          return 'lose';
        }
        return okResult(doc.id);
      },
    });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 40 }) });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    const view = await fixture.engine.run(id);
    expect(view).toMatchObject({ status: 'completed', done: 40, failed: 0 });
    expect(countSessionResults(fixture.store.db, id)).toBe(40);
    expect(compute.lostWorkers).toHaveLength(1);
    expect(fixture.events.some((e) => e.type === 'batch.requeued' && e.batchNo === 2)).toBe(true);
    expect(fixture.events.some((e) => e.type === 'worker.lost')).toBe(true);
  });

  it('a document that kills every worker fails as worker_crashed after the attempts, and the rest completes', async () => {
    const compute = createScriptedCompute({ workers: 1, script: (doc) => (doc.name === 'case-file-7.pdf' ? 'lose' : okResult(doc.id)) });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 20 }) });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    const view = await fixture.engine.run(id);
    expect(view).toMatchObject({ status: 'completed', done: 19, failed: 1 });
    expect(failedDocuments(fixture.store.db, id, 10)[0]).toMatchObject({ name: 'case-file-7.pdf', last_error_code: 'worker_crashed' });
  });

  it('pauses with no_workers when the pool can give no more workers', async () => {
    const compute = createScriptedCompute({ workers: 1, maxReplacements: 0, script: (doc) => (doc.name === 'case-file-3.pdf' ? 'lose' : okResult(doc.id)) });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 20 }) });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    const view = await fixture.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'no_workers' });
  });

  it('retryFailed makes a new session of the failed documents only', async () => {
    let fixed = false;
    const compute = createScriptedCompute({ script: (doc) => (doc.name === 'case-file-2.pdf' && !fixed ? errorResult(doc.id, 'encrypted', false) : okResult(doc.id)) });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 5 }) });
    const first = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    await fixture.engine.run(first);
    fixed = true;
    const retry = fixture.engine.retryFailed(first);
    const view = await fixture.engine.run(retry);
    expect(view).toMatchObject({ total_documents: 1, done: 1, status: 'completed' });
    expect(getResult(fixture.store.db, 'synthetic:test', 'doc-000002')?.status).toBe('completed');
    expect(() => fixture!.engine.retryFailed(retry)).toThrow(AppError);
  });
});

describe('engine: pause, stop, crash recovery', () => {
  it('pauses mid-run, keeps what is done, and resumes to exactly one result per document', async () => {
    const compute = createScriptedCompute({ workers: 2, delayMs: 2 });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 120 }) });
    const { engine, store } = fixture;
    const id = await engine.plan({ source: spec, requestedBy: 'test' });
    const running = engine.run(id);
    await new Promise((r) => setTimeout(r, 80));
    const paused = await engine.pause(id);
    expect(paused.status).toBe('paused');
    expect(paused.pause_reason).toBe('user');
    expect(paused.done).toBeGreaterThan(0);
    expect(paused.done).toBeLessThan(120);
    await running;
    const done = await engine.run(id);
    expect(done).toMatchObject({ status: 'completed', done: 120 });
    expect(countSessionResults(store.db, id)).toBe(120);
  });

  it('stop ends a session for good', async () => {
    const compute = createScriptedCompute({ delayMs: 2 });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 100 }) });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    void fixture.engine.run(id);
    await new Promise((r) => setTimeout(r, 40));
    expect((await fixture.engine.stop(id)).status).toBe('stopped');
    await expect(fixture.engine.run(id)).rejects.toMatchObject({ code: 'session_finished' });
  });

  it('after a crash, recover() returns leased work to the queue and marks the session interrupted', async () => {
    const compute = createScriptedCompute();
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 60 }) });
    const { dir } = fixture;
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    // What a process killed in the middle of batch 1 leaves on disk.
    const { db } = fixture.store;
    const now = Date.now();
    db.transaction(() => {
      beginSessionRun(db, id, now);
      leaseBatch(db, id, 1, 'gone-worker', now);
      leaseBatchDocuments(db, id, 1, 'gone-worker', now);
    })();
    await fixture.close();

    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 60 }), dir });
    const session = getSession(fixture.store.db, id)!;
    expect(session).toMatchObject({ status: 'paused', pause_reason: 'interrupted' });
    expect(documentBySourceId(fixture.store.db, id, 'doc-000000')?.status).toBe('pending');
    const view = await fixture.engine.run(id);
    expect(view).toMatchObject({ status: 'completed', done: 60 });
    expect(countSessionResults(fixture.store.db, id)).toBe(60);
    expect([...compute.calls.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('engine: money', () => {
  it('a renting provider needs a confirmation, which expires', async () => {
    const compute = createScriptedCompute({ requiresConfirmation: true });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 10 }), settings: { confirmationTtlMs: 30 } });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    expect(getSession(fixture.store.db, id)?.status).toBe('awaiting_confirmation');
    await expect(fixture.engine.run(id)).rejects.toMatchObject({ code: 'confirmation_required' });
    fixture.engine.confirm(id, { maxTotalCostUsd: 5, by: 'test' });
    await new Promise((r) => setTimeout(r, 60));
    await expect(fixture.engine.run(id)).rejects.toMatchObject({ code: 'confirmation_expired' });
    expect(compute.opened).toBe(0);
    fixture.engine.confirm(id, { maxTotalCostUsd: 5, by: 'test' });
    expect((await fixture.engine.run(id)).status).toBe('completed');
  });

  it('pauses at the budget cap, within one batch of it', async () => {
    const compute = createScriptedCompute({ workers: 1, costPerDocument: 0.01, requiresConfirmation: true });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 200 }) });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    fixture.engine.confirm(id, { maxTotalCostUsd: 0.55, by: 'test' });
    const view = await fixture.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'budget' });
    // 10 documents per batch at $0.01: the cap allows 5 batches; the engine never starts a batch it cannot afford.
    expect(view.total_cost).toBeLessThanOrEqual(0.55 + 0.1);
    expect(view.done).toBeGreaterThanOrEqual(40);
    expect(fixture.events.some((e) => e.type === 'budget.reached')).toBe(true);
  });
});

describe('engine: sinks', () => {
  it('writes to an external sink before marking documents done, and pauses when the sink keeps failing', async () => {
    const written: SinkRecord[] = [];
    let failing = false;
    let tripped = false;
    const sink = (store: OpenedDatabase): ResultSink => {
      const local = createSqliteSink(store.db);
      return {
        kind: 'external',
        writeInTransaction: local.writeInTransaction!,
        async write(records) {
          if (failing) throw new AppError('sink_unavailable', 'the sink is down (injected)');
          written.push(...records);
          await Promise.resolve();
        },
      };
    };
    const compute = createScriptedCompute({ script: (doc) => {
      if (doc.name === 'case-file-25.pdf' && !tripped) {
        tripped = true;
        failing = true;
      }
      return okResult(doc.id);
    } });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 40 }), sink });
    const id = await fixture.engine.plan({ source: spec, requestedBy: 'test' });
    const view = await fixture.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'integration' });
    expect(view.message).toContain('the sink is down');
    // Every document marked done was written to the sink first.
    expect(view.done).toBe(new Set(written.map((r) => r.document.sourceId)).size);
    failing = false;
    compute.calls.clear();
    const resumed = await fixture.engine.run(id);
    expect(resumed).toMatchObject({ status: 'completed', done: 40 });
    expect(new Set(written.map((r) => r.document.sourceId)).size).toBe(40);
  });
});
