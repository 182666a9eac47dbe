/**
 * The `aseagi` command as a user runs it: a real child process, real worker processes, real SQLite.
 * Includes the crash test: SIGKILL at random moments, resume, every document exactly once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyPdfs } from '../helpers/tiny-pdfs.js';
import { processesMatching } from '../helpers/processes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const CLI = [join(ROOT, 'src', 'cli', 'run.ts')];
let dir: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, OCR_ENGINE: 'none', LOCAL_WORKERS: '2', BATCH_SIZE: '20', ...extra };
}

/** As root, runs as `nobody` so that file permissions mean something. */
const AS_USER = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** `nobody` must be able to reach the Node binary and the project (not so with Node under /root/.cache). */
function reachableByOthers(path: string): boolean {
  let current = path;
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}
const CAN_DROP_PRIVILEGES = process.getuid?.() !== 0 || (reachableByOthers(process.execPath) && reachableByOthers(join(ROOT, 'node_modules', 'tsx', 'dist')));

function aseagi(
  args: string[],
  extra: Record<string, string> = {},
  as: { uid?: number; gid?: number } = {},
  timeout = 120_000,
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', TSX, ...CLI, ...args], { cwd: dir, env: env(extra), encoding: 'utf8', timeout, ...as });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('aseagi CLI', () => {
  it('processes a folder and prints one JSON summary as the last line', async () => {
    const folder = join(dir, 'small');
    await writeTinyPdfs(folder, 5);
    writeFileSync(join(folder, 'notes.docx'), Buffer.from([0, 1, 2, 3, 4, 5]));
    const run = aseagi(['--db', join(dir, 'small.db'), 'process', folder, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(lastJson(run.stdout)).toMatchObject({ status: 'completed', total_documents: 6, done: 5, failed: 1, skipped: 0 });
    const search = aseagi(['--db', join(dir, 'small.db'), 'search', 'unique000003', '--json']);
    expect(lastJson(search.stdout)).toMatchObject({ total: 1 });
    const csv = aseagi(['--db', join(dir, 'small.db'), 'export', '--format', 'csv']);
    expect(csv.stdout.trim().split('\r\n')).toHaveLength(7);
    expect(csv.stdout).toContain('unsupported_type');
  });

  it('a missing folder, an empty folder and bad settings are one clear line each, and write nothing', () => {
    const db = join(dir, 'bad.db');
    const missing = aseagi(['--db', db, 'process', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^aseagi: The folder .*nope does not exist\./);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, '.DS_Store'), 'x');
    const none = aseagi(['--db', db, 'process', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('No documents found');
    const sessions = new BetterSqlite3(db, { readonly: true }).prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number };
    expect(sessions.n).toBe(0);
    const badEnv = aseagi(['--db', db, 'status'], { BATCH_SIZE: 'many' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('BATCH_SIZE');
  });

  // As root a mode-000 file is still readable, so the check runs as `nobody`, which needs to reach node itself.
  it.skipIf(!CAN_DROP_PRIVILEGES)('an unreadable file fails alone with access_denied; the rest is processed', async () => {
    const folder = join(dir, 'perm');
    await writeTinyPdfs(folder, 3);
    const locked = join(folder, 'box-01', 'doc-0002.pdf');
    chmodSync(locked, 0o000);
    chmodSync(dir, 0o777);
    const run = aseagi(['--db', join(dir, 'perm.db'), 'process', folder, '--json'], {}, AS_USER);
    chmodSync(locked, 0o644);
    expect(run.code, run.stderr).toBe(0);
    expect(lastJson(run.stdout)).toMatchObject({ total_documents: 3, done: 2, failed: 1 });
    const failed = aseagi(['--db', join(dir, 'perm.db'), 'export', '--format', 'csv']);
    expect(failed.stdout).toMatch(/doc-0002\.pdf,failed,access_denied/);
  });

  it('a database in use by another process is refused with its pid', async () => {
    const db = join(dir, 'busy.db');
    const holder = spawn(process.execPath, ['--import', TSX, ...CLI, '--db', db, 'serve'], { cwd: dir, env: env({ HTTP_PORT: '0' }), stdio: 'ignore' });
    try {
      await waitFor(() => lockOwner(db) === holder.pid);
      const second = aseagi(['--db', db, 'process', join(dir, 'small')]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`already running (pid ${holder.pid})`);
      const status = aseagi(['--db', db, 'status']);
      expect(status.stderr).not.toContain('already running');
    } finally {
      holder.kill('SIGTERM');
      await new Promise((r) => holder.once('exit', r));
    }
  });

  it('survives SIGKILL at random moments: after resuming, every document is in the results exactly once', async () => {
    const folder = join(dir, 'crash');
    const names = await writeTinyPdfs(folder, 240);
    const db = join(dir, 'crash.db');
    let kills = 0;
    const first = spawn(process.execPath, ['--import', TSX, ...CLI, '--db', db, 'process', folder, '--json'], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    await killAfterProgress(first, db, 30);
    kills += 1;
    for (let round = 0; round < 3; round += 1) {
      const child = spawn(process.execPath, ['--import', TSX, ...CLI, '--db', db, 'resume', '--json'], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      const killed = await killAfterProgress(child, db, 30 + Math.floor(Math.random() * 30));
      if (killed) kills += 1;
    }
    const final = aseagi(['--db', db, 'resume', '--json'], {}, {}, 240_000);
    expect(final.code, final.stderr.slice(-2000)).toBe(0);
    const summary = lastJson(final.stdout);
    expect(summary, final.stderr).toMatchObject({ status: 'completed', total_documents: 240, done: 240, failed: 0 });
    expect(kills).toBeGreaterThanOrEqual(2);
    const check = new BetterSqlite3(db, { readonly: true });
    const rows = check.prepare('SELECT source_id, COUNT(*) AS n FROM results GROUP BY source_id').all() as { source_id: string; n: number }[];
    // Every run's workers are on record: ids continue across resumes instead of overwriting earlier rows.
    const workerRows = (check.prepare('SELECT COUNT(*) AS n FROM workers').get() as { n: number }).n;
    check.close();
    expect(workerRows).toBeGreaterThanOrEqual(kills + 1);
    expect(rows).toHaveLength(names.length);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.source_id))).toEqual(new Set(names));
    // No worker process outlived its SIGKILLed parent.
    await waitFor(() => ourWorkers().length === 0, 15_000);
  }, 300_000);
});

function lockOwner(db: string): number | null {
  try {
    return Number(readFileSync(`${db}.lock`, 'utf8'));
  } catch {
    return null;
  }
}

/** Worker processes started on behalf of this test file (they inherit its HOME), wherever they ended up. */
function ourWorkers(): number[] {
  return processesMatching('gpu-worker').filter((p) => environOf(p.pid).includes(`HOME=${dir}`)).map((p) => p.pid);
}

function environOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}

async function waitFor(predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGKILLs the process once at least `minDone` more documents are done than when it started; false if it finished first. */
async function killAfterProgress(child: ReturnType<typeof spawn>, db: string, minMore: number): Promise<boolean> {
  const doneNow = (): number => {
    try {
      const conn = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
      try {
        return (conn.prepare(`SELECT COUNT(*) AS n FROM documents WHERE status = 'done'`).get() as { n: number }).n;
      } finally {
        conn.close();
      }
    } catch {
      return 0;
    }
  };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const start = doneNow();
  let finished = false;
  void exited.then(() => (finished = true));
  while (!finished && doneNow() < start + minMore) await new Promise((r) => setTimeout(r, 20));
  if (finished) return false;
  child.kill('SIGKILL');
  await exited;
  return true;
}
