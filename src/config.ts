/**
 * Configuration: parsed once, from the environment and a `.env` file if present (the environment wins), validated
 * with zod. A bad value stops start-up with a message naming the variable. Every variable is documented in the
 * README ("Settings"). Each integration switches on when its settings are present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { AppError } from './core/errors.js';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const int = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

const positive = (fallback: number) => z.coerce.number({ error: 'must be a number' }).positive('must be more than 0').default(fallback);

const bool = (fallback: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const idList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v || !v.trim()) return [] as number[];
    const ids = v.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = ids.filter((id) => !/^-?\d+$/.test(id));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be numeric Telegram ids separated by commas (not ${bad.join(', ')})` });
      return z.NEVER;
    }
    return ids.map(Number);
  });

const csv = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []));

/** MIME types the workers read, comma-separated; empty = PDF only. */
const mimeList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const types = v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
    const supported = ['application/pdf', 'image/png', 'image/jpeg', 'image/tiff'];
    const bad = types.filter((t) => !supported.includes(t));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be among ${supported.join(', ')} (not ${bad.join(', ')})` });
      return z.NEVER;
    }
    return types.length > 0 ? types : ['application/pdf'];
  });

/** "<input>,<output>" dollars per million tokens, for a model the price table does not list. */
const pricePair = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v || !v.trim()) return null;
    const parts = v.split(',').map((s) => Number(s.trim()));
    if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n) || n < 0)) {
      ctx.addIssue({ code: 'custom', message: 'must be two numbers, "<input>,<output>" dollars per million tokens' });
      return z.NEVER;
    }
    return { input: parts[0]!, output: parts[1]! };
  });

/** The schema, variable by variable. Section comments match the README's settings tables. */
export const envSchema = z.object({
  // ── Core ──
  ASEAGI_DB: z.string().default('data/aseagi.db'),
  DATA_DIR: z.string().default('data'),
  INBOX_DIR: z.string().default('data/inbox'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BATCH_SIZE: int(1, 10_000, 100),
  MAX_ATTEMPTS: int(1, 10, 3),
  CHECKPOINT_EVERY: int(1, 100_000, 10),
  CONFIRMATION_TTL_MIN: positive(10),
  // ── Local compute and the worker ──
  LOCAL_WORKERS: int(1, 256, Math.max(1, availableParallelism())),
  OCR_ENGINE: z.enum(['auto', 'tesseract', 'tesseract-js', 'vlm', 'none']).default('auto'),
  OCR_LANGS: z.string().regex(/^[a-z_]+(\+[a-z_]+)*$/, 'must be tesseract language codes joined by +, e.g. eng+spa').default('eng'),
  OCR_PSM: int(0, 13, 3),
  OCR_MIN_TEXT_CHARS: int(0, 100_000, 16),
  OCR_DPI: int(72, 600, 300),
  DOCUMENT_TIMEOUT_S: positive(300),
  MAX_DOCUMENT_MB: positive(2048),
  PDF_PASSWORDS: csv,
  OCR_VLM_URL: optionalString.pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. http://127.0.0.1:8000/v1' }).optional()),
  OCR_VLM_MODEL: optionalString,
  OCR_VLM_API_KEY: optionalString,
  // ── HTTP API ──
  HTTP_PORT: int(0, 65_535, 8001),
  HTTP_HOST: z.string().default('127.0.0.1'),
  API_TOKEN: optionalString,
  API_MAX_BODY_KB: int(1, 10_240, 64),
  API_CORS_ORIGIN: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(z.url({ message: 'must be an origin like https://n8n.example.org' }).optional()),
  // ── Telegram ──
  TELEGRAM_BOT_TOKEN: optionalString,
  ALLOWED_TELEGRAM_USER_IDS: idList,
  NOTIFY_CHAT_IDS: idList,
  NOTIFY_EVERY_BATCHES: int(1, 100_000, 50),
  TELEGRAM_WEBHOOK_URL: optionalString,
  TELEGRAM_WEBHOOK_HOST: z.string().default('127.0.0.1'),
  TELEGRAM_WEBHOOK_PORT: int(1, 65_535, 8443),
  TELEGRAM_API_ROOT: optionalString,
  RESUME_CRON: z.string().default('0 2 * * *'),
  TZ: optionalString,
  // ── Google Drive ──
  GOOGLE_APPLICATION_CREDENTIALS: optionalString,
  GOOGLE_API_ROOT_URL: optionalString,
  DRIVE_FOLDER_ID: optionalString,
  GOOGLE_OAUTH_CLIENT: optionalString,
  GOOGLE_TOKEN_PATH: z.string().default('data/google-token.json'),
  DRIVE_ID: optionalString,
  DRIVE_MIME_TYPES: mimeList,
  DRIVE_INCLUDE_GOOGLE_DOCS: bool(false),
  DRIVE_TIMEOUT_S: positive(60),
  // ── Vast.ai ──
  VAST_AI_API_KEY: optionalString,
  VAST_API_URL: z.string().default('https://console.vast.ai'),
  WORKER_IMAGE: optionalString,
  VAST_MAX_INSTANCES: int(1, 64, 2),
  VAST_MAX_PRICE_PER_HOUR: positive(1),
  VAST_MIN_GPU_RAM_GB: int(0, 1_024, 16),
  VAST_GPU_NAMES: csv,
  VAST_DISK_GB: int(10, 4_096, 40),
  VAST_MIN_RELIABILITY: z.coerce.number({ error: 'must be a number' }).min(0, 'must be 0..1').max(1, 'must be 0..1').default(0.98),
  VAST_MIN_DOWNLOAD_MBPS: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').default(200),
  // The worker image is built on CUDA 12.8 (driver ≥ 570): older hosts cannot run it.
  VAST_MIN_CUDA: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').default(12.8),
  VAST_WORKER_START_TIMEOUT_MIN: positive(30),
  VAST_LOADING_TIMEOUT_MIN: positive(20),
  VAST_MAX_REPLACEMENTS: int(0, 100, 4),
  VAST_IDLE_GRACE_S: int(0, 3_600, 120),
  VAST_CREDIT_RESERVE_MIN: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').default(10),
  VAST_WORKER_PORT: int(1, 65_535, 8080),
  // ── Supabase ──
  SUPABASE_URL: optionalString,
  SUPABASE_KEY: optionalString,
  SUPABASE_CHUNK_ROWS: int(1, 5_000, 500),
  SUPABASE_TIMEOUT_S: positive(60),
  // ── Claude ──
  ANTHROPIC_API_KEY: optionalString,
  CLAUDE_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalString,
  CLAUDE_MODEL: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be a model id such as claude-sonnet-4-6').default('claude-sonnet-4-6'),
  CLAUDE_PRICE_PER_MTOK: pricePair,
  ANALYSIS_MODE: z.enum(['batch', 'direct', 'off']).default('batch'),
  ANALYSIS_MAX_INPUT_TOKENS: int(500, 1_000_000, 30_000),
  ANALYSIS_MAX_OUTPUT_TOKENS: int(256, 64_000, 4_096),
  ANALYSIS_POLL_S: positive(60),
});

export type Env = z.infer<typeof envSchema>;

/** Values that must never be logged, shown or sent to a worker. */
export const SECRET_VARIABLES = [
  'API_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'VAST_AI_API_KEY',
  'SUPABASE_KEY',
  'ANTHROPIC_API_KEY',
  'CLAUDE_API_KEY',
  'PDF_PASSWORDS',
  'OCR_VLM_API_KEY',
] as const;

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** `.env` to read; default `./.env` when it exists. `false` reads none. */
  dotenvPath?: string | false;
}

/** Parses the configuration, or throws an {@link AppError} naming every bad variable. */
export function loadConfig(options: LoadOptions = {}): Env {
  const env = { ...readDotenv(options.dotenvPath), ...(options.env ?? process.env) };
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '?');
    const value = env[name];
    const shown = value === undefined || (SECRET_VARIABLES as readonly string[]).includes(name) ? '' : ` (got "${value}")`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new AppError('config_invalid', `Invalid configuration — ${lines.join('; ')}.`, {
    hint: 'Fix the variable in the environment or in .env (see README, "Settings").',
  });
}

function readDotenv(path: string | false | undefined): Record<string, string> {
  if (path === false) return {};
  const file = resolve(path ?? '.env');
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

/** The Claude key under either name the seed used. */
export function claudeKey(env: Env): string | undefined {
  return env.ANTHROPIC_API_KEY ?? env.CLAUDE_API_KEY;
}
