/** The bot's settings, derived once from the validated configuration. */
import { resolve } from 'node:path';
import type { Env } from '../config.js';
import type { SourceSpec } from '../core/engine/types.js';
import { AppError } from '../core/errors.js';

export interface BotSettings {
  token: string;
  /** Telegram user ids that may use the bot. Never empty (see {@link botSettingsFromEnv}). */
  allowedUserIds: readonly number[];
  /** Chats that receive notifications; the allowed users' private chats by default. */
  notifyChatIds: readonly number[];
  notifyEveryBatches: number;
  /** A local Bot API server, when set. */
  apiRoot: string | undefined;
  /** Webhook mode when set; long polling otherwise. */
  webhookUrl: string | undefined;
  webhookHost: string;
  webhookPort: number;
  resumeCron: string;
  /** IANA zone for the nightly job and for times shown to people; the machine's zone when unset. */
  timeZone: string | undefined;
  /** What `/start_batch` and `/estimate` process when the person names nothing. */
  defaultSource: SourceSpec;
  /** How long a price quote may be confirmed; the engine's confirmation TTL. */
  quoteTtlMs: number;
  /** Local worker processes, for estimates with local compute. */
  localWorkers: number;
  /** The live `/status` message is edited at most this often. */
  statusEditIntervalMs: number;
  /** Document errors are announced at most once per this window, with counts by code. */
  errorWindowMs: number;
  /** The most one rented machine may cost, for the offers shown. */
  maxPricePerHour: number | undefined;
  /** Where the HTTP API listens, for `/docs`. */
  apiUrl: string;
}

/**
 * What the bot processes when nobody names a folder: the Drive folder when `DRIVE_FOLDER_ID` is set (missing
 * credentials are then reported by the Drive source when it lists), else the inbox folder.
 */
export function defaultSourceFor(env: Env): SourceSpec {
  if (env.DRIVE_FOLDER_ID) return { kind: 'gdrive', folderId: env.DRIVE_FOLDER_ID };
  return { kind: 'local', path: resolve(env.INBOX_DIR) };
}

/**
 * The bot's settings, or null when no token is set (Telegram is off). A token with nobody allowed is refused:
 * such a bot would answer no one, or — worse, if the check were lax — everyone.
 */
export function botSettingsFromEnv(env: Env): BotSettings | null {
  const token = env.TELEGRAM_BOT_TOKEN;
  if (!token) return null;
  if (env.ALLOWED_TELEGRAM_USER_IDS.length === 0) {
    throw new AppError(
      'telegram_no_allowed_users',
      'TELEGRAM_BOT_TOKEN is set but ALLOWED_TELEGRAM_USER_IDS is empty, so nobody may use the bot; it was not started.',
      { hint: 'Set ALLOWED_TELEGRAM_USER_IDS to the numeric Telegram ids of the people who may use it (comma-separated; @userinfobot tells you yours).' },
    );
  }
  return {
    token,
    allowedUserIds: env.ALLOWED_TELEGRAM_USER_IDS,
    notifyChatIds: env.NOTIFY_CHAT_IDS.length > 0 ? env.NOTIFY_CHAT_IDS : env.ALLOWED_TELEGRAM_USER_IDS,
    notifyEveryBatches: env.NOTIFY_EVERY_BATCHES,
    apiRoot: env.TELEGRAM_API_ROOT,
    webhookUrl: env.TELEGRAM_WEBHOOK_URL,
    webhookHost: env.TELEGRAM_WEBHOOK_HOST,
    webhookPort: env.TELEGRAM_WEBHOOK_PORT,
    resumeCron: env.RESUME_CRON,
    timeZone: env.TZ,
    defaultSource: defaultSourceFor(env),
    quoteTtlMs: env.CONFIRMATION_TTL_MIN * 60_000,
    localWorkers: env.LOCAL_WORKERS,
    statusEditIntervalMs: 5_000,
    errorWindowMs: 30_000,
    maxPricePerHour: undefined,
    apiUrl: `http://${env.HTTP_HOST}:${env.HTTP_PORT}`,
  };
}

/** A source as people read it. */
export function describeSource(spec: SourceSpec): string {
  if (spec.kind === 'local' && typeof spec.path === 'string') return `folder ${spec.path}`;
  if (spec.kind === 'gdrive' && typeof spec.folderId === 'string') return `Google Drive folder ${spec.folderId}`;
  return spec.kind;
}

/** What a person typed as a folder, as a source of the same kind as the default. */
export function sourceFromInput(input: string, defaults: SourceSpec): SourceSpec {
  const value = input.trim();
  if (defaults.kind === 'gdrive') {
    const fromUrl = /\/folders\/([A-Za-z0-9_-]+)/.exec(value);
    return { kind: 'gdrive', folderId: fromUrl ? fromUrl[1]! : value };
  }
  return { kind: 'local', path: resolve(value) };
}
