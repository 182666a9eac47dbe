/**
 * The Vast.ai client against the fake that follows ../shared/reference/vastai-api.md: the contract (auth,
 * filters, shapes, status codes) and its manners (per-endpoint gaps, 429 back-off without Retry-After, a create
 * that is never retried, an account body that never reaches a log).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VastClient } from '../../src/core/compute/vast/vast-client.js';
import { VastAmbiguousCreateError, VastApiError } from '../../src/core/compute/vast/vast-errors.js';
import { VAST_GAPS_MS } from '../../src/core/compute/vast/rate-gate.js';
import type { VastEndpoint } from '../../src/core/compute/vast/rate-gate.js';
import { silentLogger } from '../../src/logger.js';
import { VastFake, fakeOffer } from '../fakes/vast-fake.js';
import { FastClock } from './helpers/fast-clock.js';
import { captureLog } from './helpers/log-capture.js';

const API_KEY = 'vast-planted-key-0123456789abcdef';
const NO_GAPS: Record<VastEndpoint, number> = { search: 0, create: 0, show: 0, list: 0, destroy: 0, account: 0 };
let fake: VastFake | null = null;

afterEach(async () => {
  await fake?.stop();
  fake = null;
});

async function setup(options: { gaps?: Partial<Record<VastEndpoint, number>>; clientGaps?: Record<VastEndpoint, number>; logger?: ReturnType<typeof captureLog>['logger']; credit?: number } = {}) {
  const clock = new FastClock(200);
  fake = await new VastFake({ clock, apiKey: API_KEY, gaps: options.gaps ?? {}, createPenaltyMs: 12_000, ...(options.credit !== undefined ? { credit: options.credit } : {}) }).start();
  const client = new VastClient({ apiUrl: fake.url, apiKey: API_KEY, clock, logger: options.logger ?? silentLogger(), gaps: options.clientGaps ?? NO_GAPS, timeoutMs: 2_000 });
  return { clock, fake, client };
}

const createRequest = (label: string) => ({ image: 'ghcr.io/example/aseagi-worker:1', diskGb: 40, label, env: { OCR_ENGINE: 'none', '-p 8080:8080': '1' } });

describe('Vast client: the contract', () => {
  it('authenticates with a bearer header, never ?api_key=, and sends JSON filters with order and limit', async () => {
    const { fake, client } = await setup();
    fake.offers = [fakeOffer(1, { dph_total: 0.6 }), fakeOffer(2, { dph_total: 0.3, gpu_name: 'RTX 3090' }), fakeOffer(3, { dph_total: 0.45, gpu_ram: 12_000 })];
    const offers = await client.searchOffers({ gpu_ram: { gte: 16_000 }, order: [['dph_total', 'asc']], limit: 10 });
    expect(offers.map((o) => o.id)).toEqual([2, 1]);
    expect(offers[0]).toMatchObject({ gpu_name: 'RTX 3090', dph_total: 0.3, gpu_ram: 24_564 });
    const search = fake.http.requestsTo('POST', /bundles/)[0]!;
    expect(search.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(search.query).toBe('');
    expect(JSON.parse(search.body)).toMatchObject({ gpu_ram: { gte: 16_000 }, order: [['dph_total', 'asc']] });
    expect(fake.violations).toEqual([]);
  });

  it('creates, reads one instance ({"instances": …}), lists by label in pages, and destroys (404 = already gone)', async () => {
    const { fake, client } = await setup();
    fake.offers = [fakeOffer(11)];
    const id = await client.createInstance(11, createRequest('aseagi:s1:1'));
    const created = fake.createRequests[0]!.body;
    expect(created).toMatchObject({ client_id: 'me', image: 'ghcr.io/example/aseagi-worker:1', disk: 40, label: 'aseagi:s1:1', runtype: 'args' });
    expect(created).not.toHaveProperty('price');
    expect((await client.showInstance(id))?.label).toBe('aseagi:s1:1');
    expect(await client.showInstance(999)).toBeNull();
    for (let i = 0; i < 30; i += 1) fake.plant(`someone-else-${i}`);
    expect(await client.listInstances()).toHaveLength(31);
    expect(fake.http.requestsTo('GET', /^\/api\/v1\/instances\/$/).length).toBeGreaterThanOrEqual(2);
    expect((await client.findByLabel('aseagi:s1:1')).map((i) => i.id)).toEqual([id]);
    expect(await client.destroyInstance(id)).toBe('destroyed');
    expect(await client.destroyInstance(id)).toBe('already_gone');
    expect(fake.http.requestsTo('GET', /^\/api\/v0\/instances\/$/)).toHaveLength(0);
  });

  it('parses HostPort as a string and public_ipaddr with a trailing newline', async () => {
    const { fake, client, clock } = await setup();
    fake.offers = [fakeOffer(12)];
    const id = await client.createInstance(12, { ...createRequest('aseagi:s1:2'), env: { OCR_ENGINE: 'none', WORKER_TOKEN: 'tok-0123456789abcdef-xyz', '-p 8080:8080': '1' } });
    clock.advance(120_000);
    let instance = await client.showInstance(id);
    for (let i = 0; i < 100 && instance?.actual_status !== 'running'; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      instance = await client.showInstance(id);
    }
    expect(instance?.actual_status).toBe('running');
    expect(typeof instance?.ports?.['8080/tcp']?.[0]?.HostPort).toBe('string');
    expect(instance?.public_ipaddr).toBe('127.0.0.1\n');
  });

  it('codes refusals: a vanished offer (404 and 410 no_such_ask), insufficient credit, a bad key', async () => {
    const { fake, client } = await setup({ credit: 0.1 });
    fake.offers = [fakeOffer(21), fakeOffer(22), fakeOffer(23, { dph_total: 0.05 })];
    fake.vanishOnCreate(22, 410);
    await expect(client.createInstance(20, createRequest('a'))).rejects.toMatchObject({ code: 'vast_offer_gone', status: 404 });
    await expect(client.createInstance(22, createRequest('b'))).rejects.toMatchObject({ code: 'vast_offer_gone', status: 410 });
    await expect(client.createInstance(21, createRequest('c'))).rejects.toMatchObject({ code: 'vast_insufficient_credit' });
    const bad = new VastClient({ apiUrl: fake.url, apiKey: 'wrong-key-0000000000', clock: new FastClock(200), logger: silentLogger(), gaps: NO_GAPS });
    await expect(bad.credit()).rejects.toMatchObject({ code: 'vast_auth', status: 401 });
  });

  it('never repeats a create: a lost answer is ambiguous, a 429 is reported, each after exactly one request', async () => {
    const { fake, client } = await setup({ gaps: { create: 4_500 } });
    fake.offers = [fakeOffer(31), fakeOffer(32)];
    fake.loseNextCreateAnswer('bad_gateway');
    const lost = await client.createInstance(31, createRequest('aseagi:s2:1')).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(VastAmbiguousCreateError);
    expect(fake.live()).toHaveLength(1);
    const limited = await client.createInstance(32, createRequest('aseagi:s2:2')).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(VastApiError);
    expect((limited as VastApiError).code).toBe('vast_rate_limited');
    expect(fake.http.requestsTo('PUT', /\/asks\//)).toHaveLength(2);
  });

  it('treats a create that hangs as ambiguous once its timeout passes', async () => {
    const { fake, client } = await setup();
    fake.offers = [fakeOffer(33)];
    fake.loseNextCreateAnswer('hang');
    await expect(client.createInstance(33, createRequest('aseagi:s3:1'))).rejects.toBeInstanceOf(VastAmbiguousCreateError);
    expect((await client.findByLabel('aseagi:s3:1')).length).toBe(1);
  });
});

describe('Vast client: rate limits', () => {
  it('backs off per endpoint on 429 without Retry-After; other endpoints are not held up', async () => {
    // The client is told no gaps, so it runs into the server's: every call must still succeed.
    // A gap long enough that three concurrent calls cannot all land outside it, however loaded the machine.
    const { fake, client } = await setup({ gaps: { show: 5_000 } });
    fake.offers = [fakeOffer(41)];
    const id = await client.createInstance(41, createRequest('aseagi:s4:1'));
    const shows = Promise.all([1, 2, 3].map(() => client.showInstance(id)));
    await vi.waitFor(() => expect(fake.rateLimited.show).toBeGreaterThan(0), { timeout: 20_000, interval: 5 });
    const credit = await client.credit();
    expect((await shows).every((i) => i?.id === id)).toBe(true);
    expect(credit).toBe(100);
    expect(fake.rateLimited.account).toBe(0);
    const log = fake.http.requests;
    const limited = log.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((r) => r.path === `/api/v0/instances/${id}/` && r.fault === null)).toBe(true);
    // The account call went through while show was still backing off.
    const account = log.findIndex((r) => r.path === '/api/v0/users/current/');
    const lastShow = log.map((r) => r.path).lastIndexOf(`/api/v0/instances/${id}/`);
    expect(account).toBeLessThan(lastShow);
    expect(log[lastShow]!.status).toBe(200);
  });

  it("with Vast's documented gaps it is never rate limited", async () => {
    const { fake, client } = await setup({ gaps: VAST_GAPS_MS, clientGaps: { ...VAST_GAPS_MS } });
    fake.offers = [fakeOffer(51), fakeOffer(52), fakeOffer(53)];
    await client.searchOffers({});
    await client.searchOffers({});
    const ids = [await client.createInstance(51, createRequest('x1')), await client.createInstance(52, createRequest('x2'))];
    await Promise.all(ids.map((id) => client.showInstance(id)));
    await Promise.all(ids.map((id) => client.destroyInstance(id)));
    expect(Object.values(fake.rateLimited).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('gives up after too many 429s with a coded error', async () => {
    const { fake } = await setup();
    fake.http.inject({ kind: 'rate_limit', match: { path: /users\/current/ }, times: 10 });
    const client = new VastClient({ apiUrl: fake.url, apiKey: API_KEY, clock: new FastClock(1_000), logger: silentLogger(), gaps: NO_GAPS, maxRateLimitRetries: 2 });
    await expect(client.credit()).rejects.toMatchObject({ code: 'vast_rate_limited' });
    expect(fake.http.requestsTo('GET', /users\/current/)).toHaveLength(3);
  });
});

describe('Vast client: secrets', () => {
  it('reads only the credit from the account and never logs the api_key the body carries', async () => {
    const log = captureLog('debug');
    const { client, fake } = await setup({ logger: log.logger });
    expect(await client.credit()).toBe(100);
    fake.http.inject({ kind: 'status', status: 500, match: { path: /users\/current/ }, times: 10, body: { api_key: API_KEY, msg: 'boom' } });
    const failed = await client.credit().catch((e: unknown) => e as Error);
    expect(failed).toBeInstanceOf(Error);
    expect(String((failed as Error).message)).not.toContain(API_KEY);
    expect(log.text()).toContain('Vast.ai call');
    expect(log.text()).not.toContain(API_KEY);
  });
});
