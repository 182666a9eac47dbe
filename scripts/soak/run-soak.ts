/**
 * The soak: one folder of documents, two phases, each on its own database — (1) the CLI SIGKILLed at random
 * moments and resumed, (2) worker processes SIGKILLed mid-batch — and after each the books and the process table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBooks, leftoverProcesses } from './checks.js';
import type { Books } from './checks.js';
import type { CliSettings } from './cli-process.js';
import type { KillPhase } from './cli-runs.js';
import { runCrashResume } from './crash-resume.js';
import { makeSoakFolder } from './documents.js';
import type { SoakDocument } from './documents.js';
import { seededRandom } from './random.js';
import type { Random } from './random.js';
import { DbWatch } from './watch-db.js';
import { runWorkerCrash } from './worker-crash.js';

export interface SoakOptions {
  docs: number;
  /** SIGKILLs of the CLI (phase 1). */
  kills: number;
  /** SIGKILLs of worker processes mid-batch (phase 2). */
  workerKills: number;
  seed: number;
  workers?: number;
  batchSize?: number;
  /** Mix in a few real scanned/mixed PDFs from the shared corpus when it is found. */
  realPages?: boolean;
  /** Keep the temporary folder (databases, documents) for a look afterwards. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface PhaseReport {
  documents: number;
  seconds: number;
  docsPerSecond: number;
  /** Batches returned to the queue: in flight at a CLI kill (phase 1), or requeued after a lost worker (phase 2). */
  requeuedBatches: number;
  workersStarted: number;
  workerReplacements: number;
  books: Books;
  /** Our processes still running after the phase (pid and command line). */
  leftovers: string[];
  violations: string[];
}

export interface CrashPhaseReport extends PhaseReport {
  kills: number;
  killsByPhase: Partial<Record<KillPhase, number>>;
  resumes: number;
  runs: number;
  /** The longest any worker process outlived its SIGKILLed CLI. */
  maxOrphanMs: number;
}

export interface WorkerPhaseReport extends PhaseReport {
  kills: number;
}

export interface SoakReport {
  seed: number;
  documents: number;
  realDocuments: number;
  crash: CrashPhaseReport;
  workers: WorkerPhaseReport;
  /** Every violation of both phases; empty means the guarantees held. */
  violations: string[];
}

interface PhaseContext {
  folder: string;
  documents: readonly SoakDocument[];
  settings: CliSettings;
  watch: DbWatch;
  random: Random;
  log: (line: string) => void;
}

/** Books, leftovers and violations after a phase whose CLI has exited. */
async function closePhase(context: PhaseContext, base: Omit<PhaseReport, 'books' | 'leftovers' | 'violations'>, violations: string[]): Promise<PhaseReport> {
  const leftovers = (await leftoverProcesses(context.settings.home)).map((p) => `${p.pid} ${p.command}`);
  context.watch.close();
  const books = checkBooks(context.settings.db, context.documents);
  const all = [
    ...violations,
    ...books.lost.map((line) => `lost: ${line}`),
    ...books.duplicated.map((line) => `duplicated: ${line}`),
    ...books.problems,
    ...leftovers.map((line) => `left running: ${line}`),
  ];
  return { ...base, books, leftovers, violations: all };
}

function figures(watch: DbWatch, documents: number, seconds: number): Pick<PhaseReport, 'documents' | 'seconds' | 'docsPerSecond' | 'workersStarted' | 'workerReplacements'> {
  return { documents, seconds, docsPerSecond: documents / seconds, workersStarted: watch.workersStarted(), workerReplacements: watch.eventCount('worker.replaced') };
}

async function crashPhase(context: PhaseContext, kills: number): Promise<CrashPhaseReport> {
  const result = await runCrashResume({ ...context, kills });
  const killsByPhase: Partial<Record<KillPhase, number>> = {};
  for (const kill of result.kills) killsByPhase[kill.phase] = (killsByPhase[kill.phase] ?? 0) + 1;
  const base = {
    ...figures(context.watch, context.documents.length, result.seconds),
    requeuedBatches: result.kills.reduce((sum, kill) => sum + kill.inFlightBatches, 0),
  };
  const phase = await closePhase(context, base, result.violations);
  return {
    ...phase,
    kills: result.kills.length,
    killsByPhase,
    resumes: result.resumes,
    runs: result.runs,
    maxOrphanMs: Math.max(0, ...result.kills.map((kill) => kill.orphanMs)),
  };
}

async function workerPhase(context: PhaseContext, kills: number): Promise<WorkerPhaseReport> {
  const result = await runWorkerCrash({ ...context, kills });
  const base = { ...figures(context.watch, context.documents.length, result.seconds), requeuedBatches: context.watch.eventCount('batch.requeued') };
  const phase = await closePhase(context, base, result.violations);
  return { ...phase, kills: result.kills.length };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const root = mkdtempSync(join(tmpdir(), 'aseagi-soak-'));
  try {
    const folder = join(root, 'documents');
    log(`writing ${options.docs} documents into ${folder} …`);
    const documents = await makeSoakFolder(folder, options.docs, options.realPages ?? true);
    const random = seededRandom(options.seed);
    const context = (db: string): PhaseContext => {
      const settings: CliSettings = { home: root, db: join(root, db), workers: options.workers ?? 2, batchSize: options.batchSize ?? 20 };
      return { folder, documents, settings, watch: new DbWatch(settings.db), random, log };
    };
    log(`phase 1: ${options.kills} CLI kills …`);
    const crash = await crashPhase(context('crash.db'), options.kills);
    log(`phase 2: ${options.workerKills} worker kills …`);
    const workers = await workerPhase(context('workers.db'), options.workerKills);
    return {
      seed: options.seed,
      documents: documents.length,
      realDocuments: documents.filter((doc) => doc.marker === null).length,
      crash,
      workers,
      violations: [...crash.violations.map((v) => `phase 1: ${v}`), ...workers.violations.map((v) => `phase 2: ${v}`)],
    };
  } finally {
    if (options.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}
