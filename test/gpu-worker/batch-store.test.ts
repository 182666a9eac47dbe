import { describe, expect, it } from 'vitest';
import { batchRequestSchema, type DocumentResult } from '../../src/protocol/worker-protocol.js';
import { BatchStore, batchState, isSettled, type RetentionPolicy } from '../../src/gpu-worker/batches/batch-store.js';

const request = (batchId: string, ids = ['a']) =>
  batchRequestSchema.parse({ batchId, documents: ids.map((id) => ({ id, name: id, location: { kind: 'file', path: `/x/${id}` } })) });

const result = (id: string, text = ''): DocumentResult => ({
  id, status: 'ok', error: null, detectedType: 'application/pdf', bytes: 1, sha256: null, pages: 1, textPages: 1,
  ocrPages: 0, failedPages: [], chars: text.length, words: 0, ocrConfidence: null, ocrEngine: null,
  timings: { fetchMs: 0, extractMs: 0, ocrMs: 0, totalMs: 0 }, text,
});

const policy: RetentionPolicy = { settledTtlMs: 1_000, maxSettledBatches: 2, maxRetainedChars: 100, maxTombstones: 2 };

function finished(store: BatchStore, batchId: string, text = ''): void {
  const admission = store.admit(request(batchId));
  if (admission.outcome !== 'created') throw new Error(admission.outcome);
  store.addResult(admission.batch, result('a', text));
  admission.batch.status = 'done';
  store.markSettled(admission.batch);
}

describe('BatchStore', () => {
  it('admits a batch once, recognises a retry, and refuses the same id for other documents', () => {
    const store = new BatchStore(policy);
    expect(store.admit(request('b1')).outcome).toBe('created');
    expect(store.admit(request('b1')).outcome).toBe('existing');
    expect(store.admit(request('b1', ['other']))).toMatchObject({ outcome: 'conflict' });
  });

  it('reports results from `after` on, with `next` for the following poll', () => {
    const store = new BatchStore(policy);
    const admission = store.admit(request('b1', ['a', 'b', 'c']));
    if (admission.outcome !== 'created') throw new Error(admission.outcome);
    store.addResult(admission.batch, result('a'));
    store.addResult(admission.batch, result('b'));
    expect(batchState(admission.batch, 1)).toMatchObject({ status: 'running', total: 3, next: 2, results: [{ id: 'b' }] });
    expect(isSettled(admission.batch)).toBe(false);
  });

  it('keeps settled batches until they are too old, then remembers their ids', () => {
    let now = 0;
    const store = new BatchStore(policy, () => now);
    finished(store, 'old');
    now = 1_500;
    finished(store, 'new');
    expect(store.get('old')).toBeUndefined();
    expect(store.wasEvicted('old')).toBe(true);
    expect(store.admit(request('old'))).toMatchObject({ outcome: 'conflict' });
    expect(store.get('new')).toBeDefined();
  });

  it.each([
    ['too many settled batches', ['x', 'y', 'z'], ['', '', ''], ['y', 'z']],
    ['too much retained text', ['x', 'y'], ['a'.repeat(60), 'b'.repeat(60)], ['y']],
  ])('evicts the oldest first when there are %s', (_label, ids, texts, kept) => {
    let now = 0;
    const store = new BatchStore(policy, () => now);
    ids.forEach((id, index) => {
      now += 1;
      finished(store, id, texts[index]);
    });
    expect(ids.filter((id) => store.get(id) !== undefined)).toEqual(kept);
  });

  it('never evicts a running batch', () => {
    const store = new BatchStore({ ...policy, maxSettledBatches: 0, settledTtlMs: 0 });
    store.admit(request('running'));
    store.evict();
    expect(store.get('running')).toBeDefined();
  });

  it('forgets the oldest tombstones beyond the limit', () => {
    let now = 0;
    const store = new BatchStore({ ...policy, maxSettledBatches: 0 }, () => now);
    for (const id of ['t1', 't2', 't3']) {
      now += 1;
      finished(store, id);
    }
    expect(['t1', 't2', 't3'].map((id) => store.wasEvicted(id))).toEqual([false, true, true]);
  });
});
