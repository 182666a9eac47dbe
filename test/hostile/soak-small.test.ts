/**
 * The soak (scripts/soak.ts, `npm run soak`) at CI size: the real CLI over 200 documents SIGKILLed 4 times and
 * resumed, then 3 worker processes SIGKILLed mid-batch. And the soak's own bookkeeping, shown to catch a lost
 * and a duplicated document, so a passing soak means something.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBooks } from '../../scripts/soak/checks.js';
import { runCli } from '../../scripts/soak/cli-runs.js';
import { makeSoakFolder } from '../../scripts/soak/documents.js';
import type { SoakDocument } from '../../scripts/soak/documents.js';
import { runSoak } from '../../scripts/soak/run-soak.js';
import { DbWatch } from '../../scripts/soak/watch-db.js';

describe('soak, small', () => {
  it('200 documents, 4 CLI kills, 3 worker kills: nothing lost, nothing twice, nothing left running', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const report = await runSoak({ docs: 200, kills: 4, workerKills: 3, seed });
    expect(report.violations, `seed ${seed} (npm run soak -- --docs 200 --kills 4 --worker-kills 3 --seed ${seed})`).toEqual([]);
    expect(report.crash).toMatchObject({ kills: 4, documents: 200, leftovers: [], books: { lost: [], duplicated: [], problems: [] } });
    // Every kill is followed by another run. A kill in start-up, before the session exists, is followed by
    // `process` again rather than `resume`; the run that finishes is always a resume.
    expect(report.crash.runs).toBeGreaterThanOrEqual(5);
    expect(report.crash.resumes).toBeGreaterThanOrEqual(1);
    expect(report.workers).toMatchObject({ kills: 3, documents: 200, leftovers: [], books: { lost: [], duplicated: [], problems: [] } });
    expect(report.workers.requeuedBatches).toBeGreaterThanOrEqual(3);
    expect(report.workers.workerReplacements).toBeGreaterThanOrEqual(3);
  }, 600_000);
});

describe('the soak books', () => {
  let dir: string;
  let documents: SoakDocument[];
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aseagi-soak-books-'));
    documents = await makeSoakFolder(join(dir, 'docs'), 12, false);
    db = join(dir, 'clean.db');
    const watch = new DbWatch(db);
    const { end } = await runCli({ home: dir, db, workers: 1, batchSize: 5 }, ['process', join(dir, 'docs'), '--json'], watch, null);
    watch.close();
    expect(end.code, end.run.stderr()).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of the clean database, changed by `sql`. */
  function tampered(name: string, sql: string): string {
    const copy = join(dir, `${name}.db`);
    copyFileSync(db, copy);
    const conn = new BetterSqlite3(copy);
    conn.exec(sql);
    conn.close();
    return copy;
  }

  it('a clean session passes', () => {
    expect(checkBooks(db, documents)).toEqual({ lost: [], duplicated: [], problems: [] });
  });

  it('finds a lost document, a document counted twice and a full-text index out of step with the results', () => {
    const [first, second] = documents;
    const lost = checkBooks(tampered('lost', `DELETE FROM results WHERE source_id = '${first!.sourceId}'`), documents);
    expect(lost.lost).toEqual([`${first!.sourceId}: result missing`]);
    const counted = checkBooks(tampered('counted', 'UPDATE sessions SET docs_done = docs_done + 1'), documents);
    expect(counted.duplicated).toEqual(['session counter: 13 done for 12 documents']);
    const indexed = checkBooks(
      tampered('indexed', `INSERT INTO results_fts (rowid, name, text) SELECT id, name, text FROM results WHERE source_id = '${second!.sourceId}'`),
      documents,
    );
    expect(indexed.problems).toEqual([expect.stringContaining('full-text index integrity check failed')]);
  });
});
