/**
 * Phase 1: the CLI SIGKILLed at random moments — start-up, listing, workers starting, mid-batch — and resumed
 * (`aseagi resume --json`) each time, then resumed once more to the end. Every document must end exactly once.
 */
import type { CliSettings } from './cli-process.js';
import type { KillRecord, KillTrigger, RunOutcome } from './cli-runs.js';
import { ORPHAN_GRACE_MS, runCli, tail } from './cli-runs.js';
import type { SoakDocument } from './documents.js';
import type { Random } from './random.js';
import { between } from './random.js';
import type { DbWatch } from './watch-db.js';

/** What each soak phase gets: the folder and its documents, how many kills, and the shared tools. */
export interface SoakPhaseOptions {
  folder: string;
  documents: readonly SoakDocument[];
  kills: number;
  settings: CliSettings;
  watch: DbWatch;
  random: Random;
  log: (line: string) => void;
}

export type CrashResumeOptions = SoakPhaseOptions;

export interface CrashResumeResult {
  kills: KillRecord[];
  /** CLI runs in all: killed ones, ones that ended by themselves, the final one. */
  runs: number;
  /** Of those, `aseagi resume` runs (the others are `aseagi process` before a session existed). */
  resumes: number;
  seconds: number;
  violations: string[];
}

/** Most kills wait for progress (spread over what is left); some land after a random delay, even in start-up. */
function chooseTrigger(random: Random, killsLeft: number, remaining: number): KillTrigger {
  const spread = Math.max(1, Math.floor((2 * remaining) / (killsLeft + 2)));
  return { moreDone: between(random, 1, spread), afterMs: random() < 0.3 ? between(random, 0, 2_500) : null };
}

function argsFor(options: CrashResumeOptions): string[] {
  return options.watch.session() ? ['resume', '--json'] : ['process', options.folder, '--json'];
}

/** What a run that was not killed must have done: complete the session, exit 0. */
function endViolations(outcome: RunOutcome, total: number): string[] {
  const { end } = outcome;
  if (outcome.stalled) return [`a run made no progress for minutes and was killed: ${tail(end.run)}`];
  if (end.code !== 0) return [`a run exited with code ${end.code ?? end.signal}: ${tail(end.run)}`];
  const summary = end.summary ?? {};
  if (summary.status !== 'completed' || summary.done !== total) return [`a run ended with ${JSON.stringify(summary)}`];
  return [];
}

function killViolations(kill: KillRecord, doneBefore: number): string[] {
  const violations: string[] = [];
  if (kill.orphanMs >= ORPHAN_GRACE_MS) violations.push(`worker processes outlived a killed CLI by more than ${ORPHAN_GRACE_MS / 1000} s`);
  if (kill.doneAtKill < doneBefore) violations.push(`done documents went from ${doneBefore} down to ${kill.doneAtKill}`);
  return violations;
}

export async function runCrashResume(options: CrashResumeOptions): Promise<CrashResumeResult> {
  const { documents, watch, settings, random, log } = options;
  const total = documents.length;
  const result: CrashResumeResult = { kills: [], runs: 0, resumes: 0, seconds: 0, violations: [] };
  const start = async (trigger: KillTrigger | null): Promise<RunOutcome> => {
    const args = argsFor(options);
    result.runs += 1;
    if (args[0] === 'resume') result.resumes += 1;
    return runCli(settings, args, watch, trigger);
  };
  const started = Date.now();
  while (result.kills.length < options.kills) {
    if (watch.session()?.status === 'completed') {
      result.violations.push(`the session completed after only ${result.kills.length} of ${options.kills} kills`);
      break;
    }
    const doneBefore = watch.doneCount();
    const trigger = chooseTrigger(random, options.kills - result.kills.length, total - doneBefore);
    const outcome = await start(trigger);
    if (outcome.kill) {
      result.kills.push(outcome.kill);
      result.violations.push(...killViolations(outcome.kill, doneBefore));
      log(`kill ${result.kills.length}/${options.kills}: ${outcome.kill.phase}, ${outcome.kill.doneAtKill}/${total} done, ${outcome.kill.inFlightBatches} batches in flight`);
    } else {
      result.violations.push(...endViolations(outcome, total));
    }
  }
  const final = await start(null);
  result.violations.push(...endViolations(final, total));
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
