/**
 * Who may do anything: over the whole service (serve-like, every integration on), an HTTP call without the token,
 * with a wrong one or in the wrong scheme, and a Telegram user who is not on the allow-list (by long polling, as
 * `aseagi serve` receives updates) change nothing — no session, no event, no listing, no rental, no call to any
 * service — and get one short refusal. A worker refuses calls without its token, with a wrong one, with another
 * worker's token, and bodies sealed with another worker's key: no batch is taken, no document fetched. Each part
 * ends with the allowed call having an effect, so "nothing changed" is a finding, not a broken probe.
 * (Telegram's allow-list through every command and button is also covered by test/bot/access.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpWorker } from '../../src/core/compute/http-worker.js';
import { startWorkerProcess } from '../../src/core/compute/worker-process.js';
import type { StartedWorkerProcess } from '../../src/core/compute/worker-process.js';
import { WorkerLostError } from '../../src/core/engine/ports.js';
import { silentLogger } from '../../src/logger.js';
import { batchOptionsSchema } from '../../src/protocol/worker-protocol.js';
import type { DocumentResult } from '../../src/protocol/worker-protocol.js';
import { HttpFake } from '../fakes/http-fake.js';
import { callbackUpdate, textUpdate } from '../fakes/telegram-bot-api.js';
import { tinyPdf } from '../helpers/tiny-pdfs.js';
import { ALICE, PLANTED, STRANGER, startFullApp } from './helpers/full-app.js';
import type { FullApp } from './helpers/full-app.js';

/** Everything that would show an effect: rows in every table, outside calls, a running session. */
function snapshot(full: FullApp): Record<string, unknown> {
  const { db } = full.app.store;
  const tables = ['sessions', 'documents', 'batches', 'events', 'workers', 'checkpoints', 'results', 'kv', 'bot_conversations'];
  const rows = Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  return {
    ...rows,
    running: full.app.engine.runningSessionId(),
    driveListCalls: full.drive.listCalls,
    vast: full.vast.http.requests.filter((r) => !r.path.startsWith('/api/v0/users/current')).length,
    supabase: full.supabase.http.requests.length,
    claude: full.claude.http.requests.length,
  };
}

describe('the service refuses strangers', () => {
  let full: FullApp;

  beforeAll(async () => {
    full = await startFullApp(2);
  }, 60_000);

  afterAll(async () => {
    await full?.cleanup();
  });

  it('API calls without the token, with a wrong one, or in another scheme: 401 in a few words, nothing changes', async () => {
    const spec = (await full.api('GET', '/openapi.json')).json as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path: path.replace('{checkpoint}', 'checkpoint_1') })));
    expect(operations.length).toBeGreaterThanOrEqual(14);
    const before = snapshot(full);
    const wrongCredentials: { label: string; headers: Record<string, string>; query?: string }[] = [
      { label: 'no token', headers: {} },
      { label: 'a wrong token', headers: { authorization: `Bearer ${PLANTED.apiToken}x` } },
      { label: 'a prefix of the token', headers: { authorization: `Bearer ${PLANTED.apiToken.slice(0, 10)}` } },
      { label: 'another scheme', headers: { authorization: `Basic ${PLANTED.apiToken}` } },
      { label: 'the token in the query', headers: {}, query: `token=${PLANTED.apiToken}&api_key=${PLANTED.apiToken}` },
    ];
    let refused = 0;
    for (const { method, path } of operations) {
      // A body that would start paid work, were the caller let in.
      const body = method === 'POST' ? JSON.stringify(path === '/batch/start' ? { confirm: true, max_total_cost: 5 } : {}) : undefined;
      for (const credentials of wrongCredentials) {
        const url = `${full.apiUrl}${path}${credentials.query ? `${path.includes('?') ? '&' : '?'}${credentials.query}` : ''}`;
        const response = await fetch(url, { method, headers: { ...credentials.headers, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) });
        const text = await response.text();
        if (path === '/health' || path === '/docs') {
          expect(response.status, `${method} ${path}`).toBe(200);
          continue;
        }
        expect(response.status, `${method} ${path} with ${credentials.label}`).toBe(401);
        expect(text.length, text).toBeLessThan(400);
        expect(JSON.parse(text)).toMatchObject({ error: { code: expect.stringMatching(/^(unauthorized|invalid_token)$/) } });
        expect(response.headers.get('www-authenticate')).toContain('Bearer');
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThanOrEqual((operations.length - 2) * wrongCredentials.length);
    expect(snapshot(full)).toEqual(before);

    // The same start with the token does something (it lists the folder and asks for a confirmation).
    const allowed = await full.api('POST', '/batch/start', { body: {} });
    expect(allowed.status).toBe(409);
    expect(snapshot(full)).not.toEqual(before);
  });

  it('a Telegram user not on the allow-list: one short refusal, nothing else, whatever they send or press', async () => {
    full.telegram.pushUpdate(textUpdate(ALICE, '/help'));
    const help = await full.telegram.waitFor(() => full.telegram.lastMessage(ALICE, /searchable text/), 30_000, 'the help text');
    const calls = full.telegram.calls.length;
    const before = snapshot(full);

    for (const text of ['/start_batch', '/estimate', '/resume', '/stop', '/balance', '/offers', '/failed', '/search custody', 'hello']) {
      full.telegram.pushUpdate(textUpdate(STRANGER, text));
    }
    full.telegram.pushUpdate(callbackUpdate(STRANGER, help, 'st:y:batch_session_1_abcd'));
    full.telegram.pushUpdate(textUpdate(STRANGER, '/start_batch', -100_777));
    // Every refusal is logged, the silent one in the group too: wait until all eleven were handled.
    const refusals = (): number => full.logText().split('\n').filter((line) => line.includes('refused a Telegram user who is not on the allow-list')).length;
    await full.telegram.waitFor(() => refusals() >= 11, 30_000, 'eleven refusals');
    expect(refusals()).toBe(11);

    const toStranger = full.telegram.calls.slice(calls);
    expect(toStranger.filter((c) => c.method === 'sendMessage').map((c) => [c.payload.chat_id, c.payload.text])).toEqual([
      [STRANGER, `Sorry, this bot is private. Your Telegram id is ${STRANGER}; the person who runs it can add you.`],
    ]);
    expect(toStranger.filter((c) => c.method === 'answerCallbackQuery').map((c) => c.payload.text)).toEqual([expect.stringMatching(/this bot is private/)]);
    expect(toStranger.every((c) => ['sendMessage', 'answerCallbackQuery', 'getUpdates'].includes(c.method))).toBe(true);
    expect(snapshot(full)).toEqual(before);

    // The same command from Alice does something.
    full.telegram.pushUpdate(textUpdate(ALICE, '/estimate'));
    await full.telegram.waitFor(() => (full.drive.listCalls > (before.driveListCalls as number) ? true : null), 30_000, 'Alice’s estimate listing the folder');
  });
});

describe('a worker refuses calls that are not from its orchestrator', () => {
  const workers: StartedWorkerProcess[] = [];
  const documents = new HttpFake('documents');
  let a: StartedWorkerProcess;
  let b: StartedWorkerProcess;

  beforeAll(async () => {
    const pdf = Buffer.from(await tinyPdf('Sealed exhibit'));
    documents.on('GET', '/exhibit.pdf', () => ({ headers: { 'content-type': 'application/pdf' }, body: pdf }));
    await documents.start();
    for (const id of ['access-a', 'access-b']) workers.push(await startWorkerProcess({ workerId: id, env: { OCR_ENGINE: 'none', WORKER_CONCURRENCY: '1', OCR_POOL_SIZE: '1', LOG_LEVEL: 'warn' }, logger: silentLogger() }));
    [a, b] = workers as [StartedWorkerProcess, StartedWorkerProcess];
  }, 60_000);

  afterEach(() => documents.clearFaults());

  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.stop(2_000)));
    await documents.stop();
  });

  const batch = () => ({
    batchId: 'access-batch-1',
    documents: [{ id: '1', name: 'exhibit.pdf', location: { kind: 'url' as const, url: `${documents.url}/exhibit.pdf` } }],
    options: batchOptionsSchema.parse({ ocr: { engine: 'none' } }),
  });

  /** The orchestrator's own client, talking to worker A as someone holding `token` and `sealKey`; `statuses` are A's answers. */
  function client(token: string, sealKey: string | undefined, authorization?: string | null): HttpWorker & { statuses: number[] } {
    const statuses: number[] = [];
    const rewrite: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      if (authorization === null) headers.delete('authorization');
      else if (authorization !== undefined) headers.set('authorization', authorization);
      const response = await fetch(input, { ...init, headers });
      statuses.push(response.status);
      return response;
    };
    const worker = new HttpWorker({ id: 'probe', label: 'probe', baseUrl: a.url, token, sealKey, target: { sharesFileSystem: false }, logger: silentLogger(), retryDelayMs: 5, maxFailures: 2, fetch: rewrite });
    return Object.assign(worker, { statuses });
  }

  it('no token, a wrong one, another worker’s token, another worker’s key: refused, no batch taken, nothing fetched', async () => {
    const probes = [
      { label: 'no token', worker: client(a.token, a.sealKey, null), status: 401 },
      { label: 'a wrong token', worker: client(`${a.token}x`, a.sealKey), status: 401 },
      { label: 'the other worker’s token and key', worker: client(b.token, b.sealKey), status: 401 },
      // The refusal (400, unsealable body) comes sealed with A's key: the prober cannot even read it.
      { label: 'the right token, a body sealed with the other worker’s key', worker: client(a.token, b.sealKey), status: 400 },
    ];
    for (const probe of probes) {
      const results: DocumentResult[] = [];
      const outcome = await probe.worker.process(batch(), (r) => Promise.resolve(void results.push(r)), new AbortController().signal).then(() => 'accepted', (error: unknown) => error);
      expect(outcome, probe.label).toBeInstanceOf(WorkerLostError);
      expect(probe.worker.statuses, probe.label).toEqual([probe.status]);
      expect(results).toEqual([]);
      await expect(probe.worker.health(), probe.label).rejects.toThrow();
    }
    for (const [method, path] of [['GET', '/v1/health'], ['GET', '/v1/batches/access-batch-1'], ['DELETE', '/v1/batches/access-batch-1'], ['POST', '/v1/batches']] as const) {
      for (const authorization of [undefined, `Bearer ${b.token}`, `Bearer ${a.token.slice(0, -1)}`]) {
        const response = await fetch(`${a.url}${path}`, { method, headers: authorization ? { authorization } : {}, ...(method === 'POST' ? { body: JSON.stringify(batch()) } : {}) });
        const text = await response.text();
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(text.length).toBeLessThan(200);
      }
    }
    expect(documents.requests).toHaveLength(0);
    const health = await client(a.token, a.sealKey).health();
    expect(health.load).toMatchObject({ batches: 0, activeDocuments: 0, queuedDocuments: 0 });

    // The orchestrator itself, with A's token and key, gets the batch done: the probes were heard, and refused.
    const results: DocumentResult[] = [];
    await client(a.token, a.sealKey).process(batch(), (r) => Promise.resolve(void results.push(r)), new AbortController().signal);
    expect(results.map((r) => r.status)).toEqual(['ok']);
    expect(documents.requests).toHaveLength(1);
  });
});
