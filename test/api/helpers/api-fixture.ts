/**
 * The HTTP API on a real port, over a real app: real engine, real SQLite in a temporary folder, real local worker
 * processes (OCR off, so tiny text PDFs cost almost no CPU). Tests talk to it with fetch.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createApi } from '../../../src/api/api.js';
import type { Api } from '../../../src/api/api.js';
import { apiDepsFromApp } from '../../../src/api/deps.js';
import type { DriveAccess } from '../../../src/api/deps.js';
import type { Route } from '../../../src/api/router.js';
import { loadConfig } from '../../../src/config.js';
import type { ComputeProvider, DocumentSource, SourceDocument } from '../../../src/core/engine/ports.js';
import type { SourceSpec } from '../../../src/core/engine/types.js';
import { createLocalFolderSource, isLocalFolderSpec } from '../../../src/core/sources/local-folder.js';
import { silentLogger } from '../../../src/logger.js';
import { createApp } from '../../../src/main.js';
import type { App } from '../../../src/main.js';

export interface FixtureOptions {
  token?: string;
  env?: Record<string, string>;
  /** Replaces the configured compute (e.g. a renting provider wrapping the local pool). */
  compute?: (env: ReturnType<typeof loadConfig>) => ComputeProvider;
  /** Google Drive as the API sees it; absent = not configured. */
  drive?: (fixture: { inbox: string }) => { access: DriveAccess; open: (spec: SourceSpec) => DocumentSource | null };
  corsOrigin?: string;
  extraRoutes?: Route[];
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever came back
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  /** undefined = the fixture's token; null = no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface ApiFixture {
  url: string;
  app: App;
  api: Api;
  dir: string;
  inbox: string;
  /**
   * Called before every `locate` (one per batch dispatch, numbered from 1); a promise it returns holds that batch
   * until it settles, so a test can catch a session mid-run.
   */
  gate: ((dispatch: number) => Promise<void> | null) | null;
  request(method: string, path: string, options?: RequestOptions): Promise<Answer>;
  close(): Promise<void>;
}

export async function startApiFixture(options: FixtureOptions = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-api-'));
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox);
  const env = loadConfig({
    env: { LOCAL_WORKERS: '1', OCR_ENGINE: 'none', INBOX_DIR: inbox, BATCH_SIZE: '2', CHECKPOINT_EVERY: '1', LOG_LEVEL: 'silent', ...options.env },
    dotenvPath: false,
  });
  const fixture = { gate: null } as ApiFixture;
  let dispatches = 0;
  const drive = options.drive?.({ inbox });
  const openSource = (spec: SourceSpec): DocumentSource => {
    const fromDrive = drive?.open(spec);
    if (fromDrive) return fromDrive;
    if (!isLocalFolderSpec(spec)) throw new Error(`test fixture: no source for ${spec.kind}`);
    return gated(createLocalFolderSource(spec.path), () => fixture.gate?.((dispatches += 1)) ?? null);
  };
  const app = createApp(env, silentLogger(), { dbPath: join(dir, 'aseagi.db'), openSource, ...(options.compute ? { compute: options.compute(env) } : {}) });
  const deps = { ...apiDepsFromApp(app, '0.1.0-test'), drive: drive?.access ?? null };
  const api = createApi(
    deps,
    { token: options.token, maxBodyBytes: env.API_MAX_BODY_KB * 1024, corsOrigin: options.corsOrigin, strictResponses: true },
    options.extraRoutes,
  );
  const url = await api.server.listen(0, '127.0.0.1');
  Object.assign(fixture, {
    url,
    app,
    api,
    dir,
    inbox,
    request: (method: string, path: string, request: RequestOptions = {}) => call(url, options.token, method, path, request),
    close: async () => {
      fixture.gate = null;
      await api.server.close(1_000);
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  return fixture;
}

async function call(base: string, fixtureToken: string | undefined, method: string, path: string, options: RequestOptions): Promise<Answer> {
  const token = options.token === undefined ? fixtureToken : options.token;
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(base + path, { method, headers: { ...headers, ...options.headers }, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A source whose `locate` waits while the test holds it, so a session can be caught running. */
function gated(source: DocumentSource, hold: () => Promise<void> | null): DocumentSource {
  return {
    kind: source.kind,
    get key() {
      return source.key;
    },
    describe: () => source.describe(),
    list: (opts) => source.list(opts),
    locate: async (documents, target) => {
      const gate = hold();
      if (gate) await gate;
      return source.locate(documents, target);
    },
  };
}

/** A promise the test settles by hand. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `engine.pause` has been called (it requests the pause synchronously, before it awaits). */
export function whenPauseRequested(app: App): Promise<void> {
  const engine = app.engine;
  const original = engine.pause.bind(engine);
  return new Promise((resolve) => {
    engine.pause = (...args: Parameters<typeof original>) => {
      const result = original(...args);
      resolve();
      return result;
    };
  });
}

/** A one-page PDF with a text layer. */
export async function writeTextPdf(path: string, text: string): Promise<void> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([300, 200]).drawText(text, { x: 20, y: 120, size: 12, font });
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  writeFileSync(path, await doc.save());
}

/** `count` PDFs in `folder`, each with the phrase "marker<i>" so search can find exactly one. */
export async function writePdfs(folder: string, count: number, prefix = 'doc'): Promise<void> {
  mkdirSync(folder, { recursive: true });
  for (let i = 1; i <= count; i += 1) await writeTextPdf(join(folder, `${prefix}-${i}.pdf`), `Court filing ${prefix} marker${prefix}${i} custody`);
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the session has ended (completed, paused, stopped or failed) and returns its status view. */
export async function waitForEnd(fixture: ApiFixture, sessionId: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return waitFor(`session ${sessionId} to end`, async () => {
    const answer = await fixture.request('GET', `/batch/status?session_id=${sessionId}`);
    return ['completed', 'paused', 'stopped', 'failed'].includes(answer.json?.status) ? answer.json : undefined;
  });
}

/** An in-test "Drive": documents listed under Drive-style ids, fetched from a local folder the test fills. */
export function fakeDriveSource(folder: string, folderId: string | null, names: string[]): DocumentSource {
  const docs: SourceDocument[] = names.map((name, i) => ({
    sourceId: `1DrIvE${String(i).padStart(4, '0')}`,
    name,
    mimeType: 'application/pdf',
    sizeBytes: 2_621_440,
    checksum: `md5:${folderId ?? 'root'}:${i}`,
    modifiedAt: '2025-11-01T10:00:00.000Z',
  }));
  return {
    kind: 'gdrive',
    key: `gdrive:test:${folderId ?? 'root'}`,
    describe: () => `Google Drive folder ${folderId ?? '(root)'}`,
    async *list(opts) {
      let n = 0;
      for (const doc of docs) {
        if (opts.maxDocuments != null && n >= opts.maxDocuments) return;
        n += 1;
        yield doc;
      }
    },
    locate: (documents) => Promise.resolve(documents.map((d) => ({ kind: 'file' as const, path: join(folder, d.name) }))),
  };
}
