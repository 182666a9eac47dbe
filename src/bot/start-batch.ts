/**
 * `/start_batch`: a conversation (its state in SQLite, so a question waiting for an answer survives a restart).
 * Folder → counting → with local compute: start (no rental, no cost); with a renting provider: offers → the
 * confirmation (price, estimated total, budget cap) → the engine's `confirm` → start. Resuming a session and
 * retrying failures enter the same conversation with a session already planned.
 *
 * Every side effect is inside `conversation.external` (replayed, not repeated); replies go through the
 * conversation's context, which replays them too.
 */
import { randomBytes } from 'node:crypto';
import { InlineKeyboard } from 'grammy';
import type { Context } from 'grammy';
import type { SourceSpec } from '../core/engine/types.js';
import { describeError } from '../core/errors.js';
import { waitAnswer } from './conversation-wait.js';
import { CALLBACK } from './keyboards.js';
import { replyHtml } from './messenger.js';
import { localStartHtml } from './quote-text.js';
import { rentFlow } from './rent-flow.js';
import { requester } from './services.js';
import type { BotConversation, BotServices } from './services.js';
import { startSession } from './session-starter.js';
import { describeSource, sourceFromInput } from './settings.js';
import { escapeHtml, safeName } from './text.js';

/** The conversation's id for `ctx.conversation.enter`. */
export const START_BATCH = 'start_batch';

export interface StartBatchArgs {
  /** What the person typed after /start_batch. */
  folder?: string | undefined;
  /** A session already planned (an estimate, a retry of failures, a resume). */
  sessionId?: string | undefined;
  /** Continue a session: ask only when the price rose, the budget ran out, or it was never confirmed. */
  resume?: boolean | undefined;
}

export function createStartBatch(services: BotServices) {
  return async function startBatch(conversation: BotConversation, ctx: Context, args: StartBatchArgs = {}): Promise<void> {
    const nonce = await conversation.external(() => randomBytes(3).toString('hex'));
    const busy = await conversation.external(() => services.engine.runningSessionId());
    if (busy && busy !== args.sessionId) {
      await replyHtml(ctx, `Another session is running (${safeName(busy)}); one runs at a time. /status shows it, /stop pauses or stops it.`);
      return;
    }
    const sessionId = args.sessionId ?? (await planFromChat(conversation, ctx, services, args.folder, nonce));
    if (!sessionId) return;
    if (services.compute.requiresConfirmation) await rentFlow(conversation, ctx, services, { sessionId, nonce, resume: args.resume ?? false });
    else await startHere(conversation, ctx, services, sessionId);
  };
}

async function planFromChat(conversation: BotConversation, ctx: Context, services: BotServices, folder: string | undefined, nonce: string): Promise<string | null> {
  const source = folder ? sourceFromInput(folder, services.settings.defaultSource) : await chooseSource(conversation, ctx, services, nonce);
  if (!source) return null;
  await replyHtml(ctx, `Counting the documents in the ${safeName(describeSource(source), 200)}…`);
  const by = requester(ctx);
  const planned = await conversation.external(() => planSession(services, source, by));
  if (!planned.ok) {
    await replyHtml(ctx, `${escapeHtml(planned.message)}\nNothing was started.`);
    return null;
  }
  return planned.sessionId;
}

async function chooseSource(conversation: BotConversation, ctx: Context, services: BotServices, nonce: string): Promise<SourceSpec | null> {
  const defaults = services.settings.defaultSource;
  const other = defaults.kind === 'gdrive' ? 'a Drive folder link or id' : 'a folder path on the server';
  const keyboard = new InlineKeyboard().text('Use the default', CALLBACK.answer(nonce, 'd')).text('Cancel', CALLBACK.answer(nonce, 'x'));
  await replyHtml(ctx, `Which documents? The default is the ${safeName(describeSource(defaults), 200)}.\nTap to use it, or type ${other}.`, { keyboard });
  const answer = await waitAnswer(conversation, nonce, { accept: ['d', 'x'], text: true });
  if (answer.kind === 'cancel' || (answer.kind === 'button' && answer.value === 'x')) {
    await replyHtml(ctx, 'Cancelled. Nothing was started.');
    return null;
  }
  return answer.kind === 'text' ? sourceFromInput(answer.value, defaults) : defaults;
}

type Planned = { ok: true; sessionId: string } | { ok: false; message: string };

async function planSession(services: BotServices, source: SourceSpec, requestedBy: string): Promise<Planned> {
  try {
    return { ok: true, sessionId: await services.engine.plan({ source, requestedBy }) };
  } catch (error) {
    services.logger.warn({ err: error, source: source.kind }, 'planning from Telegram failed');
    return { ok: false, message: describeError(error) };
  }
}

/** Local compute: nothing to rent, so nothing to confirm. */
async function startHere(conversation: BotConversation, ctx: Context, services: BotServices, sessionId: string): Promise<void> {
  const chatId = ctx.chat?.id;
  const result = await conversation.external(async () => {
    const { engine, settings, compute } = services;
    const view = engine.view(sessionId);
    const e = engine.estimateSession(sessionId, { costPerHour: 0, workers: settings.localWorkers });
    const started = await startSession(services, sessionId, chatId);
    return { started, facts: { source: view?.source ?? sessionId, remaining: view?.remaining ?? 0, skipped: view?.skipped ?? 0, hours: e.wall_clock_hours, compute: compute.describe(), resumed: view?.started_at != null } };
  });
  if (result.started.ok) await replyHtml(ctx, localStartHtml(result.facts));
  else await replyHtml(ctx, `It could not start: ${escapeHtml(result.started.message)}`);
}
