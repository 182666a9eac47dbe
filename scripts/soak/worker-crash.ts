/**
 * Phase 2: one CLI session, and worker processes SIGKILLed in the middle of their batches (found through their
 * WORKER_ID, which the session's workers share as a prefix). The engine must requeue each batch, replace each
 * worker, and complete the session with every document exactly once.
 */
import { startCli, summaryOf } from './cli-process.js';
import { STALL_MS, tail } from './cli-runs.js';
import { killRef, waitUntil, workerProcess } from './proc.js';
import type { Random } from './random.js';
import { between } from './random.js';
import type { SoakPhaseOptions } from './crash-resume.js';
import type { DbWatch, LeasedBatch } from './watch-db.js';

export type WorkerCrashOptions = SoakPhaseOptions;

export interface WorkerKill {
  workerId: string;
  batchNo: number;
  doneAtKill: number;
  /** How long the batch had been with the worker when it was killed. */
  batchAgeMs: number;
}

export interface WorkerCrashResult {
  kills: WorkerKill[];
  seconds: number;
  violations: string[];
}

/** A worker counts as lost (in the audit log) within this long of its death, or the engine missed it. */
const LOSS_NOTICE_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Progress points (documents done) at which to kill, spread over the session with some randomness. */
/**
 * Progress marks at which to kill, spread over the first 70 % of the documents: a replacement worker takes a
 * moment to start, and near the end the other workers may finish everything before a batch is in flight again.
 */
function killPoints(random: Random, kills: number, total: number): number[] {
  const step = (total * 0.7) / (kills + 1);
  return Array.from({ length: kills }, (_, i) => Math.floor(step * (i + 1) + (random() - 0.5) * step * 0.5));
}

/** A whole batch (not one already being retried one document at a time) that its worker has had for `minAgeMs`. */
function batchInFlight(watch: DbWatch, random: Random, minAgeMs: number): LeasedBatch | null {
  const now = Date.now();
  const candidates = watch.leasedBatches().filter((batch) => batch.losses === 0 && batch.doc_count > 1 && now - batch.leased_at >= minAgeMs);
  return candidates[between(random, 0, candidates.length - 1)] ?? null;
}

async function killWorkerOf(batch: LeasedBatch, watch: DbWatch): Promise<WorkerKill | null> {
  const worker = workerProcess(batch.worker_id);
  if (!worker) return null;
  const doneAtKill = watch.doneCount();
  killRef(worker);
  return { workerId: batch.worker_id, batchNo: batch.batch_no, doneAtKill, batchAgeMs: Date.now() - batch.leased_at };
}

export async function runWorkerCrash(options: WorkerCrashOptions): Promise<WorkerCrashResult> {
  const { watch, random, documents, log } = options;
  const total = documents.length;
  const result: WorkerCrashResult = { kills: [], seconds: 0, violations: [] };
  const points = killPoints(random, options.kills, total);
  const started = Date.now();
  const run = startCli(options.settings, ['process', options.folder, '--json']);
  let exited = false;
  void run.exited.then(() => (exited = true));
  let minAgeMs = between(random, 10, 200);
  let lastDone = -1;
  let lastProgress = started;
  while (!exited) {
    const done = watch.doneCount();
    if (done !== lastDone) [lastDone, lastProgress] = [done, Date.now()];
    if (Date.now() - lastProgress > STALL_MS) {
      result.violations.push(`the session made no progress for ${STALL_MS / 1000} s: ${tail(run)}`);
      run.child.kill('SIGKILL');
      break;
    }
    const point = points[result.kills.length];
    const batch = point !== undefined && done >= point ? batchInFlight(watch, random, minAgeMs) : null;
    const kill = batch ? await killWorkerOf(batch, watch) : null;
    if (kill) {
      result.kills.push(kill);
      minAgeMs = between(random, 10, 200);
      log(`worker kill ${result.kills.length}/${options.kills}: ${kill.workerId} ${kill.batchAgeMs} ms into batch ${kill.batchNo}, ${kill.doneAtKill}/${total} done`);
      if (!(await waitUntil(() => watch.workerLost(kill.workerId), LOSS_NOTICE_MS))) {
        result.violations.push(`worker ${kill.workerId} was killed but never recorded as lost`);
      }
    }
    await sleep(10);
  }
  const { code, signal } = await run.exited;
  result.seconds = (Date.now() - started) / 1000;
  const summary = summaryOf(run);
  if (code !== 0) result.violations.push(`the CLI exited with ${code ?? signal}: ${tail(run)}`);
  else if (summary?.status !== 'completed' || summary.done !== total) result.violations.push(`the session ended with ${JSON.stringify(summary)}`);
  if (result.kills.length < options.kills) result.violations.push(`only ${result.kills.length} of ${options.kills} workers could be killed mid-batch before the session ended`);
  return result;
}
