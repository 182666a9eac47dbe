/**
 * The batches a worker knows: idempotent on batchId, results in completion order, and bounded memory. Settled
 * batches are kept for a while (a poll after a dropped connection still gets its results), then evicted; an
 * evicted id is remembered so it is never processed twice.
 */
import { createHash } from 'node:crypto';
import type { BatchRequest, BatchState, DocumentResult } from '../../protocol/worker-protocol.js';

export type BatchStatus = BatchState['status'];

export interface Batch {
  readonly id: string;
  readonly request: BatchRequest;
  /** Fingerprint of the document ids, to tell a retry from a different batch reusing an id. */
  readonly documentsKey: string;
  status: BatchStatus;
  results: DocumentResult[];
  /** Documents being processed right now. */
  active: number;
  /** When the batch settled (ms since epoch), else null. */
  settledAt: number | null;
  /** Characters of result text held, for the memory bound. */
  retainedChars: number;
}

/** Nothing more will change: done, or cancelled with no document still running. */
export function isSettled(batch: Batch): boolean {
  return batch.status !== 'running' && batch.active === 0;
}

export function isAcceptingWork(batch: Batch): boolean {
  return batch.status === 'running';
}

export interface RetentionPolicy {
  /** Keep settled batches at least this long… */
  settledTtlMs: number;
  /** …but never more than this many… */
  maxSettledBatches: number;
  /** …nor more than this much result text. */
  maxRetainedChars: number;
  /** Evicted ids remembered (to refuse reprocessing). */
  maxTombstones: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  settledTtlMs: 60 * 60_000,
  maxSettledBatches: 200,
  maxRetainedChars: 512 * 1024 ** 2,
  maxTombstones: 100_000,
};

export type Admission =
  | { outcome: 'created' | 'existing'; batch: Batch }
  | { outcome: 'conflict'; message: string };

function documentsKey(request: BatchRequest): string {
  const hash = createHash('sha256');
  for (const document of request.documents) hash.update(document.id).update('\0');
  return hash.digest('hex');
}

export function batchState(batch: Batch, after: number): BatchState {
  return {
    batchId: batch.id,
    status: batch.status,
    total: batch.request.documents.length,
    results: batch.results.slice(after),
    next: batch.results.length,
  };
}

export class BatchStore {
  readonly #batches = new Map<string, Batch>();
  readonly #tombstones = new Set<string>();
  readonly #policy: RetentionPolicy;
  readonly #now: () => number;

  constructor(policy: RetentionPolicy = DEFAULT_RETENTION, now: () => number = Date.now) {
    this.#policy = policy;
    this.#now = now;
  }

  get size(): number {
    return this.#batches.size;
  }

  get(id: string): Batch | undefined {
    return this.#batches.get(id);
  }

  wasEvicted(id: string): boolean {
    return this.#tombstones.has(id);
  }

  admit(request: BatchRequest): Admission {
    const key = documentsKey(request);
    const existing = this.#batches.get(request.batchId);
    if (existing) {
      if (existing.documentsKey === key) return { outcome: 'existing', batch: existing };
      return { outcome: 'conflict', message: `batchId ${request.batchId} is already used for other documents` };
    }
    if (this.#tombstones.has(request.batchId)) {
      return { outcome: 'conflict', message: `batch ${request.batchId} finished and its results have expired here` };
    }
    const batch: Batch = {
      id: request.batchId,
      request,
      documentsKey: key,
      status: 'running',
      results: [],
      active: 0,
      settledAt: null,
      retainedChars: 0,
    };
    this.#batches.set(batch.id, batch);
    return { outcome: 'created', batch };
  }

  addResult(batch: Batch, result: DocumentResult): void {
    batch.results.push(result);
    batch.retainedChars += result.text.length;
  }

  /** Records that a batch settled, and applies the retention policy. */
  markSettled(batch: Batch): void {
    batch.settledAt ??= this.#now();
    this.evict();
  }

  /** Drops settled batches that are too old, too many, or hold too much text: oldest first. */
  evict(): void {
    const settled = [...this.#batches.values()]
      .filter((batch) => isSettled(batch) && batch.settledAt !== null)
      .sort((a, b) => (a.settledAt ?? 0) - (b.settledAt ?? 0));
    let retained = settled.reduce((sum, batch) => sum + batch.retainedChars, 0);
    let count = settled.length;
    for (const batch of settled) {
      const expired = this.#now() - (batch.settledAt ?? 0) > this.#policy.settledTtlMs;
      if (!expired && count <= this.#policy.maxSettledBatches && retained <= this.#policy.maxRetainedChars) break;
      this.#remove(batch);
      count -= 1;
      retained -= batch.retainedChars;
    }
  }

  #remove(batch: Batch): void {
    this.#batches.delete(batch.id);
    this.#tombstones.add(batch.id);
    if (this.#tombstones.size > this.#policy.maxTombstones) {
      const oldest = this.#tombstones.values().next().value;
      if (oldest !== undefined) this.#tombstones.delete(oldest);
    }
  }
}
