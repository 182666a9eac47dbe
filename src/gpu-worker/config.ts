/**
 * The worker's configuration, from environment variables only (a rented machine gets nothing else).
 * A bad value stops start-up with one line that names the variable.
 */
import os from 'node:os';
import { parseSealKey } from '../protocol/sealed.js';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { parseDuration } from './duration.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const positiveInt = z.coerce.number().int().positive();
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, context) => {
      const ms = parseDuration(value);
      if (ms === null || ms <= 0) {
        context.addIssue({ code: 'custom', message: 'must be a duration such as 900, 900s, 15m or 1h (a bare number is seconds)' });
        return z.NEVER;
      }
      return ms;
    });

/** The model olmOCR publishes for vLLM: Qwen2.5-VL-7B fine-tuned for document pages, FP8 weights. */
export const DEFAULT_VLM_MODEL = 'allenai/olmOCR-2-7B-1025-FP8';

function isSealKey(text: string): boolean {
  try {
    parseSealKey(text);
    return true;
  } catch {
    return false;
  }
}

function envSchema(cores: number) {
  return z.object({
    WORKER_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    WORKER_SEAL_KEY: z
      .string()
      .optional()
      .refine((text) => text === undefined || isSealKey(text), 'must be 32 bytes in base64url (43 characters)'),
    WORKER_HOST: z.string().min(1).default('127.0.0.1'),
    WORKER_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
    WORKER_ID: z.string().min(1).max(200).default(`${os.hostname()}-${process.pid}`),
    OCR_ENGINE: z.enum(['auto', 'tesseract', 'tesseract-js', 'vlm', 'none']).default('auto'),
    OCR_LANGS: z
      .string()
      .regex(/^[a-z_]+(\+[a-z_]+)*$/, 'must be tesseract language codes joined by +, e.g. eng or eng+spa')
      .default('eng'),
    OCR_POOL_SIZE: positiveInt.max(256).default(cores),
    OCR_VLM_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:8000/v1' }).optional(),
    OCR_VLM_MODEL: z.string().min(1).max(300).default(DEFAULT_VLM_MODEL),
    OCR_VLM_CONCURRENCY: positiveInt.max(1024).default(64),
    OCR_VLM_API_KEY: z.string().min(1).optional(),
    OCR_VLM_TIMEOUT_MS: positiveInt.default(300_000),
    WORKER_CONCURRENCY: positiveInt.max(256).default(cores),
    WORKER_DOC_TIMEOUT_MS: positiveInt.default(30 * 60_000),
    WORKER_DOC_HEAP_MB: positiveInt.min(64, 'must be at least 64').default(1024),
    WORKER_MAX_BODY_BYTES: positiveInt.default(32 * 1024 ** 2),
    WORKER_PREFETCH_DOCS: z.coerce.number().int().min(0).max(1000).default(4),
    WORKER_PREFETCH_MB: z.coerce.number().int().min(0).default(1024),
    WORKER_ORPHAN_TIMEOUT: duration('15m'),
    CONTAINER_ID: z.string().regex(/^\d+$/, 'must be the numeric Vast.ai instance id').optional(),
    CONTAINER_API_KEY: z.string().min(8).optional(),
    VAST_API_URL: z.url({ protocol: /^https?$/ }).default('https://console.vast.ai'),
    WORKER_EXIT_ON_STDIN_CLOSE: z
      .enum(['0', '1', 'false', 'true'], 'must be 1 or 0')
      .default('0')
      .transform((flag) => flag === '1' || flag === 'true'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  });
}

export type WorkerEnv = z.infer<ReturnType<typeof envSchema>>;

/** An OpenAI-compatible server with a page-reading model (olmOCR under vLLM on the same machine). */
export interface VlmSettings {
  /** Base URL ending in `/v1`; requests go to `${url}/chat/completions`. */
  url: string;
  model: string;
  /** Requests in flight at most, over all documents. */
  concurrency: number;
  /** Sent as a bearer token when set (a hosted endpoint); a local vLLM needs none. Never logged. */
  apiKey: string | null;
  /** One request's limit; a page that needs longer is retried, then read by tesseract. */
  timeoutMs: number;
}

/** Downloading documents ahead of the one being processed. `documents: 0` switches it off. */
export interface PrefetchSettings {
  documents: number;
  bytes: number;
}

/** The dead man's switch on a rented Vast.ai machine: destroy this instance when the orchestrator is gone. */
export interface OrphanSettings {
  containerId: string;
  /** Vast's per-instance key (`CONTAINER_API_KEY`): it can only stop or destroy this instance. Never logged. */
  apiKey: string;
  apiUrl: string;
  /** Silence from the orchestrator for this long means it is gone. */
  timeoutMs: number;
}

export interface WorkerConfig {
  token: string;
  /** Every /v1 body is sealed with this key (src/protocol/sealed.ts); null: plain JSON (manual runs, tests). */
  sealKey: Buffer | null;
  host: string;
  port: number;
  workerId: string;
  ocrEngine: WorkerEnv['OCR_ENGINE'];
  ocrLangs: string;
  ocrPoolSize: number;
  /** The VLM engine's server; null when OCR_VLM_URL is unset (then `vlm` is not available). */
  vlm: VlmSettings | null;
  concurrency: number;
  /** Upper bound on any batch's per-document wall-time limit. */
  documentTimeoutMs: number;
  documentHeapMb: number;
  maxBodyBytes: number;
  prefetch: PrefetchSettings;
  /** Only on a rented machine (CONTAINER_ID and CONTAINER_API_KEY set by Vast.ai). */
  orphan: OrphanSettings | null;
  /** Stop when stdin closes: a parent that spawned the worker with a pipe takes it down even when SIGKILLed. */
  exitOnStdinClose: boolean;
  logLevel: WorkerEnv['LOG_LEVEL'];
}

/** Unset and empty mean the same: a default applies. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

/** `http://host:8000` and `http://host:8000/v1/` both mean the OpenAI-style base `http://host:8000/v1`. */
export function openAiBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

function vlmSettings(e: WorkerEnv): VlmSettings | null {
  if (!e.OCR_VLM_URL) {
    if (e.OCR_ENGINE === 'vlm') throw new AppError('config_invalid', 'OCR_VLM_URL: is required when OCR_ENGINE=vlm');
    return null;
  }
  return {
    url: openAiBaseUrl(e.OCR_VLM_URL),
    model: e.OCR_VLM_MODEL,
    concurrency: e.OCR_VLM_CONCURRENCY,
    apiKey: e.OCR_VLM_API_KEY ?? null,
    timeoutMs: e.OCR_VLM_TIMEOUT_MS,
  };
}

function orphanSettings(e: WorkerEnv): OrphanSettings | null {
  if (!e.CONTAINER_ID || !e.CONTAINER_API_KEY) return null;
  return { containerId: e.CONTAINER_ID, apiKey: e.CONTAINER_API_KEY, apiUrl: e.VAST_API_URL.replace(/\/+$/, ''), timeoutMs: e.WORKER_ORPHAN_TIMEOUT };
}

function parseEnv(env: NodeJS.ProcessEnv, cores: number): WorkerEnv {
  const present = withoutEmpty(env);
  const parsed = envSchema(cores).safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  const message = variable in present ? (issue?.message ?? 'invalid value') : 'is required';
  throw new AppError('config_invalid', `${variable}: ${message}`);
}

/** Parses the worker's environment; throws AppError('config_invalid') naming the first bad variable. */
export function parseWorkerConfig(env: NodeJS.ProcessEnv, cores = os.availableParallelism()): WorkerConfig {
  const e = parseEnv(env, cores);
  return {
    token: e.WORKER_TOKEN,
    sealKey: e.WORKER_SEAL_KEY ? parseSealKey(e.WORKER_SEAL_KEY) : null,
    host: e.WORKER_HOST,
    port: e.WORKER_PORT,
    workerId: e.WORKER_ID,
    ocrEngine: e.OCR_ENGINE,
    ocrLangs: e.OCR_LANGS,
    ocrPoolSize: e.OCR_POOL_SIZE,
    vlm: vlmSettings(e),
    concurrency: e.WORKER_CONCURRENCY,
    documentTimeoutMs: e.WORKER_DOC_TIMEOUT_MS,
    documentHeapMb: e.WORKER_DOC_HEAP_MB,
    maxBodyBytes: e.WORKER_MAX_BODY_BYTES,
    prefetch: { documents: e.WORKER_PREFETCH_DOCS, bytes: e.WORKER_PREFETCH_MB * 1024 ** 2 },
    orphan: orphanSettings(e),
    exitOnStdinClose: e.WORKER_EXIT_ON_STDIN_CLOSE,
    logLevel: e.LOG_LEVEL,
  };
}
