/**
 * End-to-end overhead: a whole session through the engine (listing and hashing the folder, planning, leasing,
 * the HTTP protocol, recording every result in SQLite, settling) against the raw worker time for the same
 * documents, measured in the same run: one started worker process given the same documents as one batch through
 * the same client (`startWorkerProcess` + `HttpWorker`). One worker on both sides, with the same settings.
 *
 * Worker start-up (a process, its isolates, OCR engines) and its shutdown are measured on both sides and shown
 * on their own; the ≤ 5 % target applies with them excluded, i.e. to what the engine adds per session on top of
 * the document work, and is judged against each session's own worker batch (batch.started → batch.completed, the
 * same client calls a raw run makes): on a shared machine the worker's document time moves too much between runs
 * for a separate raw run to be the yardstick. The raw runs are still reported beside it, as the same-run check.
 * Repetitions alternate the two sides; figures are medians of `BENCH_E2E_RUNS` (default 7) repetitions.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import type { Env } from '../src/config.js';
import { HttpWorker } from '../src/core/compute/http-worker.js';
import { startWorkerProcess } from '../src/core/compute/worker-process.js';
import type { EngineEvent } from '../src/core/engine/events.js';
import type { SourceDocument } from '../src/core/engine/ports.js';
import { createLocalFolderSource } from '../src/core/sources/local-folder.js';
import { silentLogger } from '../src/logger.js';
import { createApp, engineSettings, workerEnv } from '../src/main.js';
import type { BatchRequestInput, DocumentResult } from '../src/protocol/worker-protocol.js';
import { makeSamples } from '../src/samples/make-samples.js';
import { findCorpus } from '../scripts/soak/documents.js';
import type { Figure } from './report.js';

type BatchDocumentInput = BatchRequestInput['documents'][number];

const BENCH = 'e2e-overhead';
const TARGET = 0.05;
/** Text-layer PDFs of the shared corpus (no OCR): where a fixed per-session cost weighs the most. */
const CORPUS_TEXT = ['tracemonkey.pdf', 'pdkids.pdf', 'TAMReview.pdf', 'Brotli-Prototype-FileA.pdf'];

interface Timing {
  /** Worker process start until it answers. */
  startMs: number;
  /** Documents sent until the last result is in (raw) / the session's own work (engine). */
  workMs: number;
  /** Stopping the worker process. */
  stopMs: number;
  results: number;
  /** Sum of the worker's own per-document `timings.totalMs`. */
  workerTotalMs: number;
  /** The batch as the client saw it (POST to last result); in a session, batch.started to batch.completed. */
  batchMs: number;
}

function benchEnv(): Env {
  return loadConfig({ env: { LOCAL_WORKERS: '1', OCR_ENGINE: 'auto', LOG_LEVEL: 'warn' }, dotenvPath: false });
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Exactly the batch the engine sends for the folder (names, locations, type and size hints), listed once. */
async function sameBatchAsEngine(folder: string): Promise<BatchDocumentInput[]> {
  const source = createLocalFolderSource(folder);
  const listed: SourceDocument[] = [];
  for await (const doc of source.list({})) listed.push(doc);
  const locations = await source.locate(listed, { sharesFileSystem: true });
  return listed.map((doc, i) => ({
    id: String(i + 1),
    name: doc.name,
    location: locations[i]!,
    mimeHint: doc.mimeType,
    ...(doc.sizeBytes != null ? { sizeBytes: doc.sizeBytes } : {}),
  }));
}

/** The same documents, straight to one worker: one batch, the engine's batch options, the engine's client. */
async function rawWorker(env: Env, documents: BatchDocumentInput[], run: number): Promise<Timing> {
  const logger = silentLogger();
  const t0 = performance.now();
  const started = await startWorkerProcess({ workerId: `bench-raw-${run}`, env: { OCR_POOL_SIZE: '1', ...workerEnv(env) }, logger });
  const t1 = performance.now();
  const worker = new HttpWorker({ id: `bench-raw-${run}`, label: 'raw', baseUrl: started.url, token: started.token, sealKey: started.sealKey, target: { sharesFileSystem: true }, logger });
  const results: DocumentResult[] = [];
  const batch = { batchId: `bench-raw-${run}`, documents, options: engineSettings(env).batchOptions };
  let workMs: number;
  try {
    await worker.process(batch, (result) => Promise.resolve(void results.push(result)), new AbortController().signal);
    workMs = performance.now() - t1;
  } catch (error) {
    await started.stop();
    throw error;
  }
  const t2 = performance.now();
  await started.stop();
  const stopMs = performance.now() - t2;
  return { startMs: t1 - t0, workMs, stopMs, results: results.length, workerTotalMs: results.reduce((sum, r) => sum + r.timings.totalMs, 0), batchMs: workMs };
}

/** Milliseconds between the first event of type `from` and the last of type `to`. */
function span(events: readonly EngineEvent[], from: EngineEvent['type'], to: EngineEvent['type']): number {
  const start = events.find((e) => e.type === from)?.at;
  const end = events.filter((e) => e.type === to).at(-1)?.at;
  return start !== undefined && end !== undefined ? end - start : 0;
}

/** A whole zero-config session over the folder: plan, run, every result recorded. */
async function engineSession(env: Env, folder: string): Promise<Timing> {
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-bench-e2e-'));
  const app = createApp(env, silentLogger(), { dbPath: join(dir, 'bench.db') });
  const events: EngineEvent[] = [];
  app.engine.events.onAny((event) => events.push(event));
  try {
    const t0 = performance.now();
    const id = await app.engine.plan({ source: { kind: 'local', path: folder }, requestedBy: 'bench' });
    const view = await app.engine.run(id);
    const total = performance.now() - t0;
    if (view.status !== 'completed') throw new Error(`bench session ended ${view.status}: ${view.message ?? ''}`);
    const startMs = span(events, 'worker.starting', 'worker.ready');
    const stopMs = span(events, 'batch.completed', 'worker.released');
    const rows = app.store.db.prepare('SELECT COALESCE(SUM(duration_ms), 0) AS ms FROM results WHERE session_id = ?').get(id) as { ms: number };
    const batchMs = span(events, 'batch.started', 'batch.completed');
    return { startMs, workMs: total - startMs - stopMs, stopMs, results: view.done + view.failed, workerTotalMs: rows.ms, batchMs };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Comparison {
  label: string;
  raw: Timing[];
  engine: Timing[];
}

async function compare(label: string, folder: string, runs: number): Promise<Comparison> {
  const env = benchEnv();
  const documents = await sameBatchAsEngine(folder);
  const comparison: Comparison = { label, raw: [], engine: [] };
  for (let run = 0; run < runs; run += 1) {
    // Alternating which side goes first spreads whatever else the machine is doing over both.
    if (run % 2 === 0) {
      comparison.raw.push(await rawWorker(env, documents, run));
      comparison.engine.push(await engineSession(env, folder));
    } else {
      comparison.engine.push(await engineSession(env, folder));
      comparison.raw.push(await rawWorker(env, documents, run));
    }
    const [raw, engine] = [comparison.raw.at(-1)!, comparison.engine.at(-1)!];
    console.error(
      `  ${label} ${run + 1}/${runs}: raw ${raw.workMs.toFixed(0)} ms, engine ${engine.workMs.toFixed(0)} ms` +
        ` (the worker's own document time: ${raw.workerTotalMs.toFixed(0)} / ${engine.workerTotalMs.toFixed(0)} ms)`,
    );
  }
  const counts = new Set([...comparison.raw, ...comparison.engine].map((t) => t.results));
  if (counts.size !== 1) throw new Error(`${label}: the two sides saw different numbers of documents (${[...counts].join(', ')})`);
  return comparison;
}

/** Per repetition, engine ÷ raw: the two sides ran back to back, so they share the machine's mood. */
function pairedRatios(c: Comparison, f: (t: Timing) => number): number[] {
  return c.engine.map((engine, i) => f(engine) / f(c.raw[i]!));
}

const pick = (side: readonly Timing[], f: (t: Timing) => number): number => median(side.map(f));
const work = (t: Timing): number => t.workMs;
const all = (t: Timing): number => t.startMs + t.workMs + t.stopMs;

/**
 * The figure the target applies to: each session against its own worker batch. The worker's document time moves
 * by ±30 % between back-to-back runs on a shared 2-core machine, which no pairing of separate runs can cancel;
 * inside one session it is the same batch on both sides of the ratio.
 */
function sessionFigures(c: Comparison, scope: string, withTarget: boolean): Figure[] {
  const ratio = median(c.engine.map((t) => t.workMs / t.batchMs));
  const added = median(c.engine.map((t) => t.workMs - t.batchMs));
  return [
    {
      bench: BENCH, metric: `session vs its own worker batch, worker start/stop excluded (${scope})`, value: pick(c.engine, work), unit: 'ms',
      baseline: { label: 'the batch on its worker, same session', value: pick(c.engine, (t) => t.batchMs) }, ratio,
      note: `the engine adds ${added.toFixed(0)} ms per session (median): listing, hashing, planning, leasing, settling`,
      ...(withTarget ? { target: '≤ 1.05×', pass: ratio - 1 <= TARGET } : {}),
    },
    {
      bench: BENCH, metric: `overhead vs own worker batch (${c.label})`, value: (ratio - 1) * 100, unit: '%',
      ...(withTarget ? { target: '≤ 5 %', pass: ratio - 1 <= TARGET } : {}),
    },
  ];
}

/** The same documents on a separately started raw worker, run back to back with each session. */
function rawFigures(c: Comparison, scope: string): Figure[] {
  const ratio = median(pairedRatios(c, work));
  const ratioAll = median(pairedRatios(c, all));
  const difference = median(c.engine.map((engine, i) => engine.workMs - c.raw[i]!.workMs));
  return [
    {
      bench: BENCH, metric: `session vs raw worker, worker start/stop excluded (${scope})`, value: pick(c.engine, work), unit: 'ms',
      baseline: { label: 'raw worker, same batch', value: pick(c.raw, work) }, ratio,
      note: `median of per-run engine ÷ raw (${((ratio - 1) * 100).toFixed(1)} %, ${difference.toFixed(0)} ms); the worker's own time varies between runs`,
    },
    {
      bench: BENCH, metric: `session vs raw worker, worker start/stop included (${scope})`, value: pick(c.engine, all), unit: 'ms',
      baseline: { label: 'raw worker incl. start/stop', value: pick(c.raw, all) }, ratio: ratioAll,
      note: `${((ratioAll - 1) * 100).toFixed(1)} %; start-up is the same program on both sides`,
    },
    {
      bench: BENCH, metric: `worker start-up (${c.label})`, value: pick(c.engine, (t) => t.startMs), unit: 'ms',
      baseline: { label: 'raw side', value: pick(c.raw, (t) => t.startMs) },
      note: `the worker's own document time, summed: ${pick(c.raw, (t) => t.workerTotalMs).toFixed(0)} ms raw, ${pick(c.engine, (t) => t.workerTotalMs).toFixed(0)} ms in the session`,
    },
  ];
}

function figuresOf(c: Comparison, runs: number, withTarget: boolean): Figure[] {
  const scope = `${c.label}, ${c.raw[0]!.results} documents, median of ${runs}`;
  return [...sessionFigures(c, scope, withTarget), ...rawFigures(c, scope)];
}

export async function runE2eOverheadBench(): Promise<Figure[]> {
  const runs = Math.max(1, Number(process.env.BENCH_E2E_RUNS ?? 7));
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-bench-e2e-docs-'));
  try {
    const samples = join(dir, 'samples');
    await makeSamples(samples);
    const figures = figuresOf(await compare('demo samples', samples, runs), runs, true);
    const corpus = findCorpus();
    if (corpus) {
      // Copied, not linked: the local source never follows links.
      const texts = join(dir, 'corpus-text');
      for (const file of CORPUS_TEXT) cpSync(join(corpus, file), join(texts, file));
      figures.push(...figuresOf(await compare('corpus text layer', texts, runs), runs, false));
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
