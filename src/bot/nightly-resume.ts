/**
 * The nightly job (node-cron, `RESUME_CRON` in `TZ`): a session paused without anyone deciding it — the service
 * crashed or was shut down, no machine was available — continues within its confirmed budget. Sessions paused by a
 * person, at the budget cap or for lack of credit wait for a human. When renting, a price above the confirmed one
 * is not accepted at night: the person is told and asked via /resume.
 */
import type { Database } from 'better-sqlite3';
import cron from 'node-cron';
import type { Engine } from '../core/engine/engine.js';
import type { ComputeProvider } from '../core/engine/ports.js';
import type { SessionRow } from '../core/store/sessions.js';
import { AppError, coerceError } from '../core/errors.js';
import type { Logger } from '../logger.js';
import { priceRise, quoteSession } from './quotes.js';
import type { BotServices } from './services.js';
import { startSession } from './session-starter.js';
import { NIGHTLY_REASONS } from './status-text.js';
import { pausedSessionsFor } from './store.js';
import { count, perHour, plural, safeName, usd } from './text.js';

/** The slice of node-cron the job uses; tests pass node-cron's `createTask` to trigger it by hand. */
export interface CronLike {
  schedule(expression: string, task: () => Promise<void>, options: { timezone?: string; name: string; noOverlap: boolean }): CronTask;
}

export interface CronTask {
  stop(): void | Promise<void>;
  getNextRun(): Date | null;
}

export const nodeCron: CronLike = {
  schedule: (expression, task, options) => cron.schedule(expression, task, options),
};

export interface NightlyDeps {
  engine: Engine;
  db: Database;
  compute: ComputeProvider;
  logger: Logger;
  expression: string;
  timeZone: string | undefined;
  /** Sends to the notification chats. */
  tell(html: string): void;
  /** For price checks when renting. */
  services(): BotServices;
  cron?: CronLike;
}

export type NightlyOutcome =
  | { resumed: string; waiting: number }
  | { resumed: null; reason: 'busy' | 'nothing' | 'none_eligible' };

export function validateSchedule(expression: string, timeZone: string | undefined): void {
  if (!cron.validate(expression)) {
    throw new AppError('config_invalid', `RESUME_CRON: "${expression}" is not a cron expression.`, { hint: 'Use five fields, e.g. "0 2 * * *" for 02:00 every night.' });
  }
  if (timeZone) {
    try {
      new Intl.DateTimeFormat('en', { timeZone });
    } catch {
      throw new AppError('config_invalid', `TZ: "${timeZone}" is not a time zone.`, { hint: 'Use an IANA name such as Europe/Paris or America/New_York.' });
    }
  }
}

export class NightlyResume {
  private task: CronTask | null = null;

  constructor(private readonly deps: NightlyDeps) {}

  start(): void {
    const { expression, timeZone } = this.deps;
    validateSchedule(expression, timeZone);
    this.task = (this.deps.cron ?? nodeCron).schedule(expression, () => this.runOnce().then(() => undefined), {
      ...(timeZone ? { timezone: timeZone } : {}),
      name: 'nightly-resume',
      noOverlap: true,
    });
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    this.task = null;
  }

  nextRunAt(): number | null {
    return this.task?.getNextRun()?.getTime() ?? null;
  }

  /** One night's work: resume the oldest eligible session, and say what happened. */
  async runOnce(): Promise<NightlyOutcome> {
    const { engine, db, logger } = this.deps;
    try {
      const running = engine.runningSessionId();
      if (running) {
        logger.info({ sessionId: running }, 'nightly resume: a session is already running');
        return { resumed: null, reason: 'busy' };
      }
      const candidates = pausedSessionsFor(db, NIGHTLY_REASONS);
      if (candidates.length === 0) return { resumed: null, reason: 'nothing' };
      for (const [i, session] of candidates.entries()) {
        if (!(await this.affordable(session))) continue;
        const started = await startSession(this.deps.services(), session.id);
        if (started.ok) {
          this.tellResumed(session, candidates.length - i - 1);
          return { resumed: session.id, waiting: candidates.length - i - 1 };
        }
        this.deps.tell(`The nightly resume of ${safeName(session.source_label, 120)} did not start: ${safeName(started.message, 300)}. /resume to look at it.`);
      }
      return { resumed: null, reason: 'none_eligible' };
    } catch (error) {
      logger.error({ err: coerceError(error) }, 'the nightly resume failed');
      return { resumed: null, reason: 'none_eligible' };
    }
  }

  /** Local compute always is; renting needs a confirmation and today's price no higher than the confirmed one. */
  private async affordable(session: SessionRow): Promise<boolean> {
    if (!this.deps.compute.requiresConfirmation) return true;
    const label = safeName(session.source_label, 120);
    if (!session.confirmation_json) {
      this.deps.tell(`${label} was never confirmed, so it was not resumed tonight. /resume shows the prices.`);
      return false;
    }
    const sheet = await quoteSession(this.deps.services(), session.id);
    if (sheet.problem || sheet.quotes.length === 0) {
      this.deps.tell(`${label} was not resumed tonight: ${sheet.problem ? `the prices could not be fetched (${safeName(sheet.problem, 200)})` : 'no machine was on offer'}. It tries again tomorrow night, or /resume now.`);
      return false;
    }
    const rise = priceRise(sheet);
    if (rise) {
      this.deps.tell(`${label} was not resumed tonight: the lowest price is now ${perHour(rise.best)}, above the ${perHour(rise.confirmed)} you confirmed. /resume to see the prices and decide.`);
      return false;
    }
    return true;
  }

  private tellResumed(session: SessionRow, waiting: number): void {
    const view = this.deps.engine.view(session.id);
    if (!view) return;
    const money = this.deps.compute.requiresConfirmation
      ? `Within the confirmed budget: ${usd(view.total_cost)} spent of ${usd(view.budget)}.`
      : 'On this machine, at no cost.';
    const others = waiting > 0 ? ` ${plural(waiting, 'other paused batch', 'other paused batches')} wait${waiting === 1 ? 's' : ''} for the next night, or /resume.` : '';
    this.deps.tell([
      `<b>Nightly resume</b>: ${safeName(view.source, 120)} continues where it stopped (${safeName(session.status_message ?? 'it had paused', 200)}).`,
      `${count(view.remaining)} documents left. ${money}${others}`,
    ].join('\n'));
  }
}
