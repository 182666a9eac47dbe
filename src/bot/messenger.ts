/**
 * Sending HTML messages: paged to Telegram's limit, in order per chat, and never throwing into the engine's event
 * loop (a failed notification is logged, not fatal). Replies inside handlers and conversations use {@link replyHtml}.
 */
import type { Api, Context } from 'grammy';
import type { InlineKeyboard } from 'grammy';
import type { Message } from 'grammy/types';
import { coerceError } from '../core/errors.js';
import type { Logger } from '../logger.js';
import { maskSecrets } from '../logger.js';
import { pageLines } from './text.js';

export interface SendOptions {
  /** Goes under the last page. */
  keyboard?: InlineKeyboard | undefined;
}

/**
 * Splits HTML on its lines into messages Telegram accepts. Registered secrets are masked here, the last point
 * before text leaves the process (an error message from an integration may quote one).
 */
export function pagesOf(html: string | readonly string[]): string[] {
  return pageLines(typeof html === 'string' ? html.split('\n') : html).map(maskSecrets);
}

/** Replies in the update's chat; returns the last message sent (the one carrying the keyboard). */
export async function replyHtml(ctx: Context, html: string | readonly string[], options: SendOptions = {}): Promise<Message.TextMessage> {
  const pages = pagesOf(html);
  let last: Message.TextMessage | undefined;
  for (const [i, page] of pages.entries()) {
    const keyboard = i === pages.length - 1 ? options.keyboard : undefined;
    last = await ctx.reply(page, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...(keyboard ? { reply_markup: keyboard } : {}) });
  }
  return last!;
}

export class Messenger {
  private readonly chains = new Map<number, Promise<unknown>>();

  constructor(
    private readonly api: Api,
    private readonly logger: Logger,
  ) {}

  /** Queues a message for a chat after everything queued before it; resolves with the last message, or null. */
  send(chatId: number, html: string | readonly string[], options: SendOptions = {}): Promise<Message.TextMessage | null> {
    const previous = this.chains.get(chatId) ?? Promise.resolve();
    const next = previous.then(() => this.sendNow(chatId, html, options));
    this.chains.set(chatId, next);
    void next.finally(() => {
      if (this.chains.get(chatId) === next) this.chains.delete(chatId);
    });
    return next;
  }

  broadcast(chatIds: readonly number[], html: string | readonly string[]): Promise<void> {
    return Promise.all(chatIds.map((chatId) => this.send(chatId, html))).then(() => undefined);
  }

  /**
   * Resolves once everything queued so far has been sent (or has failed), or after `timeoutMs`: while Telegram is
   * unreachable sends keep retrying, and a shutdown must not wait for them.
   */
  async idle(timeoutMs = Infinity): Promise<void> {
    const drained = (async () => {
      while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
    })();
    if (!Number.isFinite(timeoutMs)) return drained;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([drained, timeout]).finally(() => clearTimeout(timer));
  }

  private async sendNow(chatId: number, html: string | readonly string[], options: SendOptions): Promise<Message.TextMessage | null> {
    const pages = pagesOf(html);
    let last: Message.TextMessage | null = null;
    try {
      for (const [i, page] of pages.entries()) {
        const keyboard = i === pages.length - 1 ? options.keyboard : undefined;
        last = await this.api.sendMessage(chatId, page, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...(keyboard ? { reply_markup: keyboard } : {}) });
      }
    } catch (error) {
      this.logger.error({ err: coerceError(error), chatId }, 'a Telegram message could not be sent');
    }
    return last;
  }
}
