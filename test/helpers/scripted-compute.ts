/**
 * A compute provider whose workers answer from a script, in process. For engine tests that need exact control
 * (a result per document, a worker that dies at the 3rd document); end-to-end tests use real worker processes.
 */
import type { ComputeProvider, ComputeSessionContext, Worker, WorkerBatch, WorkerPool } from '../../src/core/engine/ports.js';
import { WorkerLostError } from '../../src/core/engine/ports.js';
import type { BatchDocument, DocumentResult, WorkerHealth } from '../../src/protocol/worker-protocol.js';

/** What a scripted worker does with one document: a result, or die ('lose'). */
export type Script = (doc: BatchDocument, call: { attempt: number; workerId: string }) => DocumentResult | 'lose';

export function okResult(id: string, text = `text of ${id}`, pages = 2, ocrPages = 0): DocumentResult {
  return {
    id,
    status: 'ok',
    error: null,
    detectedType: 'application/pdf',
    bytes: 1000,
    sha256: null,
    pages,
    textPages: pages - ocrPages,
    ocrPages,
    failedPages: [],
    chars: text.length,
    words: text.split(/\s+/).length,
    ocrConfidence: ocrPages > 0 ? 90 : null,
    ocrEngine: ocrPages > 0 ? 'scripted' : null,
    timings: { fetchMs: 1, extractMs: 1, ocrMs: 0, totalMs: 2 },
    text: `--- page 1 ---\n${text}`,
  };
}

export function errorResult(id: string, code: NonNullable<DocumentResult['error']>['code'], retryable: boolean): DocumentResult {
  return { ...okResult(id, ''), status: 'error', error: { code, message: `${code} (scripted)`, retryable }, pages: 0, textPages: 0, text: '', chars: 0, words: 0 };
}

export interface ScriptedComputeOptions {
  workers?: number;
  script?: Script;
  /** $ accrued per document processed (to test budgets). */
  costPerDocument?: number;
  requiresConfirmation?: boolean;
  /** Delay per document, ms (lets tests pause mid-run). */
  delayMs?: number;
  /** Lost workers the pool replaces before giving up. */
  maxReplacements?: number;
}

export interface ScriptedCompute extends ComputeProvider {
  /** Calls per document id (to prove nothing is processed twice when it need not be). */
  calls: Map<string, number>;
  opened: number;
  closed: number;
  lostWorkers: string[];
}

export function createScriptedCompute(options: ScriptedComputeOptions = {}): ScriptedCompute {
  const calls = new Map<string, number>();
  const script: Script = options.script ?? ((doc) => okResult(doc.id));
  const compute: ScriptedCompute = {
    kind: 'scripted',
    requiresConfirmation: options.requiresConfirmation ?? false,
    maxWorkers: options.workers ?? 2,
    describe: () => 'scripted workers',
    calls,
    opened: 0,
    closed: 0,
    lostWorkers: [],
    open(context: ComputeSessionContext): Promise<WorkerPool> {
      compute.opened += 1;
      let spent = 0;
      let sequence = 0;
      let replacements = 0;
      const maxWorkers = options.workers ?? 2;
      const makeWorker = (): Worker => {
        sequence += 1;
        const id = `${context.sessionId}.w${sequence}`;
        context.report({ type: 'worker.starting', workerId: id, label: `scripted #${sequence}`, pricePerHour: null, instanceId: null, gpuName: null });
        context.report({ type: 'worker.ready', workerId: id, label: `scripted #${sequence}` });
        return {
          id,
          label: `scripted #${sequence}`,
          target: { sharesFileSystem: true },
          health: () => Promise.resolve({} as WorkerHealth),
          async process(batch: WorkerBatch, onResult, signal) {
            for (const doc of batch.documents) {
              if (signal.aborted) throw signal.reason ?? new Error('aborted');
              if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
              if (signal.aborted) throw signal.reason ?? new Error('aborted');
              const attempt = (calls.get(doc.id) ?? 0) + 1;
              calls.set(doc.id, attempt);
              const outcome = script(doc, { attempt, workerId: id });
              if (outcome === 'lose') throw new WorkerLostError(id, 'scripted loss');
              spent += options.costPerDocument ?? 0;
              await onResult(outcome);
            }
          },
        };
      };
      const pool: WorkerPool = {
        maxWorkers,
        acquire: () => {
          if (replacements > (options.maxReplacements ?? 10)) return Promise.resolve(null);
          return Promise.resolve(makeWorker());
        },
        release: () => Promise.resolve(),
        lost: (worker, reason) => {
          replacements += 1;
          compute.lostWorkers.push(worker.id);
          context.report({ type: 'worker.lost', workerId: worker.id, reason });
          return Promise.resolve();
        },
        spentUsd: () => spent,
        canDispatch: () => Promise.resolve({ ok: true }),
        close: () => {
          compute.closed += 1;
          return Promise.resolve();
        },
      };
      return Promise.resolve(pool);
    },
  };
  return compute;
}
