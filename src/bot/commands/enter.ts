/** Opening the /start_batch conversation from a command or a button, replacing any question still open. */
import { replyHtml } from '../messenger.js';
import type { BotContext, BotServices } from '../services.js';
import { START_BATCH } from '../start-batch.js';
import type { StartBatchArgs } from '../start-batch.js';
import { safeName } from '../text.js';

export async function enterStartBatch(ctx: BotContext, args: StartBatchArgs): Promise<void> {
  await ctx.conversation.exitAll();
  await ctx.conversation.enter(START_BATCH, args);
}

/** One session runs at a time: says so and returns true when another one runs. */
export async function refuseWhileBusy(ctx: BotContext, services: BotServices, sessionId?: string): Promise<boolean> {
  const running = services.engine.runningSessionId();
  if (!running || running === sessionId) return false;
  await replyHtml(ctx, `Another batch is running (${safeName(running)}); one runs at a time. /status shows it, /stop pauses or stops it.`);
  return true;
}
