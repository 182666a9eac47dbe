import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/core/store/database.js';
import { appliedMigrations, MIGRATIONS, migrate } from '../../src/core/store/migrations.js';
import { countSearchResults, searchResults, upsertResult } from '../../src/core/store/results.js';
import type { ResultUpsert } from '../../src/core/store/results.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function result(sourceId: string, text: string, overrides: Partial<ResultUpsert> = {}): ResultUpsert {
  return {
    source_key: 'local:/cases', source_id: sourceId, source_kind: 'local', session_id: 's1', batch_no: 1, name: sourceId,
    mime_type: 'application/pdf', size_bytes: 10, checksum: 'c', status: 'completed', error_code: null, error_message: null,
    detected_type: 'application/pdf', sha256: null, pages: 1, text_pages: 1, ocr_pages: 0, failed_pages_json: null,
    chars: text.length, words: 1, ocr_confidence: null, ocr_engine: null, duration_ms: 1, worker_label: null, text,
    analysis_json: null, analysis_tokens: null, analysis_cost_usd: null, processed_at: 1, ...overrides,
  };
}

describe('store', () => {
  it('opens with WAL and foreign keys, and applies every migration once', () => {
    const dir = tempDir();
    const store = openDatabase(join(dir, 'a.db'));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect([...appliedMigrations(store.db)]).toEqual(MIGRATIONS.map((m) => m.id));
    expect(migrate(store.db)).toEqual([]);
    store.close();
    store.close();
  });

  it('refuses a database with migrations this program does not know', () => {
    const store = openDatabase(':memory:');
    store.db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run('9999_from_the_future', 1);
    expect(() => migrate(store.db)).toThrow(/upgrade ASEAGI Batch/);
    store.close();
  });

  it('a second writer gets "already running (pid …)"; a stale lock is taken over', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.db');
    // A live process holding the lock.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    writeFileSync(`${path}.lock`, `${holder.pid}\n`);
    try {
      expect(() => openDatabase(path)).toThrow(new RegExp(`already running \\(pid ${holder.pid}\\)`));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // Now its pid is gone: the lock is stale.
    const store = openDatabase(path);
    expect(existsSync(`${path}.lock`)).toBe(true);
    store.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('read-only opens work beside a writer and do not lock', () => {
    const dir = tempDir();
    const path = join(dir, 'a.db');
    const writer = openDatabase(path);
    upsertResult(writer.db, result('a.pdf', 'custody hearing'));
    const reader = openDatabase(path, { readonly: true });
    expect(searchResults(reader.db, 'custody', 5)).toHaveLength(1);
    reader.close();
    writer.close();
  });

  it('a missing database is a clear error for read-only commands', () => {
    expect(() => openDatabase(join(tempDir(), 'none.db'), { readonly: true })).toThrow(/No database/);
  });

  it('upserts results idempotently and keeps the full-text index in step', () => {
    const store = openDatabase(':memory:');
    upsertResult(store.db, result('a.pdf', 'the custody hearing is on Monday'));
    upsertResult(store.db, result('b.pdf', 'school report card'));
    upsertResult(store.db, result('a.pdf', 'the visitation schedule changed'));
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM results').get()).toEqual({ n: 2 });
    expect(countSearchResults(store.db, 'custody')).toBe(0);
    const hits = searchResults(store.db, 'visitation', 5);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.snippet).toContain('[visitation]');
    expect(searchResults(store.db, '"unbalanced AND (', 5)).toEqual([]);
    store.close();
  });

  it('ranks documents whose name matches above text-only matches', () => {
    const store = openDatabase(':memory:');
    upsertResult(store.db, result('notes.pdf', 'mentions the declaration once'));
    upsertResult(store.db, result('declaration-of-mother.pdf', 'text without the word'));
    expect(searchResults(store.db, 'declaration', 5)[0]!.name).toBe('declaration-of-mother.pdf');
    store.close();
  });
});
