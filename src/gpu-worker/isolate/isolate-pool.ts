/**
 * A warm pool of isolate threads. A document borrows one for its whole life; an isolate that died or was
 * terminated is replaced, and a healthy one is recycled after many documents so slow leaks cannot build up.
 */
import type { Logger } from '../../logger.js';
import { ResourcePool } from '../resource-pool.js';
import { Isolate } from './isolate.js';

export interface IsolatePoolOptions {
  size: number;
  /** Heap limit per isolate (V8 old generation), in MB. */
  heapMb: number;
  /** Replace an isolate after this many documents. */
  recycleAfter?: number;
  logger: Logger;
}

export interface IsolatePool {
  /** Runs `work` on a borrowed isolate and gives it back (or replaces it) afterwards. */
  run<T>(work: (isolate: Isolate) => Promise<T>, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_RECYCLE_AFTER = 200;
/** Closing a document takes milliseconds; an isolate that needs longer is stuck and gets replaced. */
const CLOSE_TIMEOUT_MS = 10_000;

export function createIsolatePool(options: IsolatePoolOptions): IsolatePool {
  const recycleAfter = options.recycleAfter ?? DEFAULT_RECYCLE_AFTER;
  const pool = new ResourcePool<Isolate>(options.size, {
    create: async () => new Isolate({ heapMb: options.heapMb, logger: options.logger }),
    destroy: (isolate) => isolate.terminate(),
  });

  async function giveBack(isolate: Isolate): Promise<void> {
    isolate.documents += 1;
    if (isolate.alive && isolate.documents < recycleAfter) {
      try {
        await isolate.call('close-document', {}, { signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) });
        pool.release(isolate);
        return;
      } catch {
        // An isolate that cannot even close its document is not worth keeping.
      }
    }
    await pool.discard(isolate);
  }

  return {
    async run(work, signal) {
      let isolate = await pool.acquire(signal);
      // An idle isolate can die too (a crash between documents); hand out a live one.
      while (!isolate.alive) {
        await pool.discard(isolate);
        isolate = await pool.acquire(signal);
      }
      try {
        return await work(isolate);
      } finally {
        await giveBack(isolate);
      }
    },
    close: () => pool.close(),
  };
}
