/** `/start`, `/help`, `/cancel` outside a question, and the command list Telegram shows in its menu. */
import type { Composer } from 'grammy';
import { replyHtml } from '../messenger.js';
import type { BotContext, BotServices } from '../services.js';
import { describeSource } from '../settings.js';
import { safeName } from '../text.js';

/** Registered with `setMyCommands`; the order is the menu's. */
export const COMMANDS: readonly { command: string; description: string }[] = [
  { command: 'status', description: 'Progress of the current batch, live' },
  { command: 'start_batch', description: 'Process a folder (asks before spending)' },
  { command: 'estimate', description: 'How long and how much a folder would take' },
  { command: 'stop', description: 'Pause or stop the running batch' },
  { command: 'resume', description: 'Continue a paused batch' },
  { command: 'failed', description: 'Documents that could not be read, and retry' },
  { command: 'search', description: 'Find words in the processed documents' },
  { command: 'docs', description: 'What has been processed so far' },
  { command: 'checkpoints', description: 'Saved progress points' },
  { command: 'offers', description: 'GPU machines for rent now, with prices' },
  { command: 'balance', description: 'Credit left on the Vast.ai account' },
  { command: 'cancel', description: 'Cancel the question in progress' },
  { command: 'help', description: 'What this bot does' },
];

export function helpHtml(services: BotServices): string {
  const renting = services.compute.requiresConfirmation;
  return [
    '<b>ASEAGI Batch</b> turns documents into searchable text.',
    `Default documents: ${safeName(describeSource(services.settings.defaultSource), 200)}.`,
    renting
      ? 'Work runs on rented GPU machines: nothing is rented until you confirm the price and a budget cap.'
      : 'Work runs on this machine at no cost (no rented machines are configured).',
    '',
    ...COMMANDS.map((c) => `/${c.command} — ${c.description}`),
    '',
    'You also get a message every few batches, when documents cannot be read, and when a batch ends.',
  ].join('\n');
}

export function registerHelp(bot: Composer<BotContext>, services: BotServices): void {
  bot.command(['start', 'help'], (ctx) => replyHtml(ctx, helpHtml(services)));
  bot.command('cancel', (ctx) => replyHtml(ctx, 'Nothing to cancel: no question is open.'));
}
