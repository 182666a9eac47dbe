/**
 * Local compute: N worker processes on this machine (default: one per core), each the same program a rented GPU
 * runs. Free, so no confirmation; a crashed worker is replaced and its batch requeued by the engine.
 */
import { availableParallelism } from 'node:os';
import { coerceError } from '../errors.js';
import type { ComputeProvider, ComputeSessionContext, Worker, WorkerPool } from '../engine/ports.js';
import type { EngineLogger } from '../engine/types.js';
import { HttpWorker } from './http-worker.js';
import { startWorkerProcess } from './worker-process.js';
import type { StartedWorkerProcess } from './worker-process.js';

export interface LocalComputeOptions {
  /** Worker processes; default one per core. */
  workers?: number;
  /** Settings for the worker program (OCR_ENGINE, OCR_LANGS, …). Never secrets. */
  workerEnv?: Record<string, string>;
  logger: EngineLogger;
  /** Replacements allowed per session before the session pauses for lack of workers. */
  maxRestarts?: number;
  healthIntervalMs?: number;
  /** Failed health checks in a row before a worker counts as lost. */
  healthFailures?: number;
  startTimeoutMs?: number;
}

export function defaultLocalWorkers(): number {
  return Math.max(1, availableParallelism());
}

export function createLocalCompute(options: LocalComputeOptions): ComputeProvider {
  const workers = Math.max(1, options.workers ?? defaultLocalWorkers());
  return {
    kind: 'local',
    requiresConfirmation: false,
    maxWorkers: workers,
    describe: () => `${workers} local worker process${workers === 1 ? '' : 'es'} (CPU)`,
    open: (context) => Promise.resolve(new LocalPool({ ...options, workers }, context)),
  };
}

interface Slot {
  worker: HttpWorker;
  process: StartedWorkerProcess;
  busy: boolean;
  healthFailures: number;
}

class LocalPool implements WorkerPool {
  readonly maxWorkers: number;
  private readonly slots = new Map<string, Slot>();
  private starting = 0;
  private restarts = 0;
  private sequence = 0;
  private closed = false;
  private readonly healthTimer: NodeJS.Timeout;
  private readonly log: EngineLogger;

  constructor(
    private readonly options: LocalComputeOptions & { workers: number },
    private readonly context: ComputeSessionContext,
  ) {
    this.maxWorkers = options.workers;
    this.sequence = context.previousWorkers;
    this.log = options.logger.child({ sessionId: context.sessionId, compute: 'local' });
    this.healthTimer = setInterval(() => void this.checkHealth(), options.healthIntervalMs ?? 10_000);
    this.healthTimer.unref();
  }

  async acquire(signal: AbortSignal): Promise<Worker | null> {
    for (const slot of this.slots.values()) {
      if (!slot.busy && !slot.worker.isLost) {
        slot.busy = true;
        return slot.worker;
      }
    }
    if (this.closed || signal.aborted) return null;
    if (this.slots.size + this.starting >= this.maxWorkers) return null;
    if (this.restarts > (this.options.maxRestarts ?? 20)) {
      this.context.report({ type: 'compute.exhausted', reason: `${this.restarts} local workers crashed in this session` });
      return null;
    }
    return this.start();
  }

  private async start(): Promise<Worker | null> {
    this.sequence += 1;
    const workerId = `${this.context.sessionId}.local${this.sequence}`;
    const label = `local #${this.sequence}`;
    this.starting += 1;
    this.context.report({ type: 'worker.starting', workerId, label, pricePerHour: 0, instanceId: null, gpuName: null });
    try {
      const process = await startWorkerProcess({
        workerId,
        env: { OCR_POOL_SIZE: '1', ...this.options.workerEnv },
        logger: this.log,
        ...(this.options.startTimeoutMs ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
      });
      const worker = new HttpWorker({ id: workerId, label, baseUrl: process.url, token: process.token, sealKey: process.sealKey, target: { sharesFileSystem: true }, logger: this.log });
      const slot: Slot = { worker, process, busy: true, healthFailures: 0 };
      this.slots.set(workerId, slot);
      void process.exited.then(({ code, signal }) => this.onExit(slot, code, signal));
      if (this.closed) {
        await this.retire(slot, 'released', 'session ended while starting');
        return null;
      }
      this.context.report({ type: 'worker.ready', workerId, label });
      return worker;
    } catch (error) {
      this.restarts += 1;
      this.context.report({ type: 'worker.lost', workerId, reason: coerceError(error).message });
      this.log.error({ err: coerceError(error), workerId }, 'worker failed to start');
      return null;
    } finally {
      this.starting -= 1;
    }
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.slots.has(slot.worker.id) || this.closed) return;
    const reason = `worker process exited (code ${code ?? '-'}, signal ${signal ?? '-'})`;
    this.log.warn({ workerId: slot.worker.id, code, signal }, 'worker process exited');
    slot.worker.markLost(reason);
    if (!slot.busy) void this.retire(slot, 'lost', reason);
  }

  release(worker: Worker, _idle: boolean): Promise<void> {
    const slot = this.slots.get(worker.id);
    // Local workers are free: keep them warm for the next batch rather than paying start-up again.
    if (slot) slot.busy = false;
    return Promise.resolve();
  }

  async lost(worker: Worker, reason: string): Promise<void> {
    const slot = this.slots.get(worker.id);
    if (!slot) return;
    this.restarts += 1;
    await this.retire(slot, 'lost', reason);
    this.context.report({ type: 'worker.replaced', oldWorkerId: worker.id, newWorkerId: null, reason });
  }

  private async retire(slot: Slot, as: 'lost' | 'released', reason: string): Promise<void> {
    if (!this.slots.delete(slot.worker.id)) return;
    slot.worker.markLost(reason);
    await slot.process.stop(2_000).catch(() => slot.process.kill());
    this.context.report(as === 'lost' ? { type: 'worker.lost', workerId: slot.worker.id, reason } : { type: 'worker.released', workerId: slot.worker.id, reason });
  }

  private async checkHealth(): Promise<void> {
    const limit = this.options.healthFailures ?? 3;
    for (const slot of [...this.slots.values()]) {
      try {
        await slot.worker.health();
        slot.healthFailures = 0;
      } catch (error) {
        slot.healthFailures += 1;
        this.log.warn({ workerId: slot.worker.id, failures: slot.healthFailures, err: coerceError(error) }, 'worker health check failed');
        if (slot.healthFailures >= limit) slot.worker.markLost(`no answer to ${limit} health checks`);
      }
    }
  }

  spentUsd(): number {
    return 0;
  }

  canDispatch(): Promise<{ ok: true }> {
    return Promise.resolve({ ok: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.healthTimer);
    const results = await Promise.allSettled([...this.slots.values()].map((slot) => this.retire(slot, 'released', 'session ended')));
    for (const result of results) {
      if (result.status === 'rejected') this.log.error({ err: coerceError(result.reason) }, 'stopping a worker failed');
    }
  }
}
