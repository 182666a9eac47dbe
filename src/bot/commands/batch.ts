/**
 * `/start_batch [folder]` opens the conversation; `/estimate [folder]` counts a folder and prices it without
 * starting anything. The estimate plans a session (listing is the slow part, so it is done once) and offers to
 * start exactly that, or to discard it.
 */
import type { Composer } from 'grammy';
import { InlineKeyboard } from 'grammy';
import { describeError } from '../../core/errors.js';
import { CALLBACK } from '../keyboards.js';
import { replyHtml } from '../messenger.js';
import { quoteSession } from '../quotes.js';
import { requester } from '../services.js';
import type { BotContext, BotServices } from '../services.js';
import { describeSource, sourceFromInput } from '../settings.js';
import { escapeHtml, formatBytes, perHour, plural, roughDuration, safeName, usd } from '../text.js';
import { enterStartBatch, refuseWhileBusy } from './enter.js';

export function registerBatch(bot: Composer<BotContext>, services: BotServices): void {
  bot.command('start_batch', async (ctx) => {
    if (await refuseWhileBusy(ctx, services)) return;
    const folder = ctx.match.trim();
    await enterStartBatch(ctx, folder ? { folder } : {});
  });

  bot.command('estimate', async (ctx) => {
    const typed = ctx.match.trim();
    const source = typed ? sourceFromInput(typed, services.settings.defaultSource) : services.settings.defaultSource;
    await replyHtml(ctx, `Counting the documents in the ${safeName(describeSource(source), 200)}…`);
    let sessionId: string;
    try {
      sessionId = await services.engine.plan({ source, requestedBy: requester(ctx) });
    } catch (error) {
      return void (await replyHtml(ctx, escapeHtml(describeError(error))));
    }
    const keyboard = new InlineKeyboard().text('Start this batch', CALLBACK.startEstimated(sessionId)).text('Discard', CALLBACK.discardEstimated(sessionId));
    await replyHtml(ctx, await estimateHtml(services, sessionId), { keyboard });
  });

  bot.callbackQuery(/^es:(.+)$/, async (ctx) => {
    await ctx.answerCallbackQuery();
    const sessionId = ctx.match[1]!;
    const view = services.engine.view(sessionId);
    if (!view || (view.status !== 'planned' && view.status !== 'awaiting_confirmation')) {
      return void (await replyHtml(ctx, 'That estimate is no longer open. /estimate makes a new one.'));
    }
    if (await refuseWhileBusy(ctx, services)) return;
    await enterStartBatch(ctx, { sessionId });
  });

  bot.callbackQuery(/^ed:(.+)$/, async (ctx) => {
    await ctx.answerCallbackQuery({ text: 'Discarded.' });
    const sessionId = ctx.match[1]!;
    const view = services.engine.view(sessionId);
    if (view && (view.status === 'planned' || view.status === 'awaiting_confirmation')) await services.engine.stop(sessionId);
    await ctx.editMessageReplyMarkup().catch(() => undefined);
    await replyHtml(ctx, 'Discarded. Nothing was started.');
  });
}

async function estimateHtml(services: BotServices, sessionId: string): Promise<string[]> {
  const { engine, compute, settings } = services;
  const view = engine.view(sessionId)!;
  const lines = [`<b>${plural(view.remaining, 'document')}</b> to process · ${safeName(view.source, 160)}`];
  if (view.skipped > 0) lines.push(`${plural(view.skipped, 'document')} already done before will be skipped.`);
  if (!compute.requiresConfirmation) {
    const e = engine.estimateSession(sessionId, { costPerHour: 0, workers: settings.localWorkers });
    lines.push(`On this machine (${safeName(compute.describe(), 80)}): ${roughDuration(e.wall_clock_hours * 3600)}, at no cost.`);
    lines.push(`<i>${safeName(e.basis, 200)}</i>`);
  } else {
    const sheet = await quoteSession(services, sessionId, 3);
    if (sheet.problem) lines.push(`Prices could not be fetched: ${escapeHtml(sheet.problem)}`);
    else if (sheet.quotes.length === 0) lines.push('No machine is on offer right now.');
    else lines.push(`Size: ${formatBytes(sheet.bytes)}. On one rented machine:`);
    for (const q of sheet.quotes) lines.push(`• ${safeName(q.label, 80)} at ${perHour(q.pricePerHour)}: about ${usd(q.estimatedUsd)}, ${roughDuration(q.hours * 3600)}`);
  }
  lines.push(`Nothing has started${compute.requiresConfirmation ? ' and nothing is rented' : ''}. Start it below, or later with /resume (${plural(view.total_batches, 'batch', 'batches')}).`);
  return lines;
}
