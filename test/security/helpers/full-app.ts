/**
 * The whole service as `aseagi serve` assembles it — `createApp` from a parsed environment, then the HTTP API and
 * Telegram parts through `startParts` — with every integration configured and pointed at its fake: Google Drive
 * (an OAuth desktop client and a stored refresh token), Vast.ai (whose instances run REAL worker processes),
 * Supabase, Anthropic and the Telegram Bot API. Every account secret is a distinctive planted value, so a test can
 * look for it anywhere: the log (a real pino logger writing to memory), the database files, what each fake
 * received, what the API answered, and everything that reached a rented machine — its create request, its process
 * environment, and every request the orchestrator sent it (recorded at `fetch`, opened with the worker's seal key).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { httpApiPart } from '../../../src/api/service.js';
import { startTelegramPart } from '../../../src/bot/service.js';
import { loadConfig } from '../../../src/config.js';
import type { Env } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { createApp } from '../../../src/main.js';
import type { App } from '../../../src/main.js';
import { startParts, stopParts } from '../../../src/serve.js';
import type { ServicePart } from '../../../src/serve.js';
import { AnthropicFake } from '../../fakes/anthropic-fake.js';
import { DriveFake } from '../../fakes/drive-fake.js';
import { SERVICE_KEY, SupabaseFake } from '../../fakes/supabase-fake.js';
import { FakeTelegram } from '../../fakes/telegram-bot-api.js';
import { VastFake, fakeOffer } from '../../fakes/vast-fake.js';
import { JOURNAL_MIGRATION } from '../../../src/core/sinks/supabase/journal-rows.js';
import { tinyPdf } from '../../helpers/tiny-pdfs.js';
import { FastClock } from '../../vast/helpers/fast-clock.js';

/** Distinctive values for every account secret (Supabase's is the fake's own service key: the fake knows no other). */
export const PLANTED = {
  vastKey: 'vast-PLANTED-9c1e7a55d0b34f2e8a6b',
  supabaseKey: SERVICE_KEY,
  claudeKey: 'sk-ant-api03-PLANTED-claude-5f3e9b1c7d2a',
  googleRefreshToken: '1//PLANTED-google-refresh-4a8c2e6f1b3d',
  googleClientSecret: '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1f',
  telegramToken: '7654321:PLANTED-telegram-token-AAbbCCddEE',
  apiToken: 'api-PLANTED-token-0f1e2d3c4b5a69788796',
} as const;

export type SecretName = keyof typeof PLANTED;

export const ALICE = 111;
export const STRANGER = 999;

/** One request the orchestrator sent, as `fetch` saw it. */
export interface SentRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** What a rented machine was given: its create request's env and, once it runs, its process's environment. */
export interface RentedMachine {
  workerId: string;
  env: Record<string, string>;
  port: number | null;
  environ: string | null;
}

export interface FullApp {
  dir: string;
  env: Env;
  app: App;
  clock: FastClock;
  apiUrl: string;
  drive: DriveFake;
  supabase: SupabaseFake;
  claude: AnthropicFake;
  vast: VastFake;
  telegram: FakeTelegram;
  /** The Drive folder the session processes. */
  folderId: string;
  machines: Map<string, RentedMachine>;
  /** Every request made with `fetch` by this process while the app ran. */
  sent: SentRequest[];
  /** Every answer of the HTTP API to {@link FullApp.api}. */
  apiAnswers: { method: string; path: string; status: number; text: string }[];
  logText(): string;
  /** Calls the HTTP API (with the planted token unless told otherwise) and keeps the answer. */
  api(method: string, path: string, options?: { token?: string | null; body?: unknown }): Promise<{ status: number; text: string; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read what came back
  /** Stops the service parts and the app (the database is closed, its WAL folded back). Idempotent. */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function headersOf(init: RequestInit | undefined, input: Parameters<typeof fetch>[0]): Record<string, string> {
  const out: Record<string, string> = {};
  const from = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  from.forEach((value, key) => (out[key] = value));
  return out;
}

function bodyOf(body: RequestInit['body']): Buffer {
  if (body == null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  return Buffer.from(`[unrecorded ${Object.prototype.toString.call(body)}]`);
}

/** Records every `fetch` of this process (bodies that are streams are noted, not read). Returns the restore. */
function recordFetch(sent: SentRequest[]): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    sent.push({ url, method: (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase(), headers: headersOf(init, input), body: bodyOf(init?.body) });
    return original(input, init);
  };
  return () => {
    globalThis.fetch = original;
  };
}

async function startFakes(clock: FastClock) {
  const [drive, supabase, claude, vast, telegram] = await Promise.all([
    new DriveFake().start(),
    new SupabaseFake().start([JOURNAL_MIGRATION]),
    new AnthropicFake({ apiKey: PLANTED.claudeKey, pollsUntilEnded: 1 }).start(),
    new VastFake({ clock, apiKey: PLANTED.vastKey, defaultScript: { setupMs: 5_000, loadingMs: 30_000 } }).start(),
    new FakeTelegram(PLANTED.telegramToken).start(),
  ]);
  vast.offers = [fakeOffer(101, { dph_total: 0.35 }), fakeOffer(102, { dph_total: 0.4 })];
  drive.addRefreshToken(PLANTED.googleRefreshToken);
  return { drive, supabase, claude, vast, telegram };
}

/** credentials.json of a desktop OAuth client, and the token file `aseagi auth google` would have written. */
function writeGoogleFiles(dir: string, drive: DriveFake): { client: string; token: string } {
  const client = join(dir, 'credentials.json');
  writeFileSync(client, JSON.stringify({ installed: { client_id: 'family-legal.apps.googleusercontent.com', client_secret: PLANTED.googleClientSecret, auth_uri: `${drive.http.url}/auth`, token_uri: `${drive.http.url}/token` } }));
  const token = join(dir, 'google-token.json');
  writeFileSync(token, JSON.stringify({ refresh_token: PLANTED.googleRefreshToken, scope: 'https://www.googleapis.com/auth/drive.readonly' }), { mode: 0o600 });
  return { client, token };
}

export async function startFullApp(documents = 4): Promise<FullApp> {
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-security-'));
  mkdirSync(join(dir, 'inbox'));
  // 20× real time: minutes of machine loading pass in seconds, and a worker process still has time to start.
  const clock = new FastClock(20);
  const fakes = await startFakes(clock);
  const folderId = fakes.drive.addFolder('Custody case', fakes.drive.rootId);
  for (let i = 1; i <= documents; i += 1) fakes.drive.addFile(`filing-${i}.pdf`, folderId, Buffer.from(await tinyPdf(`Declaration of the mother, exhibit ${i}`)));
  const google = writeGoogleFiles(dir, fakes.drive);
  const port = await freePort();
  const env = loadConfig({
    dotenvPath: false,
    env: {
      ASEAGI_DB: join(dir, 'aseagi.db'),
      DATA_DIR: dir,
      INBOX_DIR: join(dir, 'inbox'),
      LOG_LEVEL: 'debug',
      BATCH_SIZE: '2',
      OCR_ENGINE: 'none',
      HTTP_PORT: String(port),
      API_TOKEN: PLANTED.apiToken,
      TELEGRAM_BOT_TOKEN: PLANTED.telegramToken,
      TELEGRAM_API_ROOT: fakes.telegram.apiRoot,
      ALLOWED_TELEGRAM_USER_IDS: String(ALICE),
      GOOGLE_OAUTH_CLIENT: google.client,
      GOOGLE_TOKEN_PATH: google.token,
      GOOGLE_API_ROOT_URL: fakes.drive.rootUrl,
      DRIVE_FOLDER_ID: folderId,
      VAST_AI_API_KEY: PLANTED.vastKey,
      VAST_API_URL: fakes.vast.url,
      WORKER_IMAGE: 'ghcr.io/example/aseagi-worker:1.0.0',
      VAST_MAX_INSTANCES: '1',
      SUPABASE_URL: fakes.supabase.url,
      SUPABASE_KEY: PLANTED.supabaseKey,
      ANTHROPIC_API_KEY: PLANTED.claudeKey,
      ANTHROPIC_BASE_URL: fakes.claude.url,
      ANALYSIS_POLL_S: '0.05',
    },
  });
  const chunks: string[] = [];
  const logger = createLogger({ level: 'debug', pretty: false, destination: new Writable({ write: (chunk: Buffer, _e, done) => (chunks.push(chunk.toString('utf8')), done()) }) });
  const sent: SentRequest[] = [];
  const restoreFetch = recordFetch(sent);
  const app = createApp(env, logger, { clock });
  const machines = new Map<string, RentedMachine>();
  app.engine.events.on('worker.ready', (e) => {
    const instance = fakes.vast.instanceOfWorker(e.workerId);
    const pid = instance?.worker?.pid;
    machines.set(e.workerId, {
      workerId: e.workerId,
      env: instance?.init.env ?? {},
      port: instance?.worker ? Number(new URL(instance.worker.url).port) : null,
      environ: pid ? readFileSync(`/proc/${pid}/environ`, 'utf8') : null,
    });
  });
  let parts: ServicePart[] = [];
  try {
    parts = await startParts(app, [httpApiPart, (a) => startTelegramPart(a)]);
  } catch (error) {
    restoreFetch();
    await app.close();
    throw error;
  }
  const apiUrl = `http://127.0.0.1:${port}`;
  const apiAnswers: FullApp['apiAnswers'] = [];
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopParts(logger, parts);
      await app.close();
      restoreFetch();
    })());
  return {
    dir,
    env,
    app,
    clock,
    apiUrl,
    ...fakes,
    folderId,
    machines,
    sent,
    apiAnswers,
    logText: () => chunks.join(''),
    async api(method, path, options = {}) {
      const token = options.token === undefined ? PLANTED.apiToken : options.token;
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      const text = await response.text();
      apiAnswers.push({ method, path, status: response.status, text });
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, text, json };
    },
    stop,
    async cleanup() {
      await stop();
      await Promise.allSettled([fakes.drive.stop(), fakes.supabase.stop(), fakes.claude.stop(), fakes.vast.stop(), fakes.telegram.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the API until the session has ended; returns its last status. */
export async function waitForEnd(full: FullApp, sessionId: string, timeoutMs = 90_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- the API's JSON
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await full.api('GET', `/batch/status?session_id=${sessionId}`);
    if (['completed', 'paused', 'stopped', 'failed'].includes(json?.status)) return json;
    if (Date.now() > deadline) throw new Error(`session ${sessionId} did not end (last status ${json?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
