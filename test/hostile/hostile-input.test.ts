/**
 * Hostile input through the real zero-config path, in ONE session: a local folder with every hostile file of the
 * shared corpus, generated ones (test/helpers/hostile-files.ts) and normal documents between them → createApp with
 * a temporary database → two real worker processes → SQLite. Each hostile file must end with its coded error (or
 * the correct result), the workers must keep answering, nothing else may be lost, and names must be stored as
 * they are but shown safely.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine, renderTable } from '../../src/cli/format.js';
import { safeName } from '../../src/bot/text.js';
import { loadConfig } from '../../src/config.js';
import { createLocalCompute } from '../../src/core/compute/local.js';
import type { SessionView } from '../../src/core/engine/types.js';
import type { Worker } from '../../src/core/engine/ports.js';
import type { ResultRow } from '../../src/core/store/results.js';
import { silentLogger } from '../../src/logger.js';
import { createApp, workerEnv } from '../../src/main.js';
import { HOSTILE_NAME } from '../helpers/hostile-files.js';
import { hostileEntries, writeHostileFolder, type HostileEntry } from './helpers/hostile-set.js';
import { sampleHealth, samplePeakMemory, watchWorkers, type HealthTally } from './helpers/observers.js';

/**
 * Short limits so the runaway documents end quickly (30 s: long enough for a bomb to reach the 1 GB buffer limit on a
 * busy machine); one attempt, so a timeout is final at once.
 */
const ENV = { LOCAL_WORKERS: '2', OCR_ENGINE: 'auto', DOCUMENT_TIMEOUT_S: '30', MAX_ATTEMPTS: '1', BATCH_SIZE: '4' };
/** A worker process's isolates may hold 1 GB each (WORKER_DOC_HEAP_MB); the bombs alone would take 8 GB and more. */
const WORKER_PEAK_LIMIT = 4 * 1024 ** 3;
// eslint-disable-next-line no-control-regex -- what must never reach a terminal or a chat unescaped
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const entries = hostileEntries();
let dir: string;
let view: SessionView;
let rows: Map<string, ResultRow>;
let documentRows: { source_id: string; name: string; status: string }[];
let health: HealthTally;
let peaks: Map<number, number>;
let lostWorkers: string[];
let workerStatuses: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-hostile-'));
  const folder = join(dir, 'inbox');
  await writeHostileFolder(folder, entries);
  const env = loadConfig({ env: ENV, dotenvPath: false });
  const logger = silentLogger();
  const workers = new Set<Worker>();
  const compute = watchWorkers(createLocalCompute({ workers: env.LOCAL_WORKERS, workerEnv: workerEnv(env), logger }), (w) => workers.add(w));
  const app = createApp(env, logger, { dbPath: join(dir, 'hostile.db'), compute });
  try {
    const id = await app.engine.plan({ source: { kind: 'local', path: folder }, requestedBy: 'test' });
    lostWorkers = [];
    app.engine.events.on('worker.lost', (e) => lostWorkers.push(`${e.workerId}: ${e.reason}`));
    const healthSampler = sampleHealth(() => workers);
    // After the last batch the pool stops the workers; health answers after that are not the question.
    app.engine.events.on('batch.completed', (e) => {
      if (e.completedBatches === e.totalBatches) void healthSampler.stop();
    });
    const memory = samplePeakMemory(id);
    try {
      view = await app.engine.run(id);
    } finally {
      memory.stop();
      await healthSampler.stop();
    }
    health = healthSampler.tally;
    peaks = memory.peaks;
    const db = app.store.db;
    rows = new Map((db.prepare('SELECT * FROM results WHERE session_id = ?').all(id) as ResultRow[]).map((r) => [r.source_id, r]));
    documentRows = db.prepare('SELECT source_id, name, status FROM documents WHERE session_id = ?').all(id) as typeof documentRows;
    workerStatuses = (db.prepare('SELECT status FROM workers WHERE session_id = ?').all(id) as { status: string }[]).map((w) => w.status);
  } finally {
    await app.close();
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outcomeOf(row: ResultRow): string {
  return row.status === 'completed' ? 'done' : (row.error_code ?? row.status);
}

describe('hostile input in one zero-config session', () => {
  it('the session completes with every document accounted for', () => {
    expect(view).toMatchObject({ status: 'completed', total_documents: entries.length, skipped: 0 });
    expect(view.done + view.failed).toBe(entries.length);
    expect(documentRows.map((d) => d.source_id).sort()).toEqual(entries.map((e) => e.name).sort());
    expect(documentRows.filter((d) => d.status !== 'done' && d.status !== 'failed')).toEqual([]);
    expect(rows.size).toBe(entries.length);
  });

  const titled = entries.map((entry) => [`${oneLine(entry.name)}: ${entry.what} → ${entry.outcomes.join(' | ')}`, entry] as const);
  it.each(titled)('%s', (_title, entry: HostileEntry) => {
    const row = rows.get(entry.name);
    expect(row, 'no result row').toBeDefined();
    expect(entry.outcomes, `${row!.error_code}: ${row!.error_message}`).toContain(outcomeOf(row!));
    entry.check?.(row!);
  });

  it('the workers kept answering health checks and none was lost or replaced', () => {
    expect(health.failed).toEqual([]);
    expect(health.answered).toBeGreaterThan(0);
    expect(lostWorkers).toEqual([]);
    expect(workerStatuses.length).toBe(2);
    expect(workerStatuses.every((status) => status === 'released')).toBe(true);
  });

  it('no worker process grew past its memory allowance (decompression bombs are refused, not inflated)', () => {
    expect(peaks.size).toBeGreaterThanOrEqual(1);
    for (const [pid, peak] of peaks) expect(peak, `worker ${pid} peaked at ${(peak / 1024 ** 3).toFixed(2)} GB`).toBeLessThan(WORKER_PEAK_LIMIT);
  });

  it('stores a hostile name verbatim and shows it safely in the terminal and in Telegram', () => {
    const entry = entries.find((e) => e.name.endsWith(HOSTILE_NAME))!;
    const row = rows.get(entry.name)!;
    expect(row.name).toBe(entry.name);
    expect(documentRows.find((d) => d.source_id === entry.name)?.name).toBe(entry.name);
    expect(oneLine(row.name)).not.toMatch(UNSAFE);
    const table = renderTable(['document', 'outcome'], [...rows.values()].map((r) => [r.name, outcomeOf(r)]));
    const lines = table.split('\n');
    expect(lines).toHaveLength(rows.size + 2);
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
    const html = safeName(row.name, 500);
    expect(html).not.toMatch(UNSAFE);
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;b&gt;&amp;amp;&lt;i&gt;');
  });
});
