/** What every handler and conversation of the bot is built from; assembled once in `createTelegramBot`. */
import type { Database } from 'better-sqlite3';
import type { Context } from 'grammy';
import type { Conversation, ConversationFlavor } from '@grammyjs/conversations';
import type { Engine } from '../core/engine/engine.js';
import type { Analyzer, ComputeProvider, DocumentSource } from '../core/engine/ports.js';
import type { SourceSpec } from '../core/engine/types.js';
import type { Logger } from '../logger.js';
import type { Messenger } from './messenger.js';
import type { Notifier } from './notifier.js';
import type { BotSettings } from './settings.js';
import type { StatusBoard } from './status-board.js';
import type { BotTimers } from './timers.js';

/** The context of the bot's middleware; conversations see a plain {@link Context}. */
export type BotContext = ConversationFlavor<Context>;
export type BotConversation = Conversation<BotContext, Context>;

export interface BotServices {
  engine: Engine;
  db: Database;
  compute: ComputeProvider;
  analyzer: Analyzer;
  /** The app's source resolver (quotes read a source's download quota); absent in some tests. */
  openSource?: ((spec: SourceSpec) => DocumentSource) | undefined;
  settings: BotSettings;
  timers: BotTimers;
  logger: Logger;
  messenger: Messenger;
  board: StatusBoard;
  notifier: Notifier;
  /** When the nightly job next runs, if it is scheduled. */
  nightlyAt(): number | null;
}

/** "telegram:123": who asked, as the engine records it. */
export function requester(ctx: Context): string {
  return `telegram:${ctx.from?.id ?? 'unknown'}`;
}
