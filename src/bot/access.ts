/**
 * Only allow-listed Telegram users may use the bot: it can rent paid machines and reads private documents. Anyone
 * else gets a short refusal (in a private chat, at most once a minute; silence in groups), nothing else happens,
 * and the attempt is logged with their id.
 */
import type { Context, MiddlewareFn } from 'grammy';
import type { Logger } from '../logger.js';
import type { BotTimers } from './timers.js';

const REFUSAL_EVERY_MS = 60_000;

export function refusalText(userId: number): string {
  return `Sorry, this bot is private. Your Telegram id is ${userId}; the person who runs it can add you.`;
}

export function accessControl(allowedUserIds: readonly number[], logger: Logger, timers: BotTimers): MiddlewareFn<Context> {
  const allowed = new Set(allowedUserIds);
  const lastRefusal = new Map<number, number>();
  return async (ctx, next) => {
    const userId = ctx.from?.id;
    if (userId !== undefined && allowed.has(userId)) return next();
    logger.warn({ userId: userId ?? null, chatId: ctx.chat?.id ?? null, username: ctx.from?.username ?? null }, 'refused a Telegram user who is not on the allow-list');
    if (userId === undefined) return;
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: refusalText(userId) }).catch(() => undefined);
      return;
    }
    const now = timers.now();
    if (ctx.chat?.type !== 'private' || now - (lastRefusal.get(userId) ?? -Infinity) < REFUSAL_EVERY_MS) return;
    lastRefusal.set(userId, now);
    await ctx.reply(refusalText(userId)).catch(() => undefined);
  };
}
