/**
 * Starting, confirming, resuming and stopping sessions on behalf of HTTP clients. Runs go in the background (a
 * handler answers at once); renting compute never starts without a confirmation carrying a budget cap.
 */
import { AppError, coerceError } from '../core/errors.js';
import { estimate } from '../core/engine/estimate.js';
import type { Estimate } from '../core/engine/estimate.js';
import type { ComputeOffer } from '../core/engine/ports.js';
import { acceptedOffers, ASSUMED_CHARS_PER_DOCUMENT, quoteSession } from '../core/quote.js';
import { isResumableSession } from '../core/engine/statuses.js';
import type { SessionView, SourceSpec } from '../core/engine/types.js';
import { getSession, listSessions } from '../core/store/sessions.js';
import type { SessionRow } from '../core/store/sessions.js';
import type { ApiDeps } from './deps.js';
import { HttpError } from './http-errors.js';

export interface Money {
  /** The person agrees to the estimate (renting compute needs this, with `maxTotalCost`). */
  confirm: boolean;
  maxTotalCost: number | null;
  maxCostPerHour: number | null;
}

export interface StartRequest extends Money {
  source: SourceSpec;
  batchSize: number | null;
  maxDocuments: number | null;
  /** Confirm and start a session planned by an earlier request (that answered 409), instead of planning anew. */
  sessionId: string | null;
}

/** What a person must agree to before a rental starts. */
export interface Quote {
  sessionId: string;
  estimate: Estimate;
  offers: ComputeOffer[];
  offersError: string | null;
}

export type StartOutcome = { kind: 'started'; view: SessionView } | { kind: 'needs_confirmation'; quote: Quote };

export class SessionControl {
  private starting = false;

  constructor(private readonly deps: ApiDeps) {}

  /** Plans (or takes the given planned session), then starts it or asks for a confirmation. */
  async start(request: StartRequest): Promise<StartOutcome> {
    return this.exclusively(async () => {
      const sessionId = request.sessionId ?? (await this.plan(request));
      return this.begin(sessionId, request);
    });
  }

  /** Resumes the session of a checkpoint (`checkpoint_100`, `checkpoint_100.json`) or a session id. */
  async resume(target: string, money: Money): Promise<StartOutcome> {
    const sessionId = this.resolveTarget(target);
    return this.exclusively(() => this.begin(sessionId, money));
  }

  /** A new session for a session's failed documents (default: the latest session), started like any other. */
  async retryFailed(sessionId: string | null, code: string | null, money: Money): Promise<StartOutcome> {
    return this.exclusively(async () => {
      const from = sessionId ?? listSessions(this.deps.db, 1)[0]?.id;
      if (!from) throw new AppError('no_session', 'There is no session yet.');
      return this.begin(this.deps.engine.retryFailed(from, code), money);
    });
  }

  /**
   * The seed's stop: the running session pauses (workers released, nothing lost) and can be resumed from a
   * checkpoint later. `final` stops a session for good instead.
   */
  async stop(sessionId: string | null, final: boolean): Promise<{ view: SessionView; message: string }> {
    const { engine } = this.deps;
    const running = engine.runningSessionId();
    const target = sessionId ?? running ?? this.latestResumable()?.id ?? null;
    if (!target) throw new AppError('nothing_to_stop', 'No session is running, paused or waiting.');
    if (final) {
      const view = await engine.stop(target);
      return { view, message: `Session ${view.session_id} is stopped for good; its results are kept.` };
    }
    if (running !== target) {
      throw new AppError('not_running', `Session ${target} is not running.`, { hint: 'Send {"final": true} to stop it for good.' });
    }
    const view = await engine.pause(target, 'Stopped over the HTTP API; resume it to continue.');
    return { view, message: 'Session stopped successfully; resume it with POST /batch/resume/{session_id or checkpoint}.' };
  }

  /** The running session, else the newest one. */
  currentView(sessionId: string | null): SessionView | null {
    const { engine } = this.deps;
    return engine.view(sessionId ?? engine.runningSessionId() ?? undefined);
  }

  private async exclusively<T>(work: () => Promise<T>): Promise<T> {
    if (this.starting) throw new AppError('session_starting', 'Another session is being planned or started; try again in a moment.');
    const running = this.deps.engine.runningSessionId();
    if (running) {
      throw new AppError('session_running', `Session ${running} is running.`, { hint: 'Stop it first (POST /batch/stop).' });
    }
    this.starting = true;
    try {
      return await work();
    } finally {
      this.starting = false;
    }
  }

  private plan(request: StartRequest): Promise<string> {
    return this.deps.engine.plan({
      source: request.source,
      batchSize: request.batchSize ?? undefined,
      maxDocuments: request.maxDocuments,
      budgetUsd: request.maxTotalCost,
      maxCostPerHour: request.maxCostPerHour,
      requestedBy: 'api',
    });
  }

  private async begin(sessionId: string, money: Money): Promise<StartOutcome> {
    const session = this.requireSession(sessionId);
    const maxCostPerHour = money.maxCostPerHour ?? sessionOptions(session).maxCostPerHour;
    if (this.deps.compute.requiresConfirmation) {
      // A session that already ran resumes within the budget confirmed for it; a new one needs the person's yes.
      if (!money.confirm && session.started_at == null) {
        return { kind: 'needs_confirmation', quote: await this.quote(session, maxCostPerHour) };
      }
      if (money.confirm) await this.confirm(session, money.maxTotalCost, maxCostPerHour);
    }
    return { kind: 'started', view: await this.launch(sessionId) };
  }

  private async confirm(session: SessionRow, maxTotalCost: number | null, maxCostPerHour: number | null): Promise<void> {
    if (maxTotalCost == null) {
      throw new HttpError(400, 'invalid_request', 'Renting machines needs a budget cap: send "max_total_cost" (dollars) with "confirm": true.', {
        fields: [{ in: 'body', field: 'max_total_cost', message: 'required when confirming a rental' }],
      });
    }
    const { compute, engine, analyzer, db } = this.deps;
    const quote = await quoteSession({ db, compute, analyzer }, session.id, { limit: 5, maxPricePerHour: maxCostPerHour });
    engine.confirm(session.id, { maxTotalCostUsd: maxTotalCost, offers: acceptedOffers(quote, 5), by: 'api' });
  }

  /** Starts the run in the background; a run the engine refuses at once (already running, unconfirmed) throws here. */
  private async launch(sessionId: string): Promise<SessionView> {
    const { engine, logger } = this.deps;
    const done = engine.run(sessionId);
    if (engine.runningSessionId() !== sessionId) return done;
    done.then(
      (view) => logger.info({ sessionId, status: view.status }, 'session run ended'),
      (error: unknown) => logger.error({ err: coerceError(error), sessionId }, 'session run failed'),
    );
    return engine.view(sessionId)!;
  }

  /** The shared quote; without offers (local compute, or the provider failed) a plain estimate at the given $/h. */
  private async quote(session: SessionRow, maxCostPerHour: number | null): Promise<Quote> {
    const { compute, engine, analyzer, db, openSource } = this.deps;
    const quote = await quoteSession({ db, compute, analyzer, openSource }, session.id, { limit: 10, maxPricePerHour: maxCostPerHour });
    const measured = engine.measuredSecondsPerDocument();
    const result =
      quote.estimates[0]?.estimate ??
      estimate({
        documents: quote.documents,
        batchSize: quote.batchSize,
        totalBytes: quote.bytes,
        costPerHour: maxCostPerHour ?? 0,
        workers: quote.instances,
        secondsPerDocument: measured?.seconds ?? null,
        basis: measured?.basis ?? null,
        analysisCostPerDocument: analyzer.enabled ? analyzer.estimateCostPerDocument(ASSUMED_CHARS_PER_DOCUMENT) : 0,
      });
    return { sessionId: session.id, estimate: result, offers: quote.offers, offersError: quote.problem };
  }

  private resolveTarget(target: string): string {
    const checkpoint = this.deps.engine.checkpoint(target);
    if (checkpoint) return checkpoint.session_id;
    if (getSession(this.deps.db, target)) return target;
    throw new AppError('no_checkpoint', `There is no checkpoint or session "${target}".`, { hint: 'GET /checkpoints lists the checkpoints.' });
  }

  private requireSession(sessionId: string): SessionRow {
    const session = getSession(this.deps.db, sessionId);
    if (!session) throw new AppError('no_session', `There is no session ${sessionId}.`);
    return session;
  }

  private latestResumable(): SessionRow | undefined {
    return listSessions(this.deps.db, 50).find((s) => isResumableSession(s.status));
  }
}

/** The options a session was planned with (stored as JSON by the engine). */
function sessionOptions(session: SessionRow): { batchSize: number | null; maxCostPerHour: number | null } {
  try {
    const parsed = JSON.parse(session.options_json) as { batchSize?: unknown; maxCostPerHour?: unknown };
    return {
      batchSize: typeof parsed.batchSize === 'number' ? parsed.batchSize : null,
      maxCostPerHour: typeof parsed.maxCostPerHour === 'number' ? parsed.maxCostPerHour : null,
    };
  } catch {
    return { batchSize: null, maxCostPerHour: null };
  }
}
