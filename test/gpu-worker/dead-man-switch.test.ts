/**
 * The dead man's switch against a fake Vast.ai API: a worker that hears nothing from its orchestrator for
 * WORKER_ORPHAN_TIMEOUT destroys its own instance (retrying 5xx, 404 = already gone) and stops; authenticated
 * requests keep it alive, anonymous ones do not; the per-instance key is sent to Vast and to nobody's logs.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrphanOutcome } from '../../src/gpu-worker/orphan/dead-man-switch.js';
import { startWorkerServer, type WorkerServer } from '../../src/gpu-worker/server.js';
import { HttpFake } from '../fakes/http-fake.js';
import { capturingLogger } from './helpers/document-server.js';
import { REPO_ROOT } from './helpers/corpus.js';
import { TOKEN, api, testConfig } from './helpers/worker-client.js';

const INSTANCE = '4242';
const CONTAINER_KEY = 'container-key-only-for-4242';

let vast: HttpFake;
const servers: WorkerServer[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Vast's destroy endpoint as the reference describes it: the instance's own key, `{}` → `{"success":true}`. */
function fakeVast(): HttpFake {
  return new HttpFake('vast').on('DELETE', '/api/v0/instances/:id/', (request) => {
    if (request.headers.authorization !== `Bearer ${CONTAINER_KEY}`) return { status: 401, body: { error: 'invalid_api_key' } };
    if (request.params.id !== INSTANCE) return { status: 404, body: { error: 'no_such_instance' } };
    return { status: 200, body: { success: true } };
  });
}

async function orphanableWorker(timeoutMs: number, logger = capturingLogger().logger, containerId = INSTANCE) {
  const outcomes: OrphanOutcome[] = [];
  const config = testConfig({ orphan: { containerId, apiKey: CONTAINER_KEY, apiUrl: vast.url, timeoutMs } });
  const server = await startWorkerServer({
    config, logger, nativeTesseract: null,
    orphan: { retryPolicy: { baseMs: 10, maxMs: 40, jitter: 0 } },
    onOrphaned: (outcome) => {
      outcomes.push(outcome);
      void server.close();
    },
  });
  servers.push(server);
  return { server, outcomes };
}

const deletes = (): number => vast.requestsTo('DELETE', /^\/api\/v0\/instances\//).length;

beforeAll(async () => {
  vast = await fakeVast().start();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  vast.requests.splice(0);
  vast.clearFaults();
});

afterAll(() => vast.stop());

describe('dead man switch', () => {
  it('stays quiet while the orchestrator talks, fires once it only hears strangers', { timeout: 30_000 }, async () => {
    const logs = capturingLogger();
    const { server, outcomes } = await orphanableWorker(600, logs.logger);
    vast.inject({ kind: 'status', status: 502, match: { method: 'DELETE' } });
    const client = api(server.url);
    for (let index = 0; index < 12; index += 1) {
      expect((await client.get('/v1/health')).status).toBe(200);
      await sleep(150);
    }
    expect(deletes()).toBe(0);

    const stranger = api(server.url, 'not-the-token-0123456789');
    await expect
      .poll(async () => {
        await stranger.get('/v1/health').catch(() => undefined);
        return outcomes;
      }, { timeout: 10_000, interval: 100 })
      .toEqual(['destroyed']);
    const [failed, succeeded] = vast.requestsTo('DELETE', /.*/);
    expect(failed?.status).toBe(502);
    expect(succeeded).toMatchObject({ path: `/api/v0/instances/${INSTANCE}/`, status: 200, body: '{}' });
    expect(succeeded?.headers.authorization).toBe(`Bearer ${CONTAINER_KEY}`);
    expect(logs.text()).toContain('no word from the orchestrator');
    expect(logs.text()).not.toContain(CONTAINER_KEY);
  });

  it('takes 404 as already gone', async () => {
    const { outcomes } = await orphanableWorker(200, undefined, '999');
    await expect.poll(() => outcomes, { timeout: 10_000 }).toEqual(['already_gone']);
    expect(deletes()).toBe(1);
  });

  it('gives up after its retries when Vast keeps failing, and still stops', async () => {
    vast.inject({ kind: 'status', status: 500, match: { method: 'DELETE' }, times: 100 });
    const { outcomes } = await orphanableWorker(200);
    await expect.poll(() => outcomes, { timeout: 10_000 }).toEqual(['failed']);
    expect(deletes()).toBe(10);
  });

  it('is not armed without Vast\'s variables', async () => {
    const server = await startWorkerServer({ config: testConfig({ orphan: null }), nativeTesseract: null });
    servers.push(server);
    await sleep(300);
    expect(deletes()).toBe(0);
    expect((await api(server.url).get('/v1/health')).status).toBe(200);
  });

  it('ends the real program: destroys the instance, exits 0, never prints the key', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/gpu-worker/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', WORKER_TOKEN: TOKEN, OCR_ENGINE: 'none', LOG_LEVEL: 'debug',
        CONTAINER_ID: INSTANCE, CONTAINER_API_KEY: CONTAINER_KEY, VAST_API_URL: vast.url, WORKER_ORPHAN_TIMEOUT: '1s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(exit).toBe(0);
    expect(deletes()).toBe(1);
    expect(output).toContain('instance destroyed; stopping');
    expect(output).not.toContain(CONTAINER_KEY);
  });
});
