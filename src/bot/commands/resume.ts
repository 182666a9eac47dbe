/**
 * `/resume` (sessions that can continue, as buttons) and `/checkpoints`. A button enters /start_batch for that
 * session, which decides whether to ask anything: nothing with local compute, or when the session runs within what
 * was confirmed; the offers again when prices rose, the budget ran out, or it was never confirmed.
 */
import type { Composer } from 'grammy';
import type { SessionView } from '../../core/engine/types.js';
import { isResumableSession } from '../../core/engine/statuses.js';
import { CALLBACK, listKeyboard } from '../keyboards.js';
import { replyHtml } from '../messenger.js';
import type { BotContext, BotServices } from '../services.js';
import { sessionLine } from '../status-text.js';
import { resumableSessions } from '../store.js';
import { clockTime, count, safeName, truncate } from '../text.js';
import { enterStartBatch, refuseWhileBusy } from './enter.js';

const REASONS: Record<string, string> = {
  user: 'paused by a person',
  budget: 'budget reached',
  credit: 'account credit ran out',
  interrupted: 'the service stopped unexpectedly',
  no_workers: 'no machine was available',
  integration: 'a connected service failed',
  shutdown: 'the service was shut down',
};

function reasonText(view: SessionView): string {
  if (view.status !== 'paused') return view.status === 'awaiting_confirmation' ? 'waiting for a price confirmation' : 'not started yet';
  return REASONS[view.pause_reason ?? ''] ?? 'paused';
}

function resumeButton(view: SessionView): { text: string; data: string } {
  const verb = view.status === 'paused' ? 'Resume' : 'Start';
  return { text: `${verb}: ${truncate(view.source, 30)} (${count(view.remaining)} left)`, data: CALLBACK.resume(view.session_id) };
}

export function registerResume(bot: Composer<BotContext>, services: BotServices): void {
  bot.command('resume', async (ctx) => {
    if (await refuseWhileBusy(ctx, services)) return;
    const views = resumableSessions(services.db, 8).map((s) => services.engine.view(s.id)!).filter(Boolean);
    if (views.length === 0) return void (await replyHtml(ctx, 'Nothing to resume: no batch is paused or waiting. /start_batch begins one.'));
    const lines = ['<b>Batches you can continue</b> (nothing is redone; each continues where it stopped):'];
    for (const v of views) lines.push(`• ${sessionLine(v)} — ${reasonText(v)}`);
    await replyHtml(ctx, lines, { keyboard: listKeyboard(views.map(resumeButton)) });
  });

  bot.command('checkpoints', async (ctx) => {
    const checkpoints = services.engine.checkpoints(undefined, 10);
    if (checkpoints.length === 0) return void (await replyHtml(ctx, 'No checkpoints yet: one is saved every few batches of a running session.'));
    const now = services.timers.now();
    const lines = ['<b>Checkpoints</b> (newest first). Progress is saved continuously; a checkpoint names a moment.'];
    const buttons: { text: string; data: string }[] = [];
    for (const c of checkpoints) {
      const view = services.engine.view(c.session_id);
      lines.push(`• ${safeName(c.name)} — ${count(c.completed_batches)} batches, ${count(c.docs_done)} documents, ${clockTime(c.created_at, services.settings.timeZone, now)} · ${view ? sessionLine(view) : safeName(c.session_id)}`);
      if (view && isResumableSession(view.status) && !buttons.some((b) => b.data === CALLBACK.resume(view.session_id))) {
        buttons.push({ text: `Resume after ${truncate(c.name, 24)}`, data: CALLBACK.resume(view.session_id) });
      }
    }
    await replyHtml(ctx, lines, buttons.length > 0 ? { keyboard: listKeyboard(buttons) } : {});
  });

  bot.callbackQuery(/^rs:(.+)$/, async (ctx) => {
    await ctx.answerCallbackQuery();
    const sessionId = ctx.match[1]!;
    const view = services.engine.view(sessionId);
    if (!view || !isResumableSession(view.status)) {
      return void (await replyHtml(ctx, view ? `That batch is ${view.status}; there is nothing to resume.` : 'That batch no longer exists.'));
    }
    if (await refuseWhileBusy(ctx, services, sessionId)) return;
    await enterStartBatch(ctx, { sessionId, resume: true });
  });
}
