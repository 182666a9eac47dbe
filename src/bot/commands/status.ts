/**
 * `/status` (the live message and its Refresh / Pause / Stop buttons) and `/stop`. Stopping for good is asked
 * again; pausing is not (it keeps everything and can be undone with /resume). Callbacks are answered first.
 */
import type { Composer } from 'grammy';
import type { Context } from 'grammy';
import { isFinishedSession } from '../../core/engine/statuses.js';
import type { SessionView } from '../../core/engine/types.js';
import { describeError } from '../../core/errors.js';
import { parseStatusAction, stopQuestionKeyboard } from '../keyboards.js';
import { replyHtml } from '../messenger.js';
import type { BotContext, BotServices } from '../services.js';
import { resumableSessions } from '../store.js';
import { count, escapeHtml, safeName } from '../text.js';

/** The session a command means: the one named, else the running one, else the newest. */
export function sessionFor(services: BotServices, named: string | undefined): SessionView | null {
  const id = named?.trim() || services.engine.runningSessionId() || undefined;
  return services.engine.view(id);
}

export function registerStatus(bot: Composer<BotContext>, services: BotServices): void {
  bot.command('status', async (ctx) => {
    const view = sessionFor(services, ctx.match);
    if (!view) return void (await replyHtml(ctx, 'There is no batch yet. /start_batch begins one.'));
    await services.board.show(ctx.chat.id, view);
  });

  bot.command('stop', async (ctx) => {
    const runningId = services.engine.runningSessionId();
    const waiting = resumableSessions(services.db, 1)[0];
    const view = services.engine.view(runningId ?? waiting?.id ?? '');
    if (!view) return void (await replyHtml(ctx, 'Nothing is running, and nothing is paused.'));
    await askStop(ctx, view);
  });

  bot.callbackQuery(/^st:/, async (ctx) => {
    const action = parseStatusAction(ctx.callbackQuery.data);
    if (!action) return void (await ctx.answerCallbackQuery());
    switch (action.verb) {
      case 'r':
        await ctx.answerCallbackQuery();
        if (ctx.chat && ctx.callbackQuery.message) await services.board.refresh(ctx.chat.id, ctx.callbackQuery.message.message_id, action.sessionId);
        return;
      case 'p':
        return pause(ctx, services, action.sessionId);
      case 's': {
        await ctx.answerCallbackQuery();
        const view = services.engine.view(action.sessionId);
        if (view) await askStop(ctx, view);
        return;
      }
      case 'y':
        return stop(ctx, services, action.sessionId);
      case 'n':
        await ctx.answerCallbackQuery({ text: 'Nothing changed.' });
        await ctx.editMessageText('Kept as it is. Nothing changed.').catch(() => undefined);
        return;
    }
  });
}

async function askStop(ctx: Context, view: SessionView): Promise<void> {
  if (isFinishedSession(view.status)) return void (await replyHtml(ctx, 'That batch has already ended.'));
  const running = view.status === 'running';
  const text = [
    `Stop ${safeName(view.source, 120)} for good?`,
    `${count(view.done)} documents are done and kept; the ${count(view.remaining)} left will not be processed.`,
    running ? 'Pause instead keeps your place: /resume continues later.' : 'It is not running now; stopping only closes it.',
  ].join('\n');
  await replyHtml(ctx, text, { keyboard: stopQuestionKeyboard(view.session_id, running) });
}

async function pause(ctx: Context, services: BotServices, sessionId: string): Promise<void> {
  if (services.engine.runningSessionId() !== sessionId) {
    await ctx.answerCallbackQuery({ text: 'It is not running.' });
    return;
  }
  await ctx.answerCallbackQuery({ text: 'Pausing…' });
  services.logger.info({ sessionId, by: ctx.from?.id }, 'pause requested from Telegram');
  // Resolves when the run has settled; the paused notice and the live message tell the rest.
  services.engine.pause(sessionId, `Paused from Telegram by ${ctx.from?.first_name ?? 'a user'}.`).catch((error: unknown) => {
    services.logger.warn({ err: error, sessionId }, 'pause failed');
  });
  // "Pause instead" under the stop question: that question is answered. The live message updates by itself.
  const message = ctx.callbackQuery?.message;
  if (ctx.chat && message && !services.board.isLive(ctx.chat.id, message.message_id)) {
    await ctx.editMessageText('Pausing. Nothing is lost; /resume continues.').catch(() => undefined);
  }
}

async function stop(ctx: Context, services: BotServices, sessionId: string): Promise<void> {
  const view = services.engine.view(sessionId);
  if (!view || isFinishedSession(view.status)) {
    await ctx.answerCallbackQuery({ text: 'It has already ended.' });
    return;
  }
  await ctx.answerCallbackQuery({ text: 'Stopping…' });
  services.logger.info({ sessionId, by: ctx.from?.id }, 'stop requested from Telegram');
  await ctx.editMessageText(`Stopping ${safeName(view.source, 120)} for good…`, { parse_mode: 'HTML' }).catch(() => undefined);
  services.engine.stop(sessionId).catch(async (error: unknown) => {
    services.logger.warn({ err: error, sessionId }, 'stop failed');
    await replyHtml(ctx, `It could not be stopped: ${escapeHtml(describeError(error))}`).catch(() => undefined);
  });
}
