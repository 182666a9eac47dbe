/**
 * Engine benchmark: planning 70,000 documents, ingesting 70,000 results through the whole dispatch path, status on a
 * 700,000-document session, peak memory. Baseline: raw better-sqlite3 inserts of the same result rows, same run.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { upsertResult } from '../src/core/store/results.js';
import { migrate } from '../src/core/store/migrations.js';
import { toResultRow } from '../src/core/sinks/sqlite.js';
import { createEngineFixture } from '../test/helpers/engine-fixture.js';
import { createScriptedCompute, okResult } from '../test/helpers/scripted-compute.js';
import { createSyntheticSource, syntheticDocument } from '../test/helpers/synthetic-source.js';
import type { Figure } from './report.js';

const PLAN_DOCS = 70_000;
const STATUS_DOCS = 700_000;
const WORDS = 'the court orders that custody hearing evidence declaration motion response exhibit minor child parent'.split(' ');

/** About 2 KB of plausible text per document, so FTS indexing costs what it will cost. */
function sampleText(i: number): string {
  const words: string[] = [];
  for (let k = 0; k < 320; k += 1) words.push(WORDS[(i * 7 + k * 13) % WORDS.length]!);
  return words.join(' ');
}

async function benchPlan(): Promise<{ ms: number }> {
  const fixture = createEngineFixture({ compute: createScriptedCompute(), source: createSyntheticSource({ count: PLAN_DOCS }), settings: { batchSize: 100 } });
  try {
    const t0 = performance.now();
    await fixture.engine.plan({ source: { kind: 'synthetic' }, requestedBy: 'bench' });
    return { ms: performance.now() - t0 };
  } finally {
    await fixture.cleanup();
  }
}

async function benchIngest(): Promise<{ perSecond: number }> {
  const compute = createScriptedCompute({ workers: 2, script: (doc) => okResult(doc.id, sampleText(Number(doc.id))) });
  const fixture = createEngineFixture({ compute, source: createSyntheticSource({ count: PLAN_DOCS }), settings: { batchSize: 100, flushEvery: 100, flushIntervalMs: 1000 } });
  try {
    const id = await fixture.engine.plan({ source: { kind: 'synthetic' }, requestedBy: 'bench' });
    const t0 = performance.now();
    const view = await fixture.engine.run(id);
    const seconds = (performance.now() - t0) / 1000;
    if (view.done !== PLAN_DOCS) throw new Error(`ingest bench processed ${view.done}, expected ${PLAN_DOCS}`);
    return { perSecond: PLAN_DOCS / seconds };
  } finally {
    await fixture.cleanup();
  }
}

/** The baseline: the same rows, one prepared upsert each, in transactions of the same size, nothing else. */
function benchRawInsert(): { perSecond: number } {
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-bench-raw-'));
  const db = new BetterSqlite3(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    const rows = Array.from({ length: PLAN_DOCS }, (_, i) =>
      toResultRow({
        sessionId: 's', batchNo: Math.floor(i / 100) + 1, sourceKey: 'synthetic:test', sourceKind: 'synthetic', document: syntheticDocument(i),
        status: 'completed', result: okResult(String(i), sampleText(i)), error: null, workerLabel: 'raw', analysis: null, processedAt: Date.now(),
      }),
    );
    const insertChunk = db.transaction((chunk: typeof rows) => {
      for (const row of chunk) upsertResult(db, row);
    });
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 100) insertChunk(rows.slice(i, i + 100));
    return { perSecond: PLAN_DOCS / ((performance.now() - t0) / 1000) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchStatus(): Promise<{ msPerCall: number; planMs: number }> {
  const fixture = createEngineFixture({ compute: createScriptedCompute(), source: createSyntheticSource({ count: STATUS_DOCS }), settings: { batchSize: 100 } });
  try {
    const t0 = performance.now();
    const id = await fixture.engine.plan({ source: { kind: 'synthetic' }, requestedBy: 'bench' });
    const planMs = performance.now() - t0;
    fixture.engine.view(id);
    const calls = 200;
    const t1 = performance.now();
    for (let i = 0; i < calls; i += 1) fixture.engine.view(id);
    return { msPerCall: (performance.now() - t1) / calls, planMs };
  } finally {
    await fixture.cleanup();
  }
}

type PhaseResult = Record<string, number> & { peakRssMb: number };

/** Runs one phase in this process (called from bench/engine-phase.ts). */
export async function runEnginePhase(phase: string): Promise<Record<string, number>> {
  switch (phase) {
    case 'plan':
      return benchPlan();
    case 'raw':
      return benchRawInsert();
    case 'ingest':
      return benchIngest();
    case 'status':
      return benchStatus();
    default:
      throw new Error(`unknown phase ${phase}`);
  }
}

function inChild(phase: string): PhaseResult {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'engine-phase.ts'), phase], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as PhaseResult;
}

export function runEngineBench(): Promise<Figure[]> {
  const plan = inChild('plan');
  const raw = inChild('raw');
  const ingest = inChild('ingest');
  const status = inChild('status');
  const ratio = ingest.perSecond! / raw.perSecond!;
  const enginePeak = Math.max(plan.peakRssMb, ingest.peakRssMb);
  return Promise.resolve([
    { bench: 'engine', metric: `plan ${PLAN_DOCS.toLocaleString('en')} documents`, value: plan.ms! / 1000, unit: 's', target: '≤ 1 s', pass: plan.ms! <= 1000 },
    {
      bench: 'engine',
      metric: `ingest ${PLAN_DOCS.toLocaleString('en')} results (full dispatch path)`,
      value: ingest.perSecond!,
      unit: 'docs/s',
      baseline: { label: 'raw better-sqlite3 upserts', value: raw.perSecond! },
      ratio,
      target: '≥ 0.5× raw',
      pass: ratio >= 0.5,
    },
    { bench: 'engine', metric: `status on ${STATUS_DOCS.toLocaleString('en')} documents`, value: status.msPerCall!, unit: 'ms', target: '≤ 5 ms', pass: status.msPerCall! <= 5 },
    { bench: 'engine', metric: `plan ${STATUS_DOCS.toLocaleString('en')} documents`, value: status.planMs! / 1000, unit: 's', note: 'for scale' },
    {
      bench: 'engine',
      metric: 'peak RSS planning + ingesting 70,000',
      value: enginePeak,
      unit: 'MB',
      baseline: { label: 'raw insert process', value: raw.peakRssMb },
      target: '≤ 200 MB',
      pass: enginePeak <= 200,
    },
  ]);
}
