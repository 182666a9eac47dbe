/**
 * Account secrets never leave the orchestrator. The whole service (createApp + HTTP API + Telegram, every
 * integration on) runs a rented session end to end over a Drive folder with distinctive planted secrets — the
 * Vast.ai key, the Supabase service key, the Claude key, the Google refresh token (and OAuth client secret) in the
 * token file, the Telegram token and API_TOKEN — also set in this process's environment, as a real deployment has
 * them. Then none may appear in: the log, the SQLite database and its WAL, what Telegram was sent, any API answer,
 * any other service's requests, or anything a rented machine received (its create request, its process
 * environment, every request the orchestrator sent it). A rented machine gets exactly its own token and seal key,
 * and per batch a short-lived Drive access token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createLocalCompute } from '../../src/core/compute/local.js';
import { silentLogger } from '../../src/logger.js';
import { workerEnv } from '../../src/main.js';
import { listProcesses } from '../helpers/processes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_VARIABLES } from '../../src/config.js';
import { openJson, parseSealKey, requestContext } from '../../src/protocol/sealed.js';
import { textUpdate } from '../fakes/telegram-bot-api.js';
import type { HttpFake } from '../fakes/http-fake.js';
import { ALICE, PLANTED, startFullApp, waitForEnd } from './helpers/full-app.js';
import type { FullApp, SecretName } from './helpers/full-app.js';

/**
 * What to look for: the longest run of URL-safe characters of each secret, so a secret is found in any encoding a
 * URL, a form body or JSON would give it (`1//PLANTED…` travels as `1%2F%2FPLANTED…`).
 */
function needle(secret: string): string {
  return (secret.match(/[A-Za-z0-9_.-]+/g) ?? []).reduce((a, b) => (b.length > a.length ? b : a), '');
}

const SECRETS = (Object.entries(PLANTED) as [SecretName, string][]).map(([name, secret]) => [name, needle(secret)] as [SecretName, string]);

/** Variables a deployment would hold its secrets in; planted in this process's environment during the test. */
const PROCESS_ENV: Record<string, string> = {
  VAST_AI_API_KEY: PLANTED.vastKey,
  SUPABASE_KEY: PLANTED.supabaseKey,
  ANTHROPIC_API_KEY: PLANTED.claudeKey,
  TELEGRAM_BOT_TOKEN: PLANTED.telegramToken,
  API_TOKEN: PLANTED.apiToken,
  GOOGLE_REFRESH_TOKEN_FOR_TEST: PLANTED.googleRefreshToken,
};

let full: FullApp;
let sessionId: string;
let databaseBytes: Buffer[] = [];

/** Everything a fake received, as one text: method, path, query, headers and body of each request. */
function received(http: HttpFake, options: { withPath?: boolean } = {}): string {
  return http.requests
    .map((r) => [r.method, options.withPath === false ? '' : `${r.path}${r.query}`, JSON.stringify(r.headers), r.body].join(' '))
    .join('\n');
}

async function talkToTheBot(): Promise<void> {
  const commands = ['/help', '/status', '/balance', '/offers', '/docs', '/failed', '/checkpoints', '/search declaration'];
  const before = full.telegram.callsTo('sendMessage').length;
  for (const text of commands) full.telegram.pushUpdate(textUpdate(ALICE, text));
  await full.telegram.waitFor(() => full.telegram.callsTo('sendMessage').length >= before + commands.length, 60_000, 'an answer to every command');
}

/** Every route of the API, with the token, plus refusals without it. */
async function callEveryRoute(): Promise<void> {
  const spec = (await full.api('GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
  const gets = Object.entries(spec.paths).filter(([, ops]) => 'get' in ops).map(([path]) => path);
  expect(gets.length).toBeGreaterThanOrEqual(8);
  for (const path of gets) await full.api('GET', path.replace('{checkpoint}', 'checkpoint_1'));
  await full.api('GET', `/documents/search?q=declaration`);
  await full.api('GET', `/batch/estimate?total_documents=70000&cost_per_hour=0.5`);
  await full.api('POST', '/batch/stop', { body: {} });
  await full.api('POST', '/batch/resume/checkpoint_1', { body: {} });
  await full.api('POST', '/documents/failed/retry', { body: {} });
  await full.api('POST', '/batch/start', { body: { max_total_cost: 'lots' } });
  await full.api('GET', '/batch/status', { token: null });
  await full.api('GET', '/batch/status', { token: 'wrong-token-0123456789' });
}

beforeAll(async () => {
  Object.assign(process.env, PROCESS_ENV);
  full = await startFullApp(4);
  const started = await full.api('POST', '/batch/start', { body: { batch_size: 2, confirm: true, max_total_cost: 5, max_cost_per_hour: 1 } });
  expect(started.status, started.text).toBe(200);
  sessionId = started.json.session_id as string;
  const ended = await waitForEnd(full, sessionId);
  // On failure, say why: the session's end and what the service logged above debug level.
  const why = (): string => `${JSON.stringify(ended)}\n${full.logText().split('\n').filter((l) => !l.includes('"level":20')).join('\n').slice(-6_000)}`;
  expect(ended, why()).toMatchObject({ status: 'completed', done: 4 });
  await talkToTheBot();
  await callEveryRoute();
  const db = full.env.ASEAGI_DB;
  databaseBytes = [readFileSync(db), ...(existsSync(`${db}-wal`) ? [readFileSync(`${db}-wal`)] : [])];
  await full.stop();
  databaseBytes.push(readFileSync(db));
}, 180_000);

afterAll(async () => {
  for (const name of Object.keys(PROCESS_ENV)) delete process.env[name];
  await full?.cleanup();
});

describe('planted secrets, after a rented session end to end', () => {
  it('the places looked at hold what they should (so finding nothing means something)', () => {
    expect(full.logText()).toMatch(/Vast\.ai call/);
    expect(full.logText()).toMatch(/Telegram bot is running/);
    expect(full.logText()).toContain(sessionId);
    expect(Buffer.concat(databaseBytes).includes('Declaration of the mother')).toBe(true);
    expect(full.telegram.callsTo('sendMessage').map((c) => String(c.payload.text)).join('\n')).toMatch(/Finished/);
    expect(full.apiAnswers.length).toBeGreaterThan(15);
    expect(full.machines.size).toBeGreaterThan(0);
    // Each secret went to its own service, and only there (checked in the next tests).
    expect(received(full.vast.http)).toContain(PLANTED.vastKey);
    expect(received(full.supabase.http)).toContain(PLANTED.supabaseKey);
    expect(received(full.claude.http)).toContain(PLANTED.claudeKey);
    expect(full.drive.http.requestsTo('POST', /^\/token$/).map((r) => r.body).join('\n')).toContain(needle(PLANTED.googleRefreshToken));
    for (const [, found] of SECRETS) expect(found.length).toBeGreaterThanOrEqual(20);
    expect(full.telegram.http.requests.every((r) => r.path.startsWith(`/bot${PLANTED.telegramToken}/`))).toBe(true);
  });

  it.each(SECRETS)('%s is in no log line, database byte, Telegram message or API answer', (_name, secret) => {
    expect(full.logText()).not.toContain(secret);
    for (const bytes of databaseBytes) expect(bytes.includes(secret)).toBe(false);
    expect(received(full.telegram.http, { withPath: false })).not.toContain(secret);
    for (const answer of full.apiAnswers) expect(answer.text, `${answer.method} ${answer.path}`).not.toContain(secret);
  });

  it.each(SECRETS)('%s reaches no service but its own', (name, secret) => {
    const services: Record<string, string> = {
      vast: received(full.vast.http),
      supabase: received(full.supabase.http),
      claude: received(full.claude.http),
      drive: received(full.drive.http),
      telegram: received(full.telegram.http, { withPath: false }),
    };
    const own: Partial<Record<SecretName, string>> = { vastKey: 'vast', supabaseKey: 'supabase', claudeKey: 'claude', googleRefreshToken: 'drive', googleClientSecret: 'drive' };
    for (const [service, text] of Object.entries(services)) {
      if (own[name] === service) continue;
      expect(text, `${name} sent to ${service}`).not.toContain(secret);
    }
    // Google's secrets go to the token endpoint only, never with a file listing or a download.
    const driveApi = full.drive.http.requests.filter((r) => r.path !== '/token').map((r) => JSON.stringify(r)).join('\n');
    expect(driveApi).not.toContain(secret);
  });

  it('a rented machine receives its own token and seal key, worker settings, and per batch a short-lived Drive token — nothing else', () => {
    const known = SECRETS.map(([, secret]) => secret);
    let batches = 0;
    for (const machine of full.machines.values()) {
      expect(Object.keys(machine.env).sort()).toEqual(['-p 8080:8080', 'LOG_LEVEL', 'OCR_ENGINE', 'OCR_LANGS', 'WORKER_HOST', 'WORKER_ID', 'WORKER_PORT', 'WORKER_SEAL_KEY', 'WORKER_TOKEN']);
      expect(machine.environ).not.toBeNull();
      for (const secret of known) {
        expect(JSON.stringify(machine.env)).not.toContain(secret);
        expect(machine.environ).not.toContain(secret);
      }
      for (const name of SECRET_VARIABLES) expect(machine.environ).not.toMatch(new RegExp(`(^|\\0)${name}=`));
      const key = parseSealKey(machine.env.WORKER_SEAL_KEY!);
      const requests = full.sent.filter((r) => r.url.hostname === '127.0.0.1' && Number(r.url.port) === machine.port);
      expect(requests.length).toBeGreaterThan(0);
      for (const request of requests) {
        expect(request.headers.authorization).toBe(`Bearer ${machine.env.WORKER_TOKEN}`);
        const plain = request.body.length > 0 ? JSON.stringify(openJson(key, request.body, requestContext(request.method, `${request.url.pathname}${request.url.search}`))) : '';
        for (const secret of known) expect(`${JSON.stringify(request.headers)} ${plain}`).not.toContain(secret);
        if (request.method !== 'POST') continue;
        batches += 1;
        // The only credential inside a batch: the download's access token, which the Drive fake minted.
        const credentials = [...plain.matchAll(/"authorization":"([^"]*)"/gi)].map((m) => m[1]);
        expect(credentials.length).toBeGreaterThan(0);
        for (const credential of credentials) expect(credential).toMatch(/^Bearer ya29\.fake-[0-9a-f]{24}$/);
      }
    }
    expect(batches).toBeGreaterThanOrEqual(2);
    // Every machine has a token and seal key of its own.
    const tokens = [...full.machines.values()].map((m) => m.env.WORKER_TOKEN);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('create requests to Vast.ai carry no secret, and the key travels only as a bearer header', () => {
    const creates = JSON.stringify(full.vast.createRequests);
    for (const [, secret] of SECRETS) expect(creates).not.toContain(secret);
    expect(full.vast.violations).toEqual([]);
    expect(full.vast.live()).toHaveLength(0);
  });
});

describe('planted secrets in the orchestrator\'s own environment', () => {
  it('reach no local worker process (the default compute passes on only PATH, HOME, TMPDIR, locale and TZ)', async () => {
    expect(process.env.VAST_AI_API_KEY).toBe(PLANTED.vastKey);
    const compute = createLocalCompute({ workers: 1, workerEnv: workerEnv(full.env), logger: silentLogger() });
    const pool = await compute.open({ sessionId: 'secrets_local', confirmation: null, remainingBatches: () => 1, previousWorkers: 0, report: () => undefined, signal: new AbortController().signal });
    try {
      const worker = await pool.acquire(new AbortController().signal);
      expect(worker).not.toBeNull();
      const environs = listProcesses().flatMap((p) => {
        try {
          const environ = readFileSync(`/proc/${p.pid}/environ`, 'utf8');
          return environ.includes(`WORKER_ID=${worker!.id}\0`) ? [environ] : [];
        } catch {
          return [];
        }
      });
      expect(environs).toHaveLength(1);
      for (const [, secret] of SECRETS) expect(environs[0]).not.toContain(secret);
      for (const name of Object.keys(PROCESS_ENV)) expect(environs[0]).not.toMatch(new RegExp(`(^|\\0)${name}=`));
    } finally {
      await pool.close();
    }
  });
});
