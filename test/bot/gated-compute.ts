/**
 * Local compute (REAL worker processes) with a gate in front of each batch, so a test can hold a session in the
 * running state for as long as it needs to press buttons, then let it go on. Nothing about the work is faked.
 */
import { createLocalCompute } from '../../src/core/compute/local.js';
import type { ComputeProvider, Worker, WorkerPool } from '../../src/core/engine/ports.js';
import type { Env } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { workerEnv } from '../../src/main.js';

export class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;
  /** Batches that reached the gate while it was closed. */
  waiting = 0;

  close(): void {
    if (this.release) return;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.release = null;
  }

  async pass(signal: AbortSignal): Promise<void> {
    this.waiting += 1;
    try {
      await Promise.race([
        this.opened,
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(new Error('aborted at the gate'));
          signal.addEventListener('abort', () => reject(new Error('aborted at the gate')), { once: true });
        }),
      ]);
    } finally {
      this.waiting -= 1;
    }
  }
}

export function createGatedCompute(env: Env, logger: Logger, gate: Gate): ComputeProvider {
  const local = createLocalCompute({ workers: 1, workerEnv: workerEnv(env), logger });
  return {
    ...local,
    describe: () => local.describe(),
    open: async (context) => gated(await local.open(context), gate),
  };
}

function gated(pool: WorkerPool, gate: Gate): WorkerPool {
  const wrap = (worker: Worker): Worker => ({
    id: worker.id,
    label: worker.label,
    target: worker.target,
    health: (signal) => worker.health(signal),
    process: async (batch, onResult, signal) => {
      await gate.pass(signal);
      return worker.process(batch, onResult, signal);
    },
  });
  const wrapped = new Map<Worker, Worker>();
  return {
    get maxWorkers() {
      return pool.maxWorkers;
    },
    acquire: async (signal) => {
      const worker = await pool.acquire(signal);
      if (!worker) return null;
      const w = wrap(worker);
      wrapped.set(w, worker);
      return w;
    },
    release: (worker, idle) => pool.release(wrapped.get(worker) ?? worker, idle),
    lost: (worker, reason) => pool.lost(wrapped.get(worker) ?? worker, reason),
    spentUsd: () => pool.spentUsd(),
    canDispatch: () => pool.canDispatch(),
    close: () => pool.close(),
  };
}
