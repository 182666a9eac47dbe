/**
 * The bot as a part of `aseagi serve`: off without a token (and it says so), refused with a token but nobody
 * allowed. Updates arrive by long polling through `@grammyjs/runner`, or by webhook when `TELEGRAM_WEBHOOK_URL` is
 * set (a small HTTP server behind your TLS proxy, checked with a secret token chosen at each start).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { run } from '@grammyjs/runner';
import type { RunnerHandle } from '@grammyjs/runner';
import { webhookCallback } from 'grammy';
import type { Update } from 'grammy/types';
import { coerceError } from '../core/errors.js';
import type { App } from '../main.js';
import type { ServicePart, ServicePartFactory } from '../serve.js';
import { createTelegramBot } from './bot.js';
import type { TelegramBot, TelegramBotDeps } from './bot.js';
import { botSettingsFromEnv } from './settings.js';

const ALLOWED_UPDATES: readonly Exclude<keyof Update, 'update_id'>[] = ['message', 'callback_query'];

/** What a test (or another host) may supply instead of the defaults. */
export type TelegramPartOverrides = Partial<Pick<TelegramBotDeps, 'timers' | 'client' | 'botInfo' | 'retry' | 'cron'>>;

/** The service part for `defaultParts()`: null (with a log line) when Telegram is not configured. */
export async function startTelegramPart(app: App, overrides: TelegramPartOverrides = {}): Promise<ServicePart | null> {
  const settings = botSettingsFromEnv(app.env);
  if (!settings) {
    app.logger.info('Telegram is off (set TELEGRAM_BOT_TOKEN)');
    return null;
  }
  const telegram = createTelegramBot({ engine: app.engine, db: app.store.db, compute: app.compute, analyzer: app.analyzer, openSource: app.openSource, logger: app.logger, settings, ...overrides });
  try {
    telegram.start();
    await telegram.bot.init();
    await telegram.registerCommands();
    const receiver = settings.webhookUrl ? await startWebhook(telegram, settings.webhookUrl, settings.webhookHost, settings.webhookPort) : await startPolling(telegram);
    app.logger.info({ bot: telegram.bot.botInfo.username, mode: settings.webhookUrl ? 'webhook' : 'polling', allowedUsers: settings.allowedUserIds.length }, 'Telegram bot is running');
    return { name: 'telegram', stop: stopOnce(async () => {
      await receiver.stop();
      await telegram.stop();
    }) };
  } catch (error) {
    await telegram.stop();
    throw error;
  }
}

/** `defaultParts()` entry. */
export const telegramPart: ServicePartFactory = (app) => startTelegramPart(app);

interface Receiver {
  stop(): Promise<void>;
}

async function startPolling(telegram: TelegramBot): Promise<Receiver> {
  // A webhook left from an earlier webhook-mode run would make getUpdates fail.
  await telegram.bot.api.deleteWebhook();
  const handle: RunnerHandle = run(telegram.bot, { runner: { fetch: { allowed_updates: ALLOWED_UPDATES, timeout: 30 } } });
  return {
    async stop() {
      if (handle.isRunning()) await handle.stop();
    },
  };
}

async function startWebhook(telegram: TelegramBot, url: string, host: string, port: number): Promise<Receiver> {
  const path = new URL(url).pathname;
  const secretToken = randomBytes(24).toString('hex');
  const handle = webhookCallback(telegram.bot, 'http', { secretToken, onTimeout: 'return' });
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== path) {
      res.writeHead(404).end();
      return;
    }
    handle(req, res).catch((error: unknown) => {
      telegram.services.logger.error({ err: coerceError(error) }, 'a webhook update failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // One connection at a time keeps each chat's updates in order, as the runner does when polling.
  await telegram.bot.api.setWebhook(url, { secret_token: secretToken, allowed_updates: ALLOWED_UPDATES, max_connections: 1 });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function stopOnce(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () => (stopping ??= stop());
}
