/**
 * Runs doctor checks with a time limit each. A check never throws out of here: a crash or a timeout is that
 * check's problem, reported like any other, and every message is cleaned of registered secrets.
 */
import { AppError, describeError } from '../core/errors.js';
import { maskSecrets } from '../logger.js';
import type { CheckOutcome, CheckResult, DoctorCheck } from './types.js';

export interface RunOptions {
  /** Per check. */
  timeoutMs: number;
  /** Called as each check finishes (for live output). */
  onResult?: (outcome: CheckOutcome) => void;
}

/** Runs the checks one after another (they share a small machine), in the order given. */
export async function runChecks(checks: readonly DoctorCheck[], options: RunOptions): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  for (const check of checks) {
    const started = Date.now();
    const result = await runOne(check, options.timeoutMs);
    const outcome: CheckOutcome = {
      name: check.name,
      status: result.status,
      detail: maskSecrets(result.detail),
      ...(result.fix ? { fix: maskSecrets(result.fix) } : {}),
      ms: Date.now() - started,
    };
    outcomes.push(outcome);
    options.onResult?.(outcome);
  }
  return outcomes;
}

async function runOne(check: DoctorCheck, timeoutMs: number): Promise<CheckResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new AppError('timeout', `no answer within ${Math.round(timeoutMs / 1000)} s`));
      resolve({ status: 'problem', detail: `No answer within ${Math.round(timeoutMs / 1000)} s.`, fix: 'Check the network and the service\'s status page; run doctor again.' });
    }, timeoutMs);
  });
  try {
    return await Promise.race([check.run(controller.signal), timeout]);
  } catch (error) {
    const hint = error instanceof AppError ? error.hint : undefined;
    return { status: 'problem', detail: describeError(error), fix: hint ?? 'See the detail; run with LOG_LEVEL=debug for more.' };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Zero only when nothing is a problem (warnings and unconfigured integrations are fine). */
export function doctorExitCode(outcomes: readonly CheckOutcome[]): number {
  return outcomes.some((o) => o.status === 'problem') ? 1 : 0;
}
