/**
 * The HTTP layer over a real server: the token, input validation, body limits, error shapes without stack traces,
 * CORS, 503 for integrations that are not configured, and the service part's refusal to listen unprotected.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isLoopbackHost, secretsEqual } from '../../src/api/auth.js';
import { defineRoute, ok } from '../../src/api/router.js';
import { assertSafeBinding, httpApiPart } from '../../src/api/service.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createApp } from '../../src/main.js';
import { startApiFixture } from './helpers/api-fixture.js';
import type { ApiFixture } from './helpers/api-fixture.js';

const TOKEN = 'http-token-0123456789abcdef';

const failingRoutes = [
  defineRoute({
    method: 'GET',
    path: '/test/crash',
    operationId: 'testCrash',
    tag: 'service',
    summary: 'throws an unexpected error (test only)',
    responses: { 200: { description: 'never', schema: z.object({}) } },
    handle: () => {
      throw new Error(`internal detail: connection string postgres://user:${TOKEN}@db`);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/test/drift',
    operationId: 'testDrift',
    tag: 'service',
    summary: 'answers outside its own schema (test only)',
    responses: { 200: { description: 'a number', schema: z.object({ n: z.number() }) } },
    handle: () => ok({ n: 'not a number' as unknown as number }),
  }),
];

let fixture: ApiFixture;

beforeAll(async () => {
  fixture = await startApiFixture({ token: TOKEN, env: { API_MAX_BODY_KB: '1' }, extraRoutes: failingRoutes });
});

afterAll(async () => {
  await fixture.close();
});

describe('bearer token', () => {
  it('refuses a missing or wrong token on every route but /health and /docs', async () => {
    for (const route of fixture.api.routes) {
      const path = route.path.replace('{checkpoint}', 'checkpoint_1');
      const missing = await fixture.request(route.method, path, { token: null });
      const wrong = await fixture.request(route.method, path, { token: `${TOKEN}x` });
      if (route.public) {
        expect(missing.status, path).toBe(200);
        continue;
      }
      expect(missing.status, path).toBe(401);
      expect(missing.json.error.code).toBe('unauthorized');
      expect(missing.headers.get('www-authenticate')).toContain('Bearer');
      expect(wrong.status, path).toBe(401);
      expect(wrong.json.error.code).toBe('invalid_token');
    }
    const malformed = await fixture.request('GET', '/checkpoints', { token: null, headers: { authorization: `Basic ${TOKEN}` } });
    expect(malformed.status).toBe(401);
    const good = await fixture.request('GET', '/checkpoints');
    expect(good.status).toBe(200);
    expect(good.json).toEqual({ total: 0, checkpoints: [] });
  });

  it('answers /health with the seed\'s fields', async () => {
    const health = await fixture.request('GET', '/health', { token: null });
    expect(health.json).toMatchObject({ status: 'healthy', batch_manager_initialized: true, current_session: null, version: '0.1.0-test' });
    expect(Date.parse(health.json.timestamp)).not.toBeNaN();
  });

  it('compares secrets without regard to length or content', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('', 'a')).toBe(false);
  });
});

describe('input validation', () => {
  it('names every bad field of a body', async () => {
    const bad = await fixture.request('POST', '/batch/start', { body: { batch_size: 0, max_documents: 'ten', max_cost: 5, mime_types: ['text/plain'] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_request');
    const fields = bad.json.error.fields.map((f: { in: string; field: string }) => `${f.in}.${f.field}`);
    expect(fields).toEqual(expect.arrayContaining(['body.batch_size', 'body.max_documents', 'body.mime_types.0', 'body.(whole)']));
    expect(bad.json.error.fields.find((f: { field: string }) => f.field === '(whole)').message).toContain('max_cost');
    expect(bad.json.error.message).toContain('body.batch_size');

    const both = await fixture.request('POST', '/batch/start', { body: { folder: '/a', folder_id: '/b' } });
    expect(both.status).toBe(400);
    expect(both.json.error.fields).toEqual([{ in: 'body', field: 'folder', message: 'give folder or folder_id, not both' }]);

    const stop = await fixture.request('POST', '/batch/stop', { body: { final: 'yes' } });
    expect(stop.status).toBe(400);
    expect(stop.json.error.fields[0]).toMatchObject({ in: 'body', field: 'final' });
  });

  it('names bad query parameters', async () => {
    const estimate = await fixture.request('GET', '/batch/estimate?total_documents=abc&batch_size=0');
    expect(estimate.status).toBe(400);
    expect(estimate.json.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['batch_size', 'total_documents']);
    const search = await fixture.request('GET', '/documents/search');
    expect(search.status).toBe(400);
    expect(search.json.error.fields[0]).toMatchObject({ in: 'query', field: 'q' });
    const blank = await fixture.request('GET', '/documents/search?q=%20%20');
    expect(blank.status).toBe(400);
    const offers = await fixture.request('GET', '/vastai/instances?limit=1000');
    expect(offers.status).toBe(400);
  });

  it('refuses bodies that are not JSON, are malformed, or are too large', async () => {
    const text = await fixture.request('POST', '/batch/stop', { rawBody: 'final=true', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const broken = await fixture.request('POST', '/batch/stop', { rawBody: '{"final": tru', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe('invalid_json');
    const large = await fixture.request('POST', '/batch/start', { body: { folder: 'x'.repeat(2_000) } });
    expect(large.status).toBe(413);
    expect(large.json.error.code).toBe('body_too_large');
    const chunked = await fetch(`${fixture.url}/batch/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"folder": "${'y'.repeat(3_000)}"}`));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('accepts an empty body where every field is optional (the seed\'s curl -X POST /batch/stop)', async () => {
    const stop = await fixture.request('POST', '/batch/stop');
    expect(stop.status).toBe(404);
    expect(stop.json.error.code).toBe('nothing_to_stop');
  });
});

describe('errors', () => {
  it('answers 404 and 405 for unknown paths and methods', async () => {
    const missing = await fixture.request('GET', '/batch/nothing');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('not_found');
    const method = await fixture.request('GET', '/batch/start');
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');
  });

  it('never shows a stack trace or an internal message, and masks secrets', async () => {
    const crash = await fixture.request('GET', '/test/crash');
    expect(crash.status).toBe(500);
    expect(crash.json.error.code).toBe('internal');
    expect(crash.json.error.request_id).toBe(crash.headers.get('x-request-id'));
    expect(crash.text).not.toContain('internal detail');
    expect(crash.text).not.toContain(TOKEN);
    expect(crash.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const drift = await fixture.request('GET', '/test/drift');
    expect(drift.status).toBe(500);
    expect(drift.text).not.toContain('not a number');
  });

  it('answers 404 for sessions and checkpoints that do not exist', async () => {
    const status = await fixture.request('GET', '/batch/status');
    expect(status.status).toBe(404);
    expect(status.json.error.code).toBe('no_session');
    const failed = await fixture.request('GET', '/documents/failed?session_id=batch_session_1_ffff');
    expect(failed.status).toBe(404);
    const resume = await fixture.request('POST', '/batch/resume/checkpoint_100.json');
    expect(resume.status).toBe(404);
    expect(resume.json.error).toMatchObject({ code: 'no_checkpoint', hint: expect.stringContaining('/checkpoints') });
    const estimate = await fixture.request('GET', '/batch/estimate');
    expect(estimate.status).toBe(404);
  });

  it('estimates with the seed\'s query and fields, and says what the figure rests on', async () => {
    const estimate = await fixture.request('GET', '/batch/estimate?total_documents=70000&batch_size=100&cost_per_hour=0.50&workers=1');
    expect(estimate.status).toBe(200);
    expect(estimate.json).toMatchObject({
      total_documents: 70000,
      batch_size: 100,
      total_batches: 700,
      total_hours: 87.5,
      cost_per_hour: 0.5,
      total_cost: 43.75,
      seconds_per_document: 4.5,
      bounded_by: 'gpu_time',
    });
    expect(estimate.json.basis).toContain('prior');
    const local = await fixture.request('GET', '/batch/estimate?total_documents=10');
    expect(local.json).toMatchObject({ cost_per_hour: 0, total_cost: 0, workers: 1 });
  });

  it('finds nothing in an empty index', async () => {
    const search = await fixture.request('GET', '/documents/search?q=custody');
    expect(search.json).toEqual({ query: 'custody', total: 0, limit: 10, offset: 0, results: [] });
  });
});

describe('integrations that are not configured', () => {
  it('answer 503 and say what to set', async () => {
    for (const path of ['/vastai/balance', '/vastai/instances']) {
      const answer = await fixture.request('GET', path);
      expect(answer.status, path).toBe(503);
      expect(answer.json.error).toMatchObject({ code: 'not_configured', message: 'Vast.ai is not configured (set VAST_AI_API_KEY).' });
    }
    const drive = await fixture.request('GET', '/drive/documents');
    expect(drive.status).toBe(503);
    expect(drive.json.error.message).toMatch(/^Google Drive is not configured/);
    expect(drive.json.error.message).toContain('GOOGLE_APPLICATION_CREDENTIALS');
  });
});

describe('CORS', () => {
  it('is off by default: no CORS headers, no preflight', async () => {
    const answer = await fixture.request('GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fixture.request('OPTIONS', '/batch/start', { headers: { origin: 'https://evil.example' } });
    expect(preflight.status).toBe(405);
  });

  it('allows exactly the configured origin', async () => {
    const cors = await startApiFixture({ token: TOKEN, corsOrigin: 'https://n8n.example.org' });
    try {
      const allowed = await cors.request('GET', '/health', { headers: { origin: 'https://n8n.example.org' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://n8n.example.org');
      const other = await cors.request('GET', '/health', { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await cors.request('OPTIONS', '/batch/start', { token: null, headers: { origin: 'https://n8n.example.org' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    } finally {
      await cors.close();
    }
  });
});

describe('the service part', () => {
  it('refuses a non-loopback host without API_TOKEN, with a message that says what to do', async () => {
    expect(() => assertSafeBinding({ HTTP_HOST: '0.0.0.0', API_TOKEN: undefined })).toThrow(/without API_TOKEN/);
    expect(() => assertSafeBinding({ HTTP_HOST: '0.0.0.0', API_TOKEN: TOKEN })).not.toThrow();
    expect(() => assertSafeBinding({ HTTP_HOST: 'localhost', API_TOKEN: undefined })).not.toThrow();
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.org', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);

    const env = loadConfig({ env: { HTTP_HOST: '0.0.0.0', HTTP_PORT: '0', LOCAL_WORKERS: '1' }, dotenvPath: false });
    const app = createApp(env, silentLogger(), { dbPath: ':memory:' });
    try {
      await expect(httpApiPart(app)).rejects.toMatchObject({ code: 'api_token_required' });
    } finally {
      await app.close();
    }
  });

  it('listens on HTTP_HOST:HTTP_PORT with the token, and stops', async () => {
    const port = await freePort();
    const env = loadConfig({ env: { HTTP_PORT: String(port), API_TOKEN: TOKEN, LOCAL_WORKERS: '1' }, dotenvPath: false });
    const app = createApp(env, silentLogger(), { dbPath: ':memory:' });
    const part = await httpApiPart(app);
    try {
      expect(part?.name).toBe('http');
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/batch/status`)).status).toBe(401);
      const authorised = await fetch(`http://127.0.0.1:${port}/batch/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(authorised.status).toBe(404);
    } finally {
      await part?.stop();
      await app.close();
    }
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
