/**
 * Running the CLI until a chosen moment and SIGKILLing it there, or to its end; what each run left behind.
 * Shared by both soak phases.
 */
import type { CliRun, CliSettings } from './cli-process.js';
import { startCli, summaryOf } from './cli-process.js';
import { descendantsOf, stillRunning, waitUntil } from './proc.js';
import type { DbWatch } from './watch-db.js';

/** A run that makes no progress for this long has stalled (a violation: the engine must always move on). */
export const STALL_MS = 120_000;
/** How long a killed CLI's worker processes may outlive it (they exit when their stdin pipe closes). */
export const ORPHAN_GRACE_MS = 15_000;

export interface RunEnd {
  run: CliRun;
  code: number | null;
  signal: NodeJS.Signals | null;
  summary: Record<string, unknown> | null;
}

/** Where the killed run was when the kill landed. */
export type KillPhase = 'start-up' | 'listing' | 'workers starting' | 'processing';

export interface KillRecord {
  phase: KillPhase;
  doneAtKill: number;
  /** Batches leased to workers when the CLI died; recovery returns them to the queue on resume. */
  inFlightBatches: number;
  /** How long the last of its worker processes outlived it. */
  orphanMs: number;
}

export interface KillTrigger {
  /** Kill once this many more documents are done than when the run started. */
  moreDone: number;
  /** Or after this long, whichever comes first. */
  afterMs: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function phaseOf(watch: DbWatch, doneAtStart: number): KillPhase {
  const session = watch.session();
  if (!session) return 'start-up';
  if (!session.listing_complete) return 'listing';
  return watch.doneCount() > doneAtStart ? 'processing' : 'workers starting';
}

/** Watches a started run; resolves 'kill' at the trigger, 'exited' if it ended first, 'stalled' if it stopped moving. */
async function waitForTrigger(run: CliRun, watch: DbWatch, trigger: KillTrigger | null): Promise<'kill' | 'exited' | 'stalled'> {
  let exited = false;
  void run.exited.then(() => (exited = true));
  const started = Date.now();
  const doneAtStart = watch.doneCount();
  let lastDone = doneAtStart;
  let lastProgress = started;
  while (!exited) {
    const now = Date.now();
    const done = watch.doneCount();
    if (done !== lastDone) [lastDone, lastProgress] = [done, now];
    if (trigger && (done >= doneAtStart + trigger.moreDone || (trigger.afterMs !== null && now - started >= trigger.afterMs))) return 'kill';
    if (now - lastProgress > STALL_MS) return 'stalled';
    await sleep(10);
  }
  return 'exited';
}

async function killNow(run: CliRun, watch: DbWatch, doneAtStart: number): Promise<KillRecord> {
  const phase = phaseOf(watch, doneAtStart);
  const children = descendantsOf(run.pid);
  run.child.kill('SIGKILL');
  await run.exited;
  const killedAt = Date.now();
  await waitUntil(() => children.every((child) => !stillRunning(child)), ORPHAN_GRACE_MS);
  return { phase, doneAtKill: watch.doneCount(), inFlightBatches: watch.leasedBatches().length, orphanMs: Date.now() - killedAt };
}

export interface RunOutcome {
  end: RunEnd;
  kill: KillRecord | null;
  stalled: boolean;
}

/** Starts the CLI with `args`; kills it at `trigger` (null: lets it finish, unless it stalls). */
export async function runCli(settings: CliSettings, args: readonly string[], watch: DbWatch, trigger: KillTrigger | null): Promise<RunOutcome> {
  const doneAtStart = watch.doneCount();
  const run = startCli(settings, args);
  const outcome = await waitForTrigger(run, watch, trigger);
  let kill: KillRecord | null = null;
  if (outcome === 'kill' || outcome === 'stalled') kill = await killNow(run, watch, doneAtStart);
  const { code, signal } = await run.exited;
  return { end: { run, code, signal, summary: summaryOf(run) }, kill: outcome === 'kill' ? kill : null, stalled: outcome === 'stalled' };
}

/** The CLI's own words when a run ended unexpectedly: its last stderr lines. */
export function tail(run: CliRun, lines = 5): string {
  return run.stderr().trim().split('\n').slice(-lines).join(' | ');
}
