/**
 * Starting the worker program (`src/gpu-worker`) as a child process on this machine, exactly as a rented machine
 * runs it, and stopping it without leaving anything behind.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';
import type { EngineLogger } from '../engine/types.js';
import { newSealKey } from '../../protocol/sealed.js';
import { workerReadyLineSchema } from '../../protocol/worker-protocol.js';

/** The command that runs the worker: the built JS, or the TypeScript source through tsx (tests, development). */
export function workerCommand(): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const entry = resolve(dirname(here), '..', '..', 'gpu-worker', fromSource ? 'main.ts' : 'main.js');
  const args = fromSource ? ['--import', import.meta.resolve('tsx'), entry] : [entry];
  return { command: process.execPath, args };
}

/** Only what a worker needs: account-wide secrets in this process's environment must never reach it. */
const PASS_THROUGH_ENV = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT'];

export function workerEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASS_THROUGH_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

export function newWorkerToken(): string {
  return randomBytes(24).toString('base64url');
}

export interface StartedWorkerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  token: string;
  /** The seal key every body to and from this worker is encrypted with. */
  sealKey: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now (tests, hung workers). */
  kill(): void;
}

export interface StartWorkerOptions {
  workerId: string;
  env: Record<string, string>;
  logger: EngineLogger;
  startTimeoutMs?: number;
  host?: string;
  port?: number;
  token?: string;
  sealKey?: string;
}

/** Spawns the worker and waits for its ready line (its port). */
export async function startWorkerProcess(options: StartWorkerOptions): Promise<StartedWorkerProcess> {
  const token = options.token ?? newWorkerToken();
  const sealKey = options.sealKey ?? newSealKey();
  const { command, args } = workerCommand();
  const child = spawn(command, args, {
    env: workerEnvironment({
      ...options.env,
      WORKER_TOKEN: token,
      WORKER_SEAL_KEY: sealKey,
      WORKER_ID: options.workerId,
      WORKER_HOST: options.host ?? '127.0.0.1',
      WORKER_PORT: String(options.port ?? 0),
      // The worker exits when this pipe closes, i.e. when we die, even by SIGKILL: no orphan keeps running.
      WORKER_EXIT_ON_STDIN_CLOSE: '1',
    }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  forwardLogs(child, options.logger.child({ workerId: options.workerId }));
  let ready: { host: string; port: number };
  try {
    ready = await readReadyLine(child, exited, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    child,
    pid: child.pid!,
    url: `http://${ready.host}:${ready.port}`,
    token,
    sealKey,
    exited,
    stop: (graceMs = 5_000) => stopProcess(child, exited, graceMs),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function readReadyLine(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
): Promise<{ host: string; port: number }> {
  return new Promise((resolveReady, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new AppError('worker_start_timeout', `The worker did not start within ${timeoutMs} ms.`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      lines.close();
      reject(error);
    };
    void exited.then(({ code, signal }) =>
      fail(new AppError('worker_exited', `The worker exited during start-up (code ${code ?? '-'}, signal ${signal ?? '-'}).`)),
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      const parsed = workerReadyLineSchema.safeParse(safeJson(line));
      if (!parsed.success) return fail(new AppError('worker_protocol', `The worker printed an unexpected first line: ${line.slice(0, 200)}`));
      // Anything else the worker prints on stdout is not ours to interpret; keep the pipe drained.
      lines.on('line', () => undefined);
      resolveReady({ host: parsed.data.host, port: parsed.data.port });
    });
  });
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/** Worker logs (JSON lines on stderr) are relayed at debug level; a full pipe would stall the worker. */
function forwardLogs(child: ChildProcess, logger: EngineLogger): void {
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (line) => {
    const parsed = safeJson(line);
    if (parsed && typeof parsed === 'object') {
      const { level, msg, ...rest } = parsed as { level?: number; msg?: string };
      const method = (level ?? 30) >= 50 ? 'error' : (level ?? 30) >= 40 ? 'warn' : 'debug';
      logger[method]({ worker: rest }, msg ?? 'worker log');
    } else if (line.trim()) {
      logger.warn({ line: line.slice(0, 500) }, 'worker stderr');
    }
  });
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
