/**
 * The cloud data path end to end: a fake Google Drive (1,500+ files in nested folders, a shared drive reached by a
 * folder shortcut and listed whole, a shortcut to an already-listed file, trashed files and a trashed folder, a
 * Google Doc, a file deleted mid-run) → the engine with workers that download over HTTP with the worker's URL
 * fetcher → Supabase's document_journal (fake PostgREST on PGlite) + Claude Message Batches (fake), with faults
 * along the way. Every expected file lands exactly once; nothing trashed or duplicated does; the deleted file is
 * `skipped`; costs are recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaudeAnalyzer } from '../../src/core/analysis/claude/claude-analyzer.js';
import { createKvBatchLedger } from '../../src/core/analysis/claude/kv-ledger.js';
import type { Analyzer } from '../../src/core/engine/ports.js';
import { createSqliteSink } from '../../src/core/sinks/sqlite.js';
import { JOURNAL_MIGRATION } from '../../src/core/sinks/supabase/journal-rows.js';
import { createSupabaseSink } from '../../src/core/sinks/supabase/supabase-sink.js';
import { createDriveSource } from '../../src/core/sources/drive/drive-source.js';
import { isDriveSpec, resolveDriveSpec } from '../../src/core/sources/drive/drive-spec.js';
import { getSession } from '../../src/core/store/sessions.js';
import { silentLogger } from '../../src/logger.js';
import { AnthropicFake } from '../fakes/anthropic-fake.js';
import { DriveFake } from '../fakes/drive-fake.js';
import { SERVICE_KEY, SupabaseFake } from '../fakes/supabase-fake.js';
import { createEngineFixture } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';
import { fakeDriveAuth } from './drive-helpers.js';
import { minimalPdf } from '../helpers/minimal-pdf.js';
import { createLocalCompute } from '../../src/core/compute/local.js';
import type { ComputeProvider } from '../../src/core/engine/ports.js';

const CLAUDE_KEY = 'sk-ant-e2e-0123456789abcdef';

interface Archive {
  root: string;
  sharedDrive: string;
  /** Files that must each appear exactly once in the journal after both sessions. */
  expected: Set<string>;
  trashed: string[];
  shortcuts: string[];
  googleDoc: string;
  alreadyListed: string;
  toDelete: string;
}

/** 1,220 PDFs in a My Drive tree, 300 in a shared drive folder reached by shortcut, 60 more in the shared drive. */
function buildArchive(drive: DriveFake): Archive {
  const expected = new Set<string>();
  const add = (name: string, parent: string): string => {
    const id = drive.addFile(name, parent, minimalPdf(`Minute order ${name}: the court orders supervised visits.`));
    expected.add(id);
    return id;
  };
  const root = drive.addFolder('Custody case', drive.rootId);
  for (let i = 0; i < 20; i += 1) add(`cover-${i}.pdf`, root);
  const boxes: string[] = [];
  for (let b = 1; b <= 10; b += 1) {
    const box = drive.addFolder(`Box ${b}`, root);
    boxes.push(box);
    for (const part of ['a', 'b', 'c']) {
      const folder = drive.addFolder(`part ${part}`, box);
      for (let i = 0; i < 40; i += 1) add(`box${b}-${part}-${i}.pdf`, folder);
    }
  }
  const trashed = [add('draft-1.pdf', boxes[0]!), add('draft-2.pdf', boxes[4]!), add('draft-3.pdf', root)];
  const binFolder = drive.addFolder('Old drafts', boxes[1]!);
  trashed.push(add('old-1.pdf', binFolder), add('old-2.pdf', binFolder));
  for (const id of trashed.slice(0, 3)) drive.trash(id);
  drive.trash(binFolder);
  for (const id of trashed) expected.delete(id);
  const googleDoc = drive.addGoogleDoc('Parenting plan notes', boxes[2]!, minimalPdf('Parenting plan notes exported as PDF'));
  expected.add(googleDoc);

  const sharedDrive = drive.addSharedDrive('Legal team');
  const exhibits = drive.addFolder('Exhibits', sharedDrive);
  for (let i = 0; i < 300; i += 1) add(`exhibit-${i}.pdf`, exhibits);
  const other = drive.addFolder('Correspondence', sharedDrive);
  for (let i = 0; i < 60; i += 1) add(`letter-${i}.pdf`, other);

  const alreadyListed = [...expected][5]!;
  const shortcuts = [
    drive.addShortcut('cover-5 (shortcut)', boxes[3]!, alreadyListed),
    drive.addShortcut('Exhibits (shared)', boxes[9]!, exhibits),
    drive.addShortcut('trashed draft (shortcut)', boxes[5]!, trashed[0]!),
  ];
  return { root, sharedDrive, expected, trashed, shortcuts, googleDoc, alreadyListed, toDelete: [...expected][700]! };
}

let drive: DriveFake;
let supabase: SupabaseFake;
let claude: AnthropicFake;
let fixture: EngineFixture;
let compute: ComputeProvider;
let archive: Archive;
let tempDir: string;

beforeAll(async () => {
  drive = await new DriveFake({ maxPageSize: 400 }).start();
  supabase = await new SupabaseFake().start([JOURNAL_MIGRATION]);
  claude = await new AnthropicFake({ apiKey: CLAUDE_KEY, pollsUntilEnded: 2 }).start();
  archive = buildArchive(drive);
  tempDir = mkdtempSync(join(tmpdir(), 'cloud-e2e-'));
  const auth = fakeDriveAuth(drive);
  let analyzer: Analyzer | null = null;
  // Real worker processes, downloading by URL with the per-batch token, as rented machines do.
  compute = createLocalCompute({ workers: 2, workerEnv: { OCR_ENGINE: 'none', LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '4' }, logger: silentLogger() });
  fixture = createEngineFixture({
    compute,
    source: (spec) => {
      if (!isDriveSpec(spec)) throw new Error(`unexpected source ${spec.kind}`);
      const resolved = resolveDriveSpec(spec, { folderId: null, driveId: null, mimeTypes: ['application/pdf'], includeGoogleDocs: true });
      return createDriveSource({ spec: resolved, auth, logger: silentLogger(), rootUrl: drive.rootUrl, retry: { retryPolicy: { baseMs: 2, maxMs: 10, jitter: 0.5 } } });
    },
    sink: (store) => {
      const external = createSupabaseSink({ url: supabase.url, key: SERVICE_KEY, logger: silentLogger(), analysisEnabled: true, retryPolicy: { baseMs: 2, maxMs: 10, jitter: 0.5 } });
      return { kind: 'supabase', write: external.write, writeAnalysis: external.writeAnalysis, writeInTransaction: createSqliteSink(store.db).writeInTransaction };
    },
    analyzer: {
      kind: 'claude',
      enabled: true,
      concurrency: 32,
      estimateCostPerDocument: (chars) => analyzer!.estimateCostPerDocument(chars),
      analyze: (inputs, signal) => analyzer!.analyze(inputs, signal),
    },
    settings: { batchSize: 100, flushEvery: 25, maxAttempts: 4, retryPolicy: { baseMs: 5, maxMs: 20, jitter: 0.5 } },
  });
  analyzer = createClaudeAnalyzer({
    apiKey: CLAUDE_KEY,
    baseURL: claude.url,
    model: 'claude-sonnet-4-6',
    mode: 'batch',
    maxInputTokens: 8_000,
    maxOutputTokens: 4_096,
    logger: silentLogger(),
    pollIntervalMs: 5,
    maxRetries: 2,
    ledger: createKvBatchLedger(fixture.store.db),
  });
}, 120_000);

afterAll(async () => {
  await fixture?.cleanup();
  await Promise.all([drive?.stop(), supabase?.stop(), claude?.stop()]);
  rmSync(tempDir, { recursive: true, force: true });
});

describe('cloud data path, end to end', () => {
  it('Drive folder (with a shortcut into a shared drive) and then the whole shared drive → Supabase + Claude, exactly once', async () => {
    const { engine, store } = fixture;
    expect(archive.expected.size).toBeGreaterThanOrEqual(1_500);

    // A file vanishes after listing, before any worker fetches it; downloads, Supabase and Claude misbehave a bit.
    engine.events.on('session.planned', () => drive.remove(archive.toDelete));
    drive.http.inject({ kind: 'rate_limit', retryAfterSeconds: 0, times: 3, match: { path: /\/drive\/v3\/files\/[^/]+$/ } });
    drive.http.inject({ kind: 'status', status: 503, times: 2, match: { path: /\/drive\/v3\/files$/ } });
    supabase.http.inject({ kind: 'status', status: 503, times: 2, match: { method: 'POST' } });
    supabase.http.inject({ kind: 'reset', match: { method: 'POST' } });
    claude.outcomes.set('7', ['expired']);

    const first = await engine.plan({ source: { kind: 'gdrive', folderId: archive.root }, requestedBy: 'e2e' });
    const firstView = await engine.run(first);
    expect(firstView.status).toBe('completed');
    expect(firstView.skipped).toBe(1);
    // The engine listed every expected file of the tree and exhibits once: no shortcut, trashed file or duplicate.
    const listed = store.db.prepare('SELECT source_id FROM documents WHERE session_id = ?').all(first) as { source_id: string }[];
    expect(new Set(listed.map((r) => r.source_id)).size).toBe(listed.length);
    expect(listed).toHaveLength(archive.expected.size - 60);

    const second = await engine.plan({ source: { kind: 'gdrive', driveId: archive.sharedDrive }, requestedBy: 'e2e' });
    const secondView = await engine.run(second);
    expect(secondView).toMatchObject({ status: 'completed', total_documents: 360, done: 60, skipped: 300 });

    // Supabase: every expected file exactly once (the unique key makes twice impossible; this checks none is missing
    // and nothing unexpected is there).
    const rows = await supabase.rows<{ google_drive_id: string; processing_status: string; error_code: string | null; analysis_status: string | null; cost_usd: number | null; source: string }>(
      `SELECT google_drive_id, processing_status, error_code, analysis_status, cost_usd::float AS cost_usd, source FROM document_journal`,
    );
    const ids = rows.map((r) => r.google_drive_id);
    expect(new Set(ids)).toEqual(archive.expected);
    expect(ids).toHaveLength(archive.expected.size);
    for (const id of [...archive.trashed, ...archive.shortcuts]) expect(ids).not.toContain(id);
    expect(rows.every((r) => r.source === 'gdrive')).toBe(true);

    const deleted = rows.find((r) => r.google_drive_id === archive.toDelete)!;
    expect(deleted).toMatchObject({ processing_status: 'skipped', error_code: 'not_found', analysis_status: null });
    const completed = rows.filter((r) => r.processing_status === 'completed');
    expect(completed).toHaveLength(archive.expected.size - 1);
    expect(completed.every((r) => r.analysis_status === 'completed' && (r.cost_usd ?? 0) > 0)).toBe(true);
    const texts = await supabase.rows<{ n: number }>(`SELECT COUNT(*)::int AS n FROM document_text`);
    expect(texts[0]!.n).toBe(archive.expected.size - 1);
    const doc = await supabase.rows<{ original_filename: string; page_count: number }>(`SELECT original_filename, page_count FROM document_journal WHERE google_drive_id = $1`, [archive.googleDoc]);
    expect(doc[0]).toMatchObject({ original_filename: 'Box 3/Parenting plan notes', page_count: 1 });

    // Costs: Claude spend per session equals what the journal says each document cost; each file downloaded once.
    const spent = getSession(store.db, first)!.analysis_spent_usd + getSession(store.db, second)!.analysis_spent_usd;
    const journalCost = completed.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0);
    expect(spent).toBeGreaterThan(0);
    expect(journalCost).toBeCloseTo(spent, 3);
    expect(firstView.analysis_cost).toBeGreaterThan(0);
    expect(claude.batchedRequests).toBe(archive.expected.size - 1 + 1);
    // Every file still there was downloaded successfully exactly once, by one worker.
    const downloads = new Map<string, number>();
    for (const r of drive.http.requests) {
      const file = /\/drive\/v3\/files\/([^/]+)(\/export)?$/.exec(r.path);
      const isDownload = file && (file[2] === '/export' || new URLSearchParams(r.query).get('alt') === 'media');
      if (isDownload && r.status === 200) downloads.set(file[1]!, (downloads.get(file[1]!) ?? 0) + 1);
    }
    expect(downloads.size).toBe(archive.expected.size - 1);
    expect([...downloads.values()].every((n) => n === 1)).toBe(true);
    // Faults were met and recovered from, not avoided.
    expect(drive.http.requests.filter((r) => r.fault !== null).length).toBe(5);
    expect(supabase.http.requests.filter((r) => r.fault !== null).length).toBe(3);
  }, 240_000);
});
