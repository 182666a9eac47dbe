/**
 * `aseagi doctor`: every configured part, checked the way it will be used, in one table. Configuration problems
 * are found first (a configuration that does not parse stops here with the variable to fix).
 */
import { resolve } from 'node:path';
import type { OAuth2Client } from 'google-auth-library';
import { driveConfigured } from '../core/sources/drive/drive-config.js';
import type { Env } from '../config.js';
import { AppError, describeError } from '../core/errors.js';
import type { EngineLogger } from '../core/engine/types.js';
import { registerSecrets } from '../main.js';
import { databaseCheck, diskCheck, ocrCheck, workerCheck, workerImageCheck } from './checks/local.js';
import type { WorkerProbe } from './checks/local.js';
import { driveCheck } from './checks/drive.js';
import { claudeCheck, telegramCheck, vastCheck } from './checks/services.js';
import { supabaseCheck } from './checks/supabase.js';
import { doctorExitCode, runChecks } from './run-checks.js';
import { ok, problem } from './types.js';
import type { CheckOutcome, DoctorCheck } from './types.js';

export interface DoctorOptions {
  /** The database to check; default ASEAGI_DB. */
  dbPath?: string | undefined;
  logger: EngineLogger;
  /** Per check; a worker start and a slow remote both fit. Default 30 s. */
  timeoutMs?: number;
  /** Skip starting a worker process (faster; the OCR check then looks at this machine only). */
  skipWorker?: boolean;
  /** Test seam: the Google auth client (a service account's token endpoint cannot be redirected). */
  driveAuth?: () => OAuth2Client;
  onResult?: (outcome: CheckOutcome) => void;
}

/** Every check for a parsed configuration, in the order a person fixes things. */
export function doctorChecks(env: Env, options: DoctorOptions): DoctorCheck[] {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const probe: WorkerProbe = { health: null };
  return [
    databaseCheck(resolve(options.dbPath ?? env.ASEAGI_DB)),
    diskCheck(env.DATA_DIR),
    ...(options.skipWorker ? [] : [workerCheck(env, options.logger, probe, timeoutMs)]),
    ocrCheck(env, probe),
    workerImageCheck(env),
    telegramCheck(env, timeoutMs),
    vastCheck(env),
    claudeCheck(env, timeoutMs),
    supabaseCheck(env),
    driveCheck(env, { logger: options.logger, timeoutMs, ...(options.driveAuth ? { auth: options.driveAuth } : {}) }),
  ];
}

export interface DoctorReport {
  outcomes: CheckOutcome[];
  exitCode: number;
}

/** Loads the configuration (a failure is the first and only problem), then runs every check. Never throws. */
export async function runDoctor(load: () => Env, options: DoctorOptions): Promise<DoctorReport> {
  let env: Env;
  try {
    env = load();
  } catch (error) {
    const outcome: CheckOutcome = { name: 'configuration', ...problem(describeError(error), configFix(error)), ms: 0 };
    options.onResult?.(outcome);
    return { outcomes: [outcome], exitCode: 1 };
  }
  registerSecrets(env);
  const first: CheckOutcome = { name: 'configuration', ...ok(configSummary(env)), ms: 0 };
  options.onResult?.(first);
  const rest = await runChecks(doctorChecks(env, options), { timeoutMs: (options.timeoutMs ?? 30_000) + 5_000, ...(options.onResult ? { onResult: options.onResult } : {}) });
  const outcomes = [first, ...rest];
  return { outcomes, exitCode: doctorExitCode(outcomes) };
}

function configFix(error: unknown): string {
  return error instanceof AppError && error.hint ? error.hint : 'Fix the variable in the environment or in .env (README, "Settings").';
}

function configSummary(env: Env): string {
  const on = [
    env.TELEGRAM_BOT_TOKEN && 'Telegram',
    env.VAST_AI_API_KEY && 'Vast.ai',
    env.SUPABASE_URL && env.SUPABASE_KEY && 'Supabase',
    (env.ANTHROPIC_API_KEY ?? env.CLAUDE_API_KEY) && 'Claude',
    driveConfigured(env) && 'Google Drive',
  ].filter(Boolean);
  return `Parsed; integrations on: ${on.length ? on.join(', ') : 'none (local folder, local workers, SQLite)'}.`;
}

