/**
 * Found by the soak (scripts/soak.ts): a CLI SIGKILLed after a batch's last result was recorded but before the
 * batch was settled left the batch open with no open document. After recovery nothing could lease it and the run
 * waited for it forever. The state is made here exactly, without the timing luck the soak needed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as batches from '../../src/core/store/batches.js';
import * as documents from '../../src/core/store/documents.js';
import { createEngineFixture } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';
import { createScriptedCompute } from '../helpers/scripted-compute.js';
import { createSyntheticSource } from '../helpers/synthetic-source.js';

let fixture: EngineFixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

/** Settles with the run's view, or with 'hung' if the run has not ended within `ms` (a liveness bound). */
function withinLiveness<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  return Promise.race([promise, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms).unref())]);
}

describe('a crash between recording a batch and settling it', () => {
  it('the batch is settled on resume and the session completes without processing it again', async () => {
    const compute = createScriptedCompute({ workers: 2 });
    fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: 30 }), settings: { batchSize: 10 } });
    const { engine, store } = fixture;
    const db = store.db;
    const id = await engine.plan({ source: { kind: 'synthetic' }, requestedBy: 'test' });
    // The dead process had leased batch 1 and recorded all ten documents; it died before settling the batch.
    batches.leaseBatch(db, id, 1, 'dead-worker', Date.now());
    const first = db.prepare('SELECT id FROM documents WHERE session_id = ? AND batch_no = 1').all(id) as { id: number }[];
    for (const doc of first) documents.markDocumentDone(db, doc.id, 1, 0, Date.now());

    engine.recover();
    const view = await withinLiveness(engine.run(id), 20_000);

    expect(view === 'hung' ? 'the run never ended' : view.status).toBe('completed');
    expect(batches.getBatch(db, id, 1)?.status).toBe('done');
    const resent = [...compute.calls.keys()].filter((docId) => first.some((doc) => String(doc.id) === docId));
    expect(resent).toEqual([]);
    expect(compute.calls.size).toBe(20);
  });
});
