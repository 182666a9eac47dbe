/** The real `aseagi` command as a child process: `node --import <tsx loader> src/cli/run.ts …`, as a user runs it. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const CLI_ENTRY = join(ROOT, 'src', 'cli', 'run.ts');

/** Settings every soak run uses: the engine is the subject, so no OCR; small batches so kills land mid-batch. */
export interface CliSettings {
  /** HOME of the CLI and everything it starts: how the soak recognises its own processes. */
  home: string;
  db: string;
  workers: number;
  batchSize: number;
}

export interface CliRun {
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it printed so far (stdout: the JSON summary; stderr: logs and errors). */
  stdout(): string;
  stderr(): string;
}

const KEEP_STDERR = 20_000;

export function startCli(settings: CliSettings, args: readonly string[]): CliRun {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, '--db', settings.db, ...args], {
    cwd: settings.home,
    env: {
      PATH: process.env.PATH,
      HOME: settings.home,
      OCR_ENGINE: 'none',
      LOCAL_WORKERS: String(settings.workers),
      BATCH_SIZE: String(settings.batchSize),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-KEEP_STDERR)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  return { child, pid: child.pid!, exited, stdout: () => stdout, stderr: () => stderr };
}

/** The `--json` summary: the last line of stdout, or null when there is none (killed, crashed). */
export function summaryOf(run: CliRun): Record<string, unknown> | null {
  const last = run.stdout().trim().split('\n').at(-1);
  if (!last) return null;
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    return null;
  }
}
