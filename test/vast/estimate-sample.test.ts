/**
 * `aseagi estimate --sample N`: a random sample goes through a real local worker to learn the collection's profile,
 * then the folder is projected onto rented GPUs — with Vast.ai's offers when a key is configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Reservoir } from '../../src/cli/estimate-sample.js';
import { estimateFolder } from '../../src/cli/estimate.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { writeTinyPdfs } from '../helpers/tiny-pdfs.js';
import { VastFake, fakeOffer } from '../fakes/vast-fake.js';
import { FastClock } from './helpers/fast-clock.js';
import { VAST_KEY } from './helpers/vast-harness.js';

let dir: string | null = null;
let fake: VastFake | null = null;

afterEach(async () => {
  await fake?.stop();
  fake = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('estimate --sample', () => {
  it('picks a uniform random sample while the listing streams by', () => {
    const counts = new Array<number>(10).fill(0);
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 2_000; round += 1) {
      const reservoir = new Reservoir<number>(3, random);
      for (let i = 0; i < 10; i += 1) reservoir.offer(i);
      expect(new Set(reservoir.items).size).toBe(3);
      for (const item of reservoir.items) counts[item]! += 1;
    }
    // Each of 10 items is picked 3/10 of the time: 600 of 2,000 rounds, give or take.
    for (const count of counts) {
      expect(count).toBeGreaterThan(480);
      expect(count).toBeLessThan(720);
    }
  });

  it('learns pages and OCR share from a sample processed here and keeps the plain estimate lines', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aseagi-estimate-'));
    await writeTinyPdfs(join(dir, 'docs'), 6);
    const env = loadConfig({ env: { OCR_ENGINE: 'none' }, dotenvPath: false });
    const result = await estimateFolder(join(dir, 'docs'), { env, logger: silentLogger(), dbPath: join(dir, 'none.db'), costPerHour: 0, workers: 2, sample: 3 });
    const lines = result.text.split('\n');
    expect(lines[0]).toMatch(/: 6 documents, /);
    expect(lines[1]).toMatch(/^With 2 workers: about .* measured on a sample of 3 documents here/);
    expect(lines[2]).toBe('Cost: $0.00 on this machine.');
    expect(lines[3]).toMatch(/^Sample of 3 documents: 1\.0 pages\/document, 0% of pages need OCR/);
    expect(lines[4]).toMatch(/^On a rented GPU: about 4\.50 s\/document \(prior: the seed's 4\.5 s\/document/);
    expect(result.estimate.sample).toMatchObject({ sample: { documents: 3, failed: 0, pages: 3, ocrPages: 0 }, offers: [], offersError: null });
    expect(result.estimate.sample!.sample.localSecondsPerDocument).toBeGreaterThan(0);
  });

  it('prices the folder on the best Vast.ai offers when a key is configured', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aseagi-estimate-'));
    await writeTinyPdfs(join(dir, 'docs'), 4);
    fake = await new VastFake({ clock: new FastClock(1), apiKey: VAST_KEY }).start();
    fake.offers = [fakeOffer(1, { dph_total: 0.5 }), fakeOffer(2, { dph_total: 0.3, geolocation: 'Oslo, NO' })];
    const env = loadConfig({ env: { OCR_ENGINE: 'none', VAST_AI_API_KEY: VAST_KEY, VAST_API_URL: fake.url, VAST_MAX_INSTANCES: '3' }, dotenvPath: false });
    const result = await estimateFolder(join(dir, 'docs'), { env, logger: silentLogger(), dbPath: join(dir, 'none.db'), costPerHour: 0, workers: 1, sample: 2 });
    const offers = result.estimate.sample!.offers;
    expect(offers.map((o) => o.offerId)).toEqual(['2', '1']);
    expect(offers[0]).toMatchObject({ instances: 3, boundedBy: 'gpu_time', label: 'RTX 4090 · 24 GB · Oslo, NO' });
    expect(result.text).toMatch(/RTX 4090 · 24 GB · Oslo, NO at \$0\.30\/h × 3: \$/);
    expect(JSON.stringify(result)).not.toContain(VAST_KEY);
  });
});
