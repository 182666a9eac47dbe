/**
 * `aseagi`: the command line. Logs go to stderr; results and summaries to stdout (`--json`: one object as the last
 * line). Exit codes: 0 completed (even with failed documents), 1 fatal error, 2 bad usage or configuration,
 * 3 the session paused or stopped before completing, 130 interrupted.
 */
import { Command, CommanderError, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Env } from '../config.js';
import { loadConfig } from '../config.js';
import { AppError, describeError } from '../core/errors.js';
import { openDatabase } from '../core/store/database.js';
import { failedDocuments } from '../core/store/documents.js';
import { getSession, latestSession, listSessions } from '../core/store/sessions.js';
import { buildSessionView } from '../core/engine/status-view.js';
import { countSearchResults, searchResults } from '../core/store/results.js';
import { createLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { createApp, engineSettings, localWorkerEnv } from '../main.js';
import type { App } from '../main.js';
import { exportResults } from './export.js';
import type { ExportFormat } from './export.js';
import { extractFiles } from './extract.js';
import { formatBytes, formatDuration, oneLine, renderTable, truncate } from './format.js';
import { ProgressReporter } from './progress-reporter.js';
import { summaryJson, summaryText } from './summary.js';
import { confirmFromFlags } from './rental.js';
import type { RentalFlags } from './rental.js';
import type { SessionView, SourceSpec } from '../core/engine/types.js';
import { runGoogleAuth } from './auth-google.js';
import { runDemo } from './demo.js';
import { estimateFolder } from './estimate.js';
import { serve } from '../serve.js';
import { runDoctor } from '../doctor/doctor.js';
import { renderReport } from '../doctor/render.js';

export const EXIT = { ok: 0, fatal: 1, usage: 2, incomplete: 3, interrupted: 130 } as const;

interface GlobalOptions {
  db?: string;
}

function context(program: Command): { env: Env; logger: Logger; dbPath: string } {
  const env = loadConfig();
  const level = process.env.LOG_LEVEL ? env.LOG_LEVEL : 'warn';
  const logger = createLogger({ level, stderr: true });
  const { db } = program.opts<GlobalOptions>();
  return { env, logger, dbPath: resolve(db ?? env.ASEAGI_DB) };
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function exitCodeOf(view: SessionView): number {
  return view.status === 'completed' ? EXIT.ok : EXIT.incomplete;
}

/** Runs a session in the foreground with a progress line; Ctrl-C pauses it cleanly. Renting needs `--yes --max-cost`. */
async function runInForeground(app: App, sessionId: string | (() => Promise<string>), json: boolean, flags: RentalFlags = {}): Promise<number> {
  const reporter = new ProgressReporter(app.engine, process.stderr, Boolean(process.stderr.isTTY) && !json);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write(`\n${signal}: pausing; documents in progress go back to the queue (again to force quit)…\n`);
    const running = app.engine.runningSessionId();
    if (running) void app.engine.pause(running, `Paused (${signal}).`).catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const id = typeof sessionId === 'string' ? sessionId : await sessionId();
    if (!json) process.stderr.write(`Session ${id}\n`);
    if (!(await confirmFromFlags(app, id, flags, (line) => process.stderr.write(`${line}\n`)))) {
      const view = app.engine.view(id)!;
      if (json) print(JSON.stringify(summaryJson(view)));
      return EXIT.incomplete;
    }
    const view = await app.engine.run(id);
    reporter.stop();
    if (json) print(JSON.stringify(summaryJson(view)));
    else print(summaryText(view, failedDocuments(app.store.db, view.session_id, 20)));
    return interrupted ? EXIT.interrupted : exitCodeOf(view);
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function withApp<T>(program: Command, fn: (app: App) => Promise<T>): Promise<T> {
  const { env, logger, dbPath } = context(program);
  const app = createApp(env, logger, { dbPath });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new AppError('usage', `${name} must be a positive whole number (got "${value}").`);
    return n;
  };
}

function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new AppError('usage', `${name} must be a positive number (got "${value}").`);
    return n;
  };
}

/** `drive:<id>` (or `drive:` for the configured folder) is Google Drive; anything else is a local folder. */
export function sourceSpecFor(argument: string): SourceSpec {
  const drive = /^g?drive:(.*)$/.exec(argument);
  if (drive) return { kind: 'gdrive', folderId: drive[1] ? drive[1] : null };
  return { kind: 'local', path: argument };
}

function resumeTarget(app: App, target: string | undefined): string {
  if (target) {
    const checkpoint = app.engine.checkpoint(target);
    if (checkpoint) return checkpoint.session_id;
    return target;
  }
  const candidates = listSessions(app.store.db, 50).filter((s) => s.status === 'paused' || s.status === 'planned' || s.status === 'awaiting_confirmation');
  if (candidates.length === 0) throw new AppError('nothing_to_resume', 'There is no paused or planned session to resume.');
  return candidates[0]!.id;
}

function statusText(view: SessionView): string {
  const rows: [string, string][] = [
    ['session', view.session_id],
    ['status', `${view.status}${view.pause_reason ? ` (${view.pause_reason})` : ''}`],
    ['source', oneLine(view.source)],
    ['progress', `${view.progress_percentage}% — ${view.done} done, ${view.failed} failed, ${view.skipped} skipped, ${view.remaining} left of ${view.total_documents}`],
    ['batches', `${view.completed_batches + view.failed_batches}/${view.total_batches}`],
    ['pages', `${view.pages} (${view.ocr_pages} by OCR), ${formatBytes(view.bytes_processed)}`],
    ['throughput', view.documents_per_minute == null ? '—' : `${view.documents_per_minute} documents/min`],
    ['ran for', formatDuration(view.active_seconds)],
    ['cost', `$${view.total_cost.toFixed(2)}${view.budget != null ? ` of $${view.budget.toFixed(2)} budget` : ''}`],
  ];
  if (view.eta_seconds != null) rows.push(['ETA', formatDuration(view.eta_seconds)]);
  if (view.message) rows.push(['note', view.message]);
  return rows.map(([k, v]) => `${k.padEnd(11)}${v}`).join('\n');
}

export function buildProgram(): { program: Command; exitCode: () => number } {
  let exitCode: number = EXIT.ok;
  const act =
    <A extends unknown[]>(fn: (...args: A) => number | Promise<number>) =>
    async (...args: A): Promise<void> => {
      exitCode = await fn(...args);
    };
  const program = new Command('aseagi')
    .description('Turn a large document collection into searchable text, locally or on rented GPUs.')
    .option('--db <path>', 'the SQLite database (default: $ASEAGI_DB or data/aseagi.db)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('process')
    .description('process every document in a folder (PDF, PNG, JPEG, TIFF) and keep the text')
    .argument('<folder>', 'a local folder (recursively), or drive:<folder id> / drive: (the configured Drive folder)')
    .option('--batch-size <n>', 'documents per batch', positiveInt('--batch-size'))
    .option('--max-documents <n>', 'stop after this many documents', positiveInt('--max-documents'))
    .option('--yes', 'rent the best offer without asking (needs --max-cost)')
    .option('--max-cost <usd>', 'budget cap for the whole session, in dollars', positiveNumber('--max-cost'))
    .option('--json', 'print one JSON summary as the last line')
    .action(act(async (folder: string, opts: { batchSize?: number; maxDocuments?: number; json?: boolean } & RentalFlags) =>
      withApp(program, (app) =>
        runInForeground(
          app,
          () =>
            app.engine.plan({ source: sourceSpecFor(folder), batchSize: opts.batchSize, maxDocuments: opts.maxDocuments ?? null, budgetUsd: opts.maxCost ?? null, requestedBy: 'cli' }),
          Boolean(opts.json),
          opts,
        ),
      ),
    ));

  program
    .command('resume')
    .description('resume a paused session (default: the latest), or the session of a checkpoint')
    .argument('[session]', 'session id or checkpoint name (checkpoint_100)')
    .option('--yes', 'rent the best offer without asking (needs --max-cost)')
    .option('--max-cost <usd>', 'budget cap for the whole session, in dollars', positiveNumber('--max-cost'))
    .option('--json', 'print one JSON summary as the last line')
    .action(act(async (target: string | undefined, opts: { json?: boolean } & RentalFlags) =>
      withApp(program, (app) => runInForeground(app, resumeTarget(app, target), Boolean(opts.json), opts)),
    ));

  program
    .command('stop')
    .description('stop a session for good (default: the latest unfinished one)')
    .argument('[session]')
    .action(act(async (target: string | undefined) =>
      withApp(program, async (app) => {
        const view = await app.engine.stop(resumeTarget(app, target));
        print(`Session ${view.session_id} is ${view.status}. Its results so far are kept.`);
        return EXIT.ok;
      }),
    ));

  program
    .command('status')
    .description('show a session (default: the latest)')
    .argument('[session]')
    .option('--json', 'print JSON')
    .action(act((target: string | undefined, opts: { json?: boolean }) => {
      const { dbPath } = context(program);
      const store = openDatabase(dbPath, { readonly: true });
      try {
        const session = target ? getSession(store.db, target) : latestSession(store.db);
        if (!session) throw new AppError('no_session', target ? `There is no session ${target}.` : 'No session yet.', { hint: 'Start one with `aseagi process <folder>`.' });
        const view = buildSessionView(store.db, session, Date.now());
        print(opts.json ? JSON.stringify(view) : statusText(view));
        return EXIT.ok;
      } finally {
        store.close();
      }
    }));

  program
    .command('estimate')
    .description('estimate time and cost for a folder, without processing it')
    .argument('<folder>')
    .option('--cost-per-hour <usd>', 'price of one worker per hour (default 0: local)', Number)
    .option('--workers <n>', 'workers in parallel', positiveInt('--workers'))
    .option('--sample <n>', 'first process N random documents here to learn pages, OCR share and speed, then project onto rented GPUs', positiveInt('--sample'))
    .option('--json', 'print JSON')
    .action(act(async (folder: string, opts: { costPerHour?: number; workers?: number; sample?: number; json?: boolean }) => {
      const { env, logger, dbPath } = context(program);
      const result = await estimateFolder(folder, { env, logger, dbPath, costPerHour: opts.costPerHour ?? 0, workers: opts.workers ?? env.LOCAL_WORKERS, sample: opts.sample ?? 0 });
      print(opts.json ? JSON.stringify(result.estimate) : result.text);
      return EXIT.ok;
    }));

  program
    .command('extract')
    .description('run the worker on single files and print what it makes of them')
    .argument('<files...>')
    .option('--json', 'one JSON line per file')
    .action(act(async (files: string[], opts: { json?: boolean }) => {
      const { env, logger } = context(program);
      const results = await extractFiles(files, {
        batchOptions: engineSettings(env).batchOptions,
        workerEnv: localWorkerEnv(env),
        logger,
        onResult: (file, result) => {
          if (opts.json) print(JSON.stringify({ file, ...result }));
          else print(`${file}: ${result.status === 'ok' ? `${result.pages} pages, ${result.ocrPages} OCR, ${result.words} words` : `${result.error?.code}: ${result.error?.message}`}\n${truncate(result.text, 2000)}\n`);
        },
      });
      return results.every((r) => r.status === 'ok') ? EXIT.ok : EXIT.incomplete;
    }));

  program
    .command('search')
    .description('full-text search over everything processed')
    .argument('<words...>')
    .option('--limit <n>', 'results', positiveInt('--limit'), 10)
    .option('--json', 'print JSON')
    .action(act((words: string[], opts: { limit: number; json?: boolean }) => {
      const { dbPath } = context(program);
      const store = openDatabase(dbPath, { readonly: true });
      try {
        const query = words.join(' ');
        const hits = searchResults(store.db, query, opts.limit);
        if (opts.json) {
          print(JSON.stringify({ query, total: countSearchResults(store.db, query), results: hits }));
        } else if (hits.length === 0) {
          print(`Nothing found for "${oneLine(query)}".`);
        } else {
          print(renderTable(['#', 'document', 'pages', 'snippet'], hits.map((h, i) => [i + 1, truncate(oneLine(h.name), 40), h.pages, truncate(oneLine(h.snippet), 90)])));
        }
        return EXIT.ok;
      } finally {
        store.close();
      }
    }));

  program
    .command('export')
    .description('write every result as JSON lines or CSV')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--session <id>', 'only this session')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--with-text', 'include the extracted text in CSV (always in JSON lines)')
    .action(act(async (opts: { format: ExportFormat; session?: string; out?: string; withText?: boolean }) => {
      const { dbPath } = context(program);
      const store = openDatabase(dbPath, { readonly: true });
      const out = opts.out ? createWriteStream(opts.out, { mode: 0o600 }) : process.stdout;
      try {
        const count = await exportResults(store.db, out, { format: opts.format, sessionId: opts.session ?? null, withText: opts.format === 'jsonl' || Boolean(opts.withText) });
        if (opts.out) process.stderr.write(`Wrote ${count} results to ${opts.out}\n`);
        return EXIT.ok;
      } finally {
        if (opts.out) await new Promise<void>((done) => (out as NodeJS.WritableStream).end(done));
        store.close();
      }
    }));

  program
    .command('sessions')
    .description('list recent sessions')
    .action(act(() => {
      const { dbPath } = context(program);
      const store = openDatabase(dbPath, { readonly: true });
      try {
        const rows = listSessions(store.db, 20).map((s) => [s.id, s.status, truncate(oneLine(s.source_label), 40), `${s.docs_done + s.docs_failed + s.docs_skipped}/${s.total_documents}`, new Date(s.created_at).toISOString().slice(0, 16)]);
        print(rows.length ? renderTable(['session', 'status', 'source', 'processed', 'created'], rows) : 'No session yet.');
        return EXIT.ok;
      } finally {
        store.close();
      }
    }));

  program
    .command('serve')
    .description('run the service: HTTP API, Telegram bot (when configured), nightly resume')
    .action(act(async () => {
      const { env, logger, dbPath } = context(program);
      return serve(env, createLogger({ level: env.LOG_LEVEL }), { dbPath, cliLogger: logger });
    }));

  program
    .command('doctor')
    .description('check every configured part (database, disk, worker, OCR, Telegram, Vast.ai, Claude, Supabase, Drive) and say how to fix what fails')
    .option('--json', 'print JSON')
    .option('--skip-worker', 'do not start a worker process')
    .option('--timeout <seconds>', 'time limit per check', positiveInt('--timeout'), 30)
    .action(act(async (opts: { json?: boolean; skipWorker?: boolean; timeout: number }) => {
      const { db } = program.opts<GlobalOptions>();
      const logger = createLogger({ level: process.env.LOG_LEVEL ? process.env.LOG_LEVEL : 'error', stderr: true });
      const live = Boolean(process.stderr.isTTY) && !opts.json;
      const report = await runDoctor(() => loadConfig(), {
        dbPath: db,
        logger,
        timeoutMs: opts.timeout * 1000,
        skipWorker: Boolean(opts.skipWorker),
        onResult: (o) => live && process.stderr.write(`  ${o.name}: ${o.status}\n`),
      });
      print(opts.json ? JSON.stringify(report) : renderReport(report.outcomes));
      return report.exitCode;
    }));

  program
    .command('auth')
    .description('authorise access to outside services')
    .command('google')
    .description('authorise read-only Google Drive access once (OAuth desktop client); stores a refresh token under data/')
    .option('--client <file>', 'the OAuth client credentials.json (default: $GOOGLE_OAUTH_CLIENT)')
    .option('--token <file>', 'where to store the token (default: $GOOGLE_TOKEN_PATH, data/google-token.json)')
    .option('--port <n>', "loopback port for Google's answer (default: any free one; fix it to forward it over SSH)", positiveInt('--port'))
    .action(act(async (opts: { client?: string; token?: string; port?: number }) => {
      const { env } = context(program);
      const clientFile = opts.client ?? env.GOOGLE_OAUTH_CLIENT;
      if (!clientFile) {
        throw new AppError('usage', 'No OAuth client: pass --client <credentials.json> or set GOOGLE_OAUTH_CLIENT.', { hint: 'See docs/cloud.md, "OAuth desktop client".' });
      }
      const result = await runGoogleAuth({
        clientFile: resolve(clientFile),
        tokenFile: resolve(opts.token ?? env.GOOGLE_TOKEN_PATH),
        ...(opts.port ? { port: opts.port } : {}),
        showUrl: (url) => process.stderr.write(`Open this URL in a browser on this machine (or forward the port over SSH), sign in, and allow read-only Drive access:\n\n  ${url}\n\nWaiting for Google…\n`),
      });
      print(`Authorised (${result.scope}). Token stored in ${result.tokenFile}, readable by you only. Keep GOOGLE_OAUTH_CLIENT=${clientFile} set for the service.`);
      return EXIT.ok;
    }));

  program
    .command('demo')
    .description('generate sample documents and process them with the zero-config default')
    .action(act(async () => {
      const { env, logger } = context(program);
      return runDemo(env, logger);
    }));

  return { program, exitCode: () => exitCode };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { program, exitCode } = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const usage = error instanceof AppError && (error.code === 'usage' || error.code === 'config_invalid');
    process.stderr.write(`aseagi: ${describeError(error)}\n`);
    return usage ? EXIT.usage : EXIT.fatal;
  }
}
