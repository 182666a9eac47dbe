/**
 * Runs the documents of every batch, first come first served, at most `concurrency` at a time, and lets
 * clients wait (long poll) for new results. Cancelling drops what has not started; what has started finishes
 * and its result is still reported. A prefetcher, when given, watches the queue and downloads what comes next.
 */
import { setMaxListeners } from 'node:events';
import type { BatchDocument, BatchRequest, BatchState } from '../../protocol/worker-protocol.js';
import type { Logger } from '../../logger.js';
import { DocumentError } from '../../core/errors.js';
import type { DocumentProcessor } from '../document/document-processor.js';
import type { PrefetchItem, Prefetcher } from '../fetch/prefetcher.js';
import { BatchStore, batchState, isAcceptingWork, isSettled, type Batch, type RetentionPolicy } from './batch-store.js';

export interface BatchRunnerOptions {
  processor: DocumentProcessor;
  concurrency: number;
  logger: Logger;
  retention?: RetentionPolicy;
  now?: () => number;
  prefetcher?: Pick<Prefetcher, 'watch' | 'refresh' | 'release'>;
}

export type Submission =
  | { outcome: 'created' | 'existing'; state: BatchState }
  | { outcome: 'conflict'; message: string }
  | { outcome: 'closed' };

export type Lookup = { found: true; state: BatchState } | { found: false; expired: boolean };

export interface BatchRunner {
  submit(request: BatchRequest): Submission;
  lookup(batchId: string, after: number): Lookup;
  /** Resolves when the batch has results beyond `after`, settles, `waitMs` passes, or `signal` aborts. */
  waitForUpdate(batchId: string, after: number, waitMs: number, signal?: AbortSignal): Promise<void>;
  cancel(batchId: string): Lookup;
  load(): { activeDocuments: number; queuedDocuments: number; batches: number };
  /** Stops everything: queued documents are dropped, running ones aborted. Idempotent. */
  close(): Promise<void>;
}

interface Task {
  batch: Batch;
  document: BatchDocument;
}

export function createBatchRunner(options: BatchRunnerOptions): BatchRunner {
  const store = new BatchStore(options.retention, options.now);
  const queue: Task[] = [];
  const waiters = new Map<string, Set<() => void>>();
  const running = new Set<Promise<void>>();
  const shutdown = new AbortController();
  // Every running document listens to it; that is expected, not a leak.
  setMaxListeners(Number.POSITIVE_INFINITY, shutdown.signal);
  let active = 0;
  const { prefetcher } = options;

  function* upcoming(): Generator<PrefetchItem> {
    for (const { batch, document } of queue) {
      yield { location: document.location, maxBytes: batch.request.options.maxDocumentBytes, sizeHint: document.sizeBytes };
    }
  }
  prefetcher?.watch(upcoming);

  function notify(batch: Batch): void {
    const listeners = waiters.get(batch.id);
    waiters.delete(batch.id);
    for (const wake of listeners ?? []) wake();
  }

  function settleIfFinished(batch: Batch): void {
    if (batch.status === 'running' && batch.results.length === batch.request.documents.length) batch.status = 'done';
    if (isSettled(batch)) store.markSettled(batch);
  }

  async function runTask({ batch, document }: Task): Promise<void> {
    const log = options.logger.child({ batch: batch.id, documentId: document.id });
    const result = await options.processor.process(document, batch.request.options, shutdown.signal);
    log.debug({ status: result.status, totalMs: result.timings.totalMs }, 'document processed');
    store.addResult(batch, result);
    batch.active -= 1;
    settleIfFinished(batch);
    notify(batch);
  }

  function pump(): void {
    while (active < options.concurrency && queue.length > 0 && !shutdown.signal.aborted) {
      const task = queue.shift() as Task;
      active += 1;
      task.batch.active += 1;
      const run = runTask(task)
        .catch((error: unknown) => options.logger.error({ err: error, batch: task.batch.id }, 'document task failed'))
        .finally(() => {
          // Whatever happened, nothing fetched ahead for this document may stay behind.
          prefetcher?.release(task.document.location);
          active -= 1;
          running.delete(run);
          pump();
        });
      running.add(run);
    }
    prefetcher?.refresh();
  }

  function removeQueuedTasks(batch: Batch): number {
    let kept = 0;
    const dropped: Task[] = [];
    for (const task of queue) {
      if (task.batch !== batch) queue[kept++] = task;
      else dropped.push(task);
    }
    queue.length = kept;
    for (const task of dropped) prefetcher?.release(task.document.location);
    return dropped.length;
  }

  function submit(request: BatchRequest): Submission {
    if (shutdown.signal.aborted) return { outcome: 'closed' };
    const admission = store.admit(request);
    if (admission.outcome === 'conflict') return admission;
    if (admission.outcome === 'created') {
      options.logger.info({ batch: request.batchId, documents: request.documents.length }, 'batch accepted');
      queue.push(...request.documents.map((document) => ({ batch: admission.batch, document })));
      pump();
    }
    return { outcome: admission.outcome, state: batchState(admission.batch, 0) };
  }

  function lookup(batchId: string, after: number): Lookup {
    const batch = store.get(batchId);
    if (!batch) return { found: false, expired: store.wasEvicted(batchId) };
    return { found: true, state: batchState(batch, after) };
  }

  function waitForUpdate(batchId: string, after: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    const batch = store.get(batchId);
    if (!batch || waitMs <= 0 || batch.results.length > after || isSettled(batch)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const listeners = waiters.get(batchId) ?? new Set<() => void>();
      waiters.set(batchId, listeners);
      const finish = (): void => {
        clearTimeout(timer);
        listeners.delete(finish);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const timer = setTimeout(finish, waitMs);
      listeners.add(finish);
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  function cancel(batchId: string): Lookup {
    const batch = store.get(batchId);
    if (!batch) return { found: false, expired: store.wasEvicted(batchId) };
    if (isAcceptingWork(batch)) {
      const dropped = removeQueuedTasks(batch);
      batch.status = 'cancelled';
      options.logger.info({ batch: batchId, dropped }, 'batch cancelled');
      settleIfFinished(batch);
      notify(batch);
    }
    return { found: true, state: batchState(batch, 0) };
  }

  return {
    submit,
    lookup,
    waitForUpdate,
    cancel,
    load: () => ({ activeDocuments: active, queuedDocuments: queue.length, batches: store.size }),
    async close() {
      for (const task of queue.splice(0)) prefetcher?.release(task.document.location);
      shutdown.abort(new DocumentError('worker_crashed', 'the worker is shutting down'));
      // Long polls answer now with what there is, instead of holding the shutdown up.
      for (const listeners of waiters.values()) for (const wake of listeners) wake();
      await Promise.allSettled([...running]);
    },
  };
}
