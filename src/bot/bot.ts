/**
 * The Telegram bot, assembled: grammY with per-chat ordering, the allow-list, conversations kept in SQLite (with
 * auto-retry installed inside them too — calls made in a conversation bypass `bot.api`'s transformers), the
 * commands, the live status board, notifications and the nightly resume. How updates arrive (long polling or a
 * webhook) is the service's business (`service.ts`); tests drive `bot.handleUpdate` directly.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import type { AutoRetryOptions } from '@grammyjs/auto-retry';
import { conversations, createConversation } from '@grammyjs/conversations';
import { sequentialize } from '@grammyjs/runner';
import { Bot } from 'grammy';
import type { ApiClientOptions, Context, MiddlewareFn } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Database } from 'better-sqlite3';
import type { Engine } from '../core/engine/engine.js';
import type { Analyzer, ComputeProvider, DocumentSource } from '../core/engine/ports.js';
import type { SourceSpec } from '../core/engine/types.js';
import { coerceError } from '../core/errors.js';
import type { Logger } from '../logger.js';
import { accessControl } from './access.js';
import { registerBatch } from './commands/batch.js';
import { registerFailed } from './commands/failed.js';
import { COMMANDS, registerHelp } from './commands/help.js';
import { registerRental } from './commands/rental.js';
import { registerResume } from './commands/resume.js';
import { registerSearch } from './commands/search.js';
import { registerStatus } from './commands/status.js';
import { sqliteConversationStorage } from './conversation-storage.js';
import { replyHtml } from './messenger.js';
import { Messenger } from './messenger.js';
import { NightlyResume } from './nightly-resume.js';
import type { CronLike } from './nightly-resume.js';
import { shutdownNotice } from './notice-text.js';
import { Notifier } from './notifier.js';
import type { BotContext, BotServices } from './services.js';
import type { BotSettings } from './settings.js';
import { createStartBatch, START_BATCH } from './start-batch.js';
import { StatusBoard } from './status-board.js';
import { clockTime } from './text.js';
import { systemTimers } from './timers.js';
import type { BotTimers } from './timers.js';

/** Bump when a conversation's steps change shape: stored conversations of an older shape are dropped. */
const CONVERSATION_VERSION = 1;

/** How long a shutdown waits for messages still being sent. */
const SHUTDOWN_SEND_MS = 5_000;

/** Waits Telegram asks for (429) are honoured up to this long; longer ones fail and are logged. */
const DEFAULT_RETRY: AutoRetryOptions = { maxRetryAttempts: 5, maxDelaySeconds: 120, rethrowInternalServerErrors: false, rethrowHttpErrors: false };

export interface TelegramBotDeps {
  engine: Engine;
  db: Database;
  compute: ComputeProvider;
  analyzer: Analyzer;
  openSource?: ((spec: SourceSpec) => DocumentSource) | undefined;
  logger: Logger;
  settings: BotSettings;
  /** Default: the real clock and timers. Tests move time themselves. */
  timers?: BotTimers;
  /** grammY client options (tests point `apiRoot` at a fake Bot API). `settings.apiRoot` applies otherwise. */
  client?: ApiClientOptions;
  /** Known bot identity: no `getMe` needed (tests). */
  botInfo?: UserFromGetMe;
  retry?: AutoRetryOptions;
  /** node-cron by default; tests pass `createTask` to fire the job by hand. */
  cron?: CronLike;
}

export interface TelegramBot {
  bot: Bot<BotContext>;
  services: BotServices;
  board: StatusBoard;
  notifier: Notifier;
  nightly: NightlyResume;
  messenger: Messenger;
  /** The command menu (`setMyCommands`). */
  registerCommands(): Promise<void>;
  /** Subscribes to the engine and schedules the nightly job. */
  start(): void;
  /** Idempotent; the engine keeps running. */
  stop(): Promise<void>;
}

export function createTelegramBot(deps: TelegramBotDeps): TelegramBot {
  const { settings, logger: parentLogger } = deps;
  const logger = parentLogger.child({ part: 'telegram' });
  const timers = deps.timers ?? systemTimers();
  const retry = deps.retry ?? DEFAULT_RETRY;
  const client: ApiClientOptions = { ...(settings.apiRoot ? { apiRoot: settings.apiRoot } : {}), ...deps.client };
  const bot = new Bot<BotContext>(settings.token, { client, ...(deps.botInfo ? { botInfo: deps.botInfo } : {}) });
  bot.api.config.use(autoRetry(retry));
  const messenger = new Messenger(bot.api, logger);
  let nightly: NightlyResume | null = null;
  const nightlyAt = (): number | null => nightly?.nextRunAt() ?? null;
  const board = new StatusBoard({ api: bot.api, engine: deps.engine, db: deps.db, messenger, settings, timers, logger, nightlyAt });
  const notifier = new Notifier({ engine: deps.engine, db: deps.db, messenger, settings, timers, logger, nightlyAt });
  const services: BotServices = { engine: deps.engine, db: deps.db, compute: deps.compute, analyzer: deps.analyzer, openSource: deps.openSource, settings, timers, logger, messenger, board, notifier, nightlyAt };
  nightly = new NightlyResume({
    engine: deps.engine,
    db: deps.db,
    compute: deps.compute,
    logger,
    expression: settings.resumeCron,
    timeZone: settings.timeZone,
    tell: (html) => notifier.tell(html),
    services: () => services,
    ...(deps.cron ? { cron: deps.cron } : {}),
  });
  installMiddleware(bot, services, retry);
  let started = false;
  let stopped = false;
  return {
    bot,
    services,
    board,
    notifier,
    nightly,
    messenger,
    registerCommands: async () => {
      await bot.api.setMyCommands(COMMANDS.map((c) => ({ command: c.command, description: c.description })));
    },
    start() {
      if (started) return;
      // The schedule is checked first: a bad RESUME_CRON stops start-up before anything subscribes.
      nightly.start();
      started = true;
      board.start();
      notifier.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // The engine pauses what runs after the bot has gone: say it now, while the bot can still speak.
      if (started) tellShutdown(services);
      board.stop();
      notifier.stop();
      await nightly.stop();
      await messenger.idle(SHUTDOWN_SEND_MS);
    },
  };
}

function tellShutdown(services: BotServices): void {
  const running = services.engine.runningSessionId();
  const view = running ? services.engine.view(running) : null;
  if (!view) return;
  const at = services.nightlyAt();
  services.notifier.tell(shutdownNotice(view, at == null ? null : clockTime(at, services.settings.timeZone, services.timers.now())));
}

function installMiddleware(bot: Bot<BotContext>, services: BotServices, retry: AutoRetryOptions): void {
  const { db, logger, timers, settings } = services;
  // Updates of one chat are handled one after another (conversations need it); chats run in parallel.
  bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString()));
  bot.use(accessControl(settings.allowedUserIds, logger, timers));
  bot.use(
    conversations<BotContext, Context>({
      storage: { type: 'key', version: CONVERSATION_VERSION, adapter: sqliteConversationStorage(db, () => timers.now()) },
      plugins: [retryInsideConversations(retry)],
    }),
  );
  bot.use(createConversation<BotContext, Context>(createStartBatch(services), START_BATCH));
  registerHelp(bot, services);
  registerBatch(bot, services);
  registerStatus(bot, services);
  registerResume(bot, services);
  registerFailed(bot, services);
  registerSearch(bot, services);
  registerRental(bot, services);
  bot.callbackQuery(/^sb:/, (ctx) => ctx.answerCallbackQuery({ text: 'That question is closed. /start_batch begins again.' }));
  bot.on('callback_query:data', (ctx) => ctx.answerCallbackQuery());
  bot.on('message:text', (ctx) => (ctx.chat.type === 'private' ? replyHtml(ctx, 'I did not understand that. /help lists what I can do.') : undefined));
  bot.catch((error) => {
    logger.error({ err: coerceError(error.error), updateId: error.ctx.update.update_id, chatId: error.ctx.chat?.id }, 'a Telegram update failed');
  });
}

/** Conversations build their own `Api` for each replay, so the retry transformer is installed there as well. */
function retryInsideConversations(retry: AutoRetryOptions): MiddlewareFn<Context> {
  return (ctx, next) => {
    ctx.api.config.use(autoRetry(retry));
    return next();
  };
}
