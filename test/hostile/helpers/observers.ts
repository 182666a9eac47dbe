/**
 * Watching a real session from the outside: the workers' health answers while it runs, and the peak memory of
 * its worker processes (Linux /proc).
 */
import { readFileSync } from 'node:fs';
import type { ComputeProvider, Worker } from '../../../src/core/engine/ports.js';
import { processesMatching } from '../../helpers/processes.js';

/** The same compute provider, telling `onWorker` about every worker a lane acquires. */
export function watchWorkers(compute: ComputeProvider, onWorker: (worker: Worker) => void): ComputeProvider {
  return {
    kind: compute.kind,
    requiresConfirmation: compute.requiresConfirmation,
    maxWorkers: compute.maxWorkers,
    describe: () => compute.describe(),
    open: async (context) => {
      const pool = await compute.open(context);
      return {
        maxWorkers: pool.maxWorkers,
        acquire: async (signal) => {
          const worker = await pool.acquire(signal);
          if (worker) onWorker(worker);
          return worker;
        },
        release: (worker, idle) => pool.release(worker, idle),
        lost: (worker, reason) => pool.lost(worker, reason),
        spentUsd: () => pool.spentUsd(),
        canDispatch: () => pool.canDispatch(),
        close: () => pool.close(),
      };
    },
  };
}

export interface HealthTally {
  answered: number;
  failed: string[];
}

/** Asks every known worker for its health every `everyMs` until `stop()`; a failure is recorded with its reason. */
export function sampleHealth(workers: () => Iterable<Worker>, everyMs = 1_000, timeoutMs = 5_000): { tally: HealthTally; stop(): Promise<void> } {
  const tally: HealthTally = { answered: 0, failed: [] };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(
        [...new Set(workers())].map(async (worker) => {
          try {
            await worker.health(AbortSignal.timeout(timeoutMs));
            if (!stopped) tally.answered += 1;
          } catch (error) {
            if (!stopped) tally.failed.push(`${worker.id}: ${String(error)}`);
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    tally,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

function environ(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Peak resident memory (VmHWM) of a process so far, in bytes; 0 once it is gone. */
export function peakRssBytes(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Worker processes whose WORKER_ID starts with `prefix` (a session id: its workers are `<session>.localN`). */
export function workerPidsWithIdPrefix(prefix: string): number[] {
  return processesMatching('gpu-worker')
    .filter((p) => environ(p.pid).some((entry) => entry.startsWith(`WORKER_ID=${prefix}`)))
    .map((p) => p.pid);
}

/** Keeps the highest peak memory seen per worker process of the session, sampling every `everyMs`. */
export function samplePeakMemory(prefix: string, everyMs = 250): { peaks: Map<number, number>; stop(): void } {
  const peaks = new Map<number, number>();
  const timer = setInterval(() => {
    for (const pid of workerPidsWithIdPrefix(prefix)) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, peakRssBytes(pid)));
  }, everyMs);
  return { peaks, stop: () => clearInterval(timer) };
}
