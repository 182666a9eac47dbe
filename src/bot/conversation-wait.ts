/**
 * Waiting for an answer inside a conversation. Only buttons of this very question count (callback data carries a
 * per-conversation nonce and a per-question answer); everything else — /status, a Pause button on the live
 * message, an old keyboard — passes on to the rest of the bot while the question stays open.
 */
import type { BotConversation } from './services.js';

/** `userId`: who pressed or typed — in a group, not necessarily whoever opened the question. */
export type Answer = { kind: 'button'; value: string; userId: number } | { kind: 'text'; value: string; userId: number } | { kind: 'cancel' };

export interface WaitOptions {
  /** Button answers accepted now (an older screen's buttons are told they were replaced). */
  accept: readonly string[];
  /** Accept a typed reply (a folder, a budget). */
  text: boolean;
  /** Said to a typed reply when only buttons are expected. */
  hint?: string;
}

const CANCEL = /^\/cancel(@\w+)?(\s|$)/;

export async function waitAnswer(conversation: BotConversation, nonce: string, options: WaitOptions): Promise<Answer> {
  const prefix = `sb:${nonce}:`;
  for (;;) {
    const ctx = await conversation.wait();
    const data = ctx.callbackQuery?.data;
    if (data?.startsWith(prefix)) {
      const value = data.slice(prefix.length);
      if (options.accept.includes(value)) {
        await ctx.answerCallbackQuery();
        return { kind: 'button', value, userId: ctx.callbackQuery!.from.id };
      }
      await ctx.answerCallbackQuery({ text: 'That question was replaced by the newer one below.' });
      continue;
    }
    const text = ctx.message?.text;
    if (text !== undefined && CANCEL.test(text)) return { kind: 'cancel' };
    if (text !== undefined && !text.startsWith('/')) {
      if (options.text) return { kind: 'text', value: text, userId: ctx.from?.id ?? 0 };
      await ctx.reply(options.hint ?? 'Please use the buttons above, or send /cancel.');
      continue;
    }
    await conversation.skip({ next: true });
  }
}
