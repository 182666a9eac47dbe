/**
 * The worker's configuration, from environment variables only (a rented machine gets nothing else).
 * A bad value stops start-up with one line that names the variable.
 */
import os from 'node:os';
import { z } from 'zod';
import { AppError } from '../core/errors.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const positiveInt = z.coerce.number().int().positive();

function envSchema(cores: number) {
  return z.object({
    WORKER_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    WORKER_HOST: z.string().min(1).default('127.0.0.1'),
    WORKER_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
    WORKER_ID: z.string().min(1).max(200).default(`${os.hostname()}-${process.pid}`),
    OCR_ENGINE: z.enum(['auto', 'tesseract', 'tesseract-js', 'none']).default('auto'),
    OCR_LANGS: z
      .string()
      .regex(/^[a-z_]+(\+[a-z_]+)*$/, 'must be tesseract language codes joined by +, e.g. eng or eng+spa')
      .default('eng'),
    OCR_POOL_SIZE: positiveInt.max(256).default(cores),
    WORKER_CONCURRENCY: positiveInt.max(256).default(cores),
    WORKER_DOC_TIMEOUT_MS: positiveInt.default(30 * 60_000),
    WORKER_DOC_HEAP_MB: positiveInt.min(64, 'must be at least 64').default(1024),
    WORKER_MAX_BODY_BYTES: positiveInt.default(32 * 1024 ** 2),
    WORKER_EXIT_ON_STDIN_CLOSE: z
      .enum(['0', '1', 'false', 'true'], 'must be 1 or 0')
      .default('0')
      .transform((flag) => flag === '1' || flag === 'true'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  });
}

export type WorkerEnv = z.infer<ReturnType<typeof envSchema>>;

export interface WorkerConfig {
  token: string;
  host: string;
  port: number;
  workerId: string;
  ocrEngine: WorkerEnv['OCR_ENGINE'];
  ocrLangs: string;
  ocrPoolSize: number;
  concurrency: number;
  /** Upper bound on any batch's per-document wall-time limit. */
  documentTimeoutMs: number;
  documentHeapMb: number;
  maxBodyBytes: number;
  /** Stop when stdin closes: a parent that spawned the worker with a pipe takes it down even when SIGKILLed. */
  exitOnStdinClose: boolean;
  logLevel: WorkerEnv['LOG_LEVEL'];
}

/** Unset and empty mean the same: a default applies. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

/** Parses the worker's environment; throws AppError('config_invalid') naming the first bad variable. */
export function parseWorkerConfig(env: NodeJS.ProcessEnv, cores = os.availableParallelism()): WorkerConfig {
  const present = withoutEmpty(env);
  const parsed = envSchema(cores).safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const message = variable in present ? (issue?.message ?? 'invalid value') : 'is required';
    throw new AppError('config_invalid', `${variable}: ${message}`);
  }
  const e = parsed.data;
  return {
    token: e.WORKER_TOKEN,
    host: e.WORKER_HOST,
    port: e.WORKER_PORT,
    workerId: e.WORKER_ID,
    ocrEngine: e.OCR_ENGINE,
    ocrLangs: e.OCR_LANGS,
    ocrPoolSize: e.OCR_POOL_SIZE,
    concurrency: e.WORKER_CONCURRENCY,
    documentTimeoutMs: e.WORKER_DOC_TIMEOUT_MS,
    documentHeapMb: e.WORKER_DOC_HEAP_MB,
    maxBodyBytes: e.WORKER_MAX_BODY_BYTES,
    exitOnStdinClose: e.WORKER_EXIT_ON_STDIN_CLOSE,
    logLevel: e.LOG_LEVEL,
  };
}
