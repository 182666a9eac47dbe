import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClaudeAnalyzer } from '../../src/core/analysis/claude/claude-analyzer.js';
import { createKvBatchLedger } from '../../src/core/analysis/claude/kv-ledger.js';
import type { EngineEvent } from '../../src/core/engine/events.js';
import type { Analyzer, ResultSink } from '../../src/core/engine/ports.js';
import { createSqliteSink } from '../../src/core/sinks/sqlite.js';
import { JOURNAL_MIGRATION } from '../../src/core/sinks/supabase/journal-rows.js';
import { createSupabaseSink } from '../../src/core/sinks/supabase/supabase-sink.js';
import { analysisCounts } from '../../src/core/store/analysis.js';
import type { OpenedDatabase } from '../../src/core/store/database.js';
import { getResult } from '../../src/core/store/results.js';
import { getSession } from '../../src/core/store/sessions.js';
import { silentLogger } from '../../src/logger.js';
import { AnthropicFake } from '../fakes/anthropic-fake.js';
import { SERVICE_KEY, SupabaseFake } from '../fakes/supabase-fake.js';
import { createEngineFixture } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';
import { createScriptedCompute, okResult } from '../helpers/scripted-compute.js';
import { createSyntheticSource } from '../helpers/synthetic-source.js';

const KEY = 'sk-ant-stage-test-0123456789';
const DOCS = 35;
const BATCHES = 4;
let claude: AnthropicFake;
let supabase: SupabaseFake;
let fixture: EngineFixture | null = null;

beforeAll(async () => {
  supabase = await new SupabaseFake().start([JOURNAL_MIGRATION]);
});
afterAll(async () => {
  await supabase.stop();
});
beforeEach(async () => {
  claude = await new AnthropicFake({ apiKey: KEY, pollsUntilEnded: 1 }).start();
  await supabase.pg.exec('DELETE FROM document_text; DELETE FROM document_journal;');
  supabase.http.clearFaults();
});
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
  await claude.stop();
});

function supabaseSink(store: OpenedDatabase): ResultSink {
  const external = createSupabaseSink({ url: supabase.url, key: SERVICE_KEY, logger: silentLogger(), analysisEnabled: true, retryPolicy: { baseMs: 1, maxMs: 2, jitter: 0 }, attempts: 2 });
  return { kind: 'supabase', write: external.write, writeAnalysis: external.writeAnalysis, writeInTransaction: createSqliteSink(store.db).writeInTransaction };
}

interface Setup {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  budgetUsd?: number;
}

/** Engine + scripted workers + Claude (fake, batch mode, ledger in kv) + Supabase (fake) and the local index. */
function setUp(setup: Setup = {}): { fixture: EngineFixture; plan: () => Promise<string>; lastExtraction: Promise<void> } {
  let analyzer: Analyzer | null = null;
  const f = createEngineFixture({
    compute: createScriptedCompute({ workers: 2, script: (doc) => okResult(doc.id, `Minute order for ${doc.name}: the court orders continued visits.`) }),
    source: createSyntheticSource({ count: DOCS }),
    sink: supabaseSink,
    analyzer: {
      // The real analyzer needs the fixture's database for its ledger; build it on first use.
      kind: 'claude',
      enabled: true,
      concurrency: 8,
      estimateCostPerDocument: (chars) => analyzer!.estimateCostPerDocument(chars),
      analyze: (inputs, signal) => analyzer!.analyze(inputs, signal),
    },
  });
  analyzer = createClaudeAnalyzer({
    apiKey: KEY,
    baseURL: claude.url,
    model: 'claude-haiku-4-5',
    mode: 'batch',
    maxInputTokens: 4_000,
    maxOutputTokens: 2_000,
    logger: silentLogger(),
    pollIntervalMs: 10,
    maxRetries: 0,
    ledger: createKvBatchLedger(f.store.db),
    sleep: setup.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  });
  let extracted!: () => void;
  const lastExtraction = new Promise<void>((resolve) => (extracted = resolve));
  f.engine.events.on('batch.completed', (e) => {
    if (e.completedBatches === e.totalBatches) extracted();
  });
  fixture = f;
  return { fixture: f, plan: () => f.engine.plan({ source: { kind: 'synthetic' }, requestedBy: 'test', budgetUsd: setup.budgetUsd ?? null }), lastExtraction };
}

function indexOf(events: EngineEvent[], predicate: (e: EngineEvent) => boolean): number {
  return events.findIndex(predicate);
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('analysis stage', () => {
  it('never holds up extraction: every batch is extracted while every Claude batch is still in progress', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { fixture: f, plan, lastExtraction } = setUp({ sleep: () => gate });
    void lastExtraction.then(release);
    const id = await plan();
    const view = await f.engine.run(id);

    expect(view).toMatchObject({ status: 'completed', done: DOCS, total_batches: BATCHES });
    const firstAnalysis = indexOf(f.events, (e) => e.type === 'analysis.completed');
    const lastBatch = indexOf(f.events, (e) => e.type === 'batch.completed' && e.completedBatches === BATCHES);
    expect(lastBatch).toBeGreaterThanOrEqual(0);
    expect(firstAnalysis).toBeGreaterThan(lastBatch);
    expect(f.events.filter((e) => e.type === 'analysis.completed')).toHaveLength(BATCHES);
    // One Claude batch per engine batch.
    expect([...claude.batches.values()].map((b) => b.requests.length).sort((a, b) => a - b)).toEqual([5, 10, 10, 10]);
    expect(f.events.at(-1)?.type).toBe('session.completed');
  });

  it('records analyses locally and in Supabase, and counts their cost in the session once', async () => {
    const { fixture: f, plan } = setUp();
    const id = await plan();
    await f.engine.run(id);
    const db = f.store.db;
    const result = getResult(db, 'synthetic:test', 'doc-000007')!;
    expect(JSON.parse(result.analysis_json!)).toMatchObject({ document_type: 'ORDR' });
    expect(analysisCounts(db, id)).toEqual({ pending: 0, done: DOCS, failed: 0 });
    const spent = getSession(db, id)!.analysis_spent_usd;
    expect(spent).toBeGreaterThan(0);
    const local = db.prepare('SELECT SUM(analysis_cost_usd) AS c FROM documents WHERE session_id = ?').get(id) as { c: number };
    expect(local.c).toBeCloseTo(spent, 9);
    const remote = await supabase.rows<{ n: number; cost: number; completed: number }>(
      `SELECT COUNT(*)::int AS n, SUM(cost_usd)::float AS cost, SUM((analysis_status = 'completed')::int)::int AS completed FROM document_journal`,
    );
    expect(remote[0]).toMatchObject({ n: DOCS, completed: DOCS });
    expect(remote[0]!.cost).toBeCloseTo(spent, 5);
    const view = f.engine.view(id)!;
    expect(view.analysis_cost).toBeCloseTo(spent, 2);
  });

  it('a pause while Claude batches run keeps them: resuming polls the same batches, pays for nothing twice', async () => {
    claude.options.pollsUntilEnded = 1_000_000;
    const { fixture: f, plan, lastExtraction } = setUp({ sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
    const id = await plan();
    const running = f.engine.run(id);
    await lastExtraction;
    // Submitted and recorded: a batch whose create answer never arrived would be sent again (see docs/cloud.md).
    const recorded = (): number => (f.store.db.prepare(`SELECT COUNT(*) AS n FROM kv WHERE key LIKE 'claude.batch:%'`).get() as { n: number }).n;
    await until(() => recorded() === BATCHES, 'every Claude batch to be submitted and recorded');
    const paused = await f.engine.pause(id);
    await running;
    expect(paused).toMatchObject({ status: 'paused', done: DOCS });
    expect(analysisCounts(f.store.db, id).pending).toBe(DOCS);
    expect(getSession(f.store.db, id)!.analysis_spent_usd).toBe(0);

    claude.options.pollsUntilEnded = 0;
    const resumed = await f.engine.run(id);
    expect(resumed.status).toBe('completed');
    expect(claude.batches.size).toBe(BATCHES);
    expect(claude.batchedRequests).toBe(DOCS);
    expect(analysisCounts(f.store.db, id)).toMatchObject({ pending: 0, done: DOCS });
  });

  it('pauses for the budget before a Claude call would pass it', async () => {
    const { fixture: f, plan } = setUp({ budgetUsd: 0.000_001 });
    const id = await plan();
    const view = await f.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'budget' });
    expect(view.message).toMatch(/Analysis would take the spend past/);
    expect(claude.batches.size).toBe(0);
  });

  it('an Anthropic failure pauses the session with its message; resuming finishes the analyses', async () => {
    claude.options.apiKey = 'sk-ant-someone-else-entirely';
    const { fixture: f, plan } = setUp();
    const id = await plan();
    const view = await f.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'integration' });
    expect(view.message).toMatch(/Analysis: Anthropic refused the API key/);
    claude.options.apiKey = KEY;
    expect((await f.engine.run(id)).status).toBe('completed');
    expect(analysisCounts(f.store.db, id)).toMatchObject({ done: DOCS, pending: 0 });
  });

  it('a Supabase schema error while writing analyses pauses with the migration to run; nothing is analysed twice', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { fixture: f, plan, lastExtraction } = setUp({ sleep: () => gate });
    void lastExtraction.then(() => {
      supabase.http.inject({ kind: 'status', status: 404, times: 100, body: { code: 'PGRST205', message: "Could not find the table 'public.document_journal' in the schema cache", details: null, hint: null }, match: { method: 'POST' } });
      release();
    });
    const id = await plan();
    const view = await f.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'integration' });
    expect(view.message).toContain(JOURNAL_MIGRATION);
    expect(getSession(f.store.db, id)!.analysis_spent_usd).toBeGreaterThan(0);

    supabase.http.clearFaults();
    expect((await f.engine.run(id)).status).toBe('completed');
    // Every document went to Claude exactly once (batches interrupted by the pause were collected, not resent),
    // and the session's spend is exactly the sum of the documents' costs.
    expect(claude.batchedRequests).toBe(DOCS);
    const local = f.store.db.prepare('SELECT SUM(analysis_cost_usd) AS c FROM documents WHERE session_id = ?').get(id) as { c: number };
    expect(getSession(f.store.db, id)!.analysis_spent_usd).toBeCloseTo(local.c, 12);
    const remote = await supabase.rows<{ n: number }>(`SELECT COUNT(*)::int AS n FROM document_journal WHERE analysis_status = 'completed'`);
    expect(remote[0]!.n).toBe(DOCS);
  });

  it('after a crash, analyses that were running are queued again and finish on resume', async () => {
    const { fixture: f, plan } = setUp();
    const id = await plan();
    await f.engine.run(id);
    // As if the process died while every analysis was in flight.
    f.store.db.prepare(`UPDATE documents SET analysis_status = 'running' WHERE session_id = ?`).run(id);
    f.store.db.prepare(`UPDATE sessions SET status = 'running' WHERE id = ?`).run(id);
    f.engine.recover();
    expect(analysisCounts(f.store.db, id)).toMatchObject({ pending: DOCS, done: 0 });
    expect(getSession(f.store.db, id)).toMatchObject({ status: 'paused', pause_reason: 'interrupted' });
    expect((await f.engine.run(id)).status).toBe('completed');
    expect(analysisCounts(f.store.db, id)).toMatchObject({ pending: 0, done: DOCS });
  });
});
