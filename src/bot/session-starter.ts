/**
 * Starting a session from the bot. `engine.run` resolves only when the session ends, so it is never awaited in a
 * handler: the run is started, its outcome arrives as engine events (the notifier tells people), and only an
 * immediate refusal (another session runs, a confirmation expired) is returned here.
 */
import { AppError, coerceError, describeError } from '../core/errors.js';
import type { BotServices } from './services.js';

export type StartOutcome = { ok: true } | { ok: false; code: string; message: string };

/** `chatId`: the chat that asked, which is told by its own reply rather than by the start notice. */
export async function startSession(services: Pick<BotServices, 'engine' | 'logger' | 'notifier'>, sessionId: string, chatId?: number): Promise<StartOutcome> {
  const { engine, logger, notifier } = services;
  notifier.startingFrom(sessionId, chatId);
  const done = engine.run(sessionId);
  // `run` registers a runnable session synchronously; anything else is a refusal it is about to report.
  if (engine.runningSessionId() === sessionId) {
    done.catch((error: unknown) => logger.error({ err: coerceError(error), sessionId }, 'a session run ended with an error'));
    return { ok: true };
  }
  notifier.startingFrom(sessionId, undefined);
  try {
    await done;
    return { ok: true };
  } catch (error) {
    const e = coerceError(error);
    return { ok: false, code: e instanceof AppError ? e.code : 'error', message: describeError(e) };
  }
}
