/**
 * Opening the SQLite database: WAL, foreign keys, migrations, and a single-writer lock so two processes never
 * drive the same sessions at once.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../errors.js';
import { isProcessAlive } from '../process-alive.js';
import { migrate } from './migrations.js';

export type { Database } from 'better-sqlite3';

export interface OpenOptions {
  /** Read-only: no lock, no migrations; works while another process writes (WAL). */
  readonly?: boolean;
}

export interface OpenedDatabase {
  db: Database;
  path: string;
  readonly: boolean;
  close(): void;
}

/** Opens (creating if needed) the database at `path`; `:memory:` is allowed for tests. */
export function openDatabase(path: string, options: OpenOptions = {}): OpenedDatabase {
  const readonly = options.readonly ?? false;
  const inMemory = path === ':memory:';
  if (!inMemory && !readonly) mkdirSync(dirname(path), { recursive: true });
  const lock = inMemory || readonly ? null : acquireWriterLock(`${path}.lock`);
  let db: Database;
  try {
    db = new BetterSqlite3(path, { readonly, fileMustExist: readonly });
  } catch (error) {
    lock?.release();
    if (readonly) {
      throw new AppError('db_missing', `No database at ${path} yet.`, {
        hint: 'Run `aseagi process <folder>` first, or pass --db.',
        cause: error,
      });
    }
    throw new AppError('db_open_failed', `Cannot open the database ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    configure(db, readonly);
    if (!readonly) migrate(db);
  } catch (error) {
    db.close();
    lock?.release();
    throw error;
  }
  let closed = false;
  return {
    db,
    path,
    readonly,
    close() {
      if (closed) return;
      closed = true;
      try {
        if (db.open) db.close();
      } finally {
        lock?.release();
      }
    },
  };
}

function configure(db: Database, readonly: boolean): void {
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode loses at most the last transactions on power loss, never consistency; a crash of the
    // process loses nothing.
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

interface WriterLock {
  release(): void;
}

/**
 * One writer per database. The lock file holds the owner's pid; a lock whose pid is gone (the owner was
 * SIGKILLed) is taken over.
 */
function acquireWriterLock(lockPath: string): WriterLock {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: () => releaseLock(lockPath) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readLockOwner(lockPath);
      if (owner !== null && owner !== process.pid && isProcessAlive(owner)) {
        throw new AppError(
          'db_locked',
          `The database ${lockPath.replace(/\.lock$/, '')} is already in use: ASEAGI Batch is already running (pid ${owner}).`,
          { hint: 'Stop that process, or use another database with --db.' },
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new AppError('db_locked', `Could not take the lock ${lockPath}.`);
}

function readLockOwner(lockPath: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function releaseLock(lockPath: string): void {
  if (readLockOwner(lockPath) === process.pid) rmSync(lockPath, { force: true });
}

const statementCache = new WeakMap<Database, Map<string, Statement>>();

/** A prepared statement, prepared once per database. The SQL is always a literal in a named store function. */
export function statement<P extends unknown[] | object = unknown[], R = unknown>(
  db: Database,
  sql: string,
): Statement<P, R> {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared as unknown as Statement<P, R>;
}
