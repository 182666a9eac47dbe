/**
 * Seconds per document, offer ranking and per-offer estimates: pure functions, table-driven, plus one check that
 * the provider ranks real offers from the fake by $/document with what this installation measured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rankOffers, toComputeOffer } from '../../src/core/compute/vast/offers.js';
import { MIN_CALIBRATION_DOCUMENTS, PRIORS, profileFromCalibration, throughputFor } from '../../src/core/compute/vast/throughput.js';
import type { DocumentProfile } from '../../src/core/compute/vast/throughput.js';
import { estimateForOffers } from '../../src/core/engine/offer-estimate.js';
import { DRIVE_BYTES_PER_DAY } from '../../src/core/sources/drive/drive-source.js';
import { vastOfferSchema } from '../../src/core/compute/vast/vast-schemas.js';
import { recordCalibrationSample } from '../../src/core/store/calibration.js';
import type { CalibrationRow } from '../../src/core/store/calibration.js';
import { fakeOffer } from '../fakes/vast-fake.js';
import { createVastHarness } from './helpers/vast-harness.js';
import type { VastHarness } from './helpers/vast-harness.js';

const row = (gpu: string, engine: string, documents: number, busySeconds: number, pages = documents * 4, ocrPages = documents): CalibrationRow => ({
  compute_kind: 'vast', gpu_name: gpu, ocr_engine: engine, batches: 1, documents, pages, ocr_pages: ocrPages, bytes: documents * 2_000_000, busy_ms: busySeconds * 1000, updated_at: 0,
});
const profile: DocumentProfile = { pagesPerDocument: 10, ocrShare: 0.5, bytesPerDocument: 100_000_000, basis: 'sample of 20' };

describe('seconds per document', () => {
  it.each([
    { name: 'measured on this GPU and engine', gpu: 'RTX 4090', engine: 'vlm', rows: [row('RTX 4090', 'vlm', 100, 250)], profile: null, seconds: 2.5, basis: /^measured: 2\.50 s\/document over 100 documents on RTX 4090/ },
    { name: 'too few measured: prior', gpu: 'RTX 4090', engine: 'vlm', rows: [row('RTX 4090', 'vlm', MIN_CALIBRATION_DOCUMENTS - 1, 10)], profile: null, seconds: PRIORS.seedSecondsPerDocument, basis: /^prior: the seed's 4\.5/ },
    { name: 'measured on another GPU', gpu: 'A100 SXM4', engine: 'vlm', rows: [row('RTX 4090', 'vlm', 40, 120), row('L40S', 'vlm', 60, 120)], profile: null, seconds: 2.4, basis: /measured on RTX 4090, L40S \(100 documents, OCR vlm\), not yet on A100 SXM4/ },
    { name: 'other engine measured: prior', gpu: 'RTX 4090', engine: 'tesseract', rows: [row('RTX 4090', 'vlm', 100, 250)], profile: null, seconds: 4.5, basis: /seed/ },
    { name: 'olmOCR prior from a profile', gpu: 'RTX 4090', engine: 'vlm', rows: [], profile, seconds: 5 / 1.25 + (5 * 0.05) / 8, basis: /olmOCR ≈ 1\.25 pages\/s \(Ada-class GPU figure\), 10\.0 pages\/document with 50% needing OCR/ },
    { name: 'olmOCR prior on a non-Ada GPU says so', gpu: 'RTX 3090', engine: 'vlm', rows: [], profile, seconds: 5 / 1.25 + (5 * 0.05) / 8, basis: /RTX 3090 may differ/ },
    { name: 'tesseract prior per core', gpu: 'RTX 4090', engine: 'tesseract', rows: [], profile, seconds: 5 / (0.4 * 8) + (5 * 0.05) / 8, basis: /tesseract ≈ 0\.4 pages\/s per core × 8 cores/ },
    { name: 'no OCR engine: seed', gpu: 'RTX 4090', engine: 'none', rows: [], profile, seconds: 4.5, basis: /seed/ },
  ])('$name', ({ gpu, engine, rows, profile, seconds, basis }) => {
    const result = throughputFor({ gpuName: gpu, ocrEngine: engine, cpuCores: null, calibration: rows, profile });
    expect(result.secondsPerDocument).toBeCloseTo(seconds, 6);
    expect(result.basis).toMatch(basis);
  });

  it('learns the collection profile from what was processed', () => {
    expect(profileFromCalibration([row('RTX 4090', 'vlm', 10, 10)])).toBeNull();
    expect(profileFromCalibration([row('RTX 4090', 'vlm', 30, 60, 120, 30), row('L4', 'none', 10, 5, 40, 0)])).toEqual({ pagesPerDocument: 4, ocrShare: 30 / 160, bytesPerDocument: 2_000_000, basis: 'measured over 40 documents' });
  });
});

describe('ranking offers by $/document', () => {
  const offer = (id: number, fields: Record<string, unknown>) => vastOfferSchema.parse(fakeOffer(id, fields));

  it('prefers a faster machine that costs more per hour when it is cheaper per document', () => {
    const calibration = [row('RTX 4090', 'vlm', 100, 200), row('RTX 3090', 'vlm', 100, 600)];
    const context = { ocrEngine: 'vlm', calibration, profile: null };
    const ranked = rankOffers([offer(1, { gpu_name: 'RTX 3090', dph_total: 0.25 }), offer(2, { gpu_name: 'RTX 4090', dph_total: 0.4 })].map((o) => toComputeOffer(o, context)));
    expect(ranked.map((o) => o.id)).toEqual(['2', '1']);
    expect(ranked[0]).toMatchObject({ secondsPerDocument: 2, costPerDocument: (0.4 * 2) / 3600, label: 'RTX 4090 · 24 GB · Quebec, CA' });
  });

  it('slows a machine to its download pipe and discounts unreliable ones', () => {
    const context = { ocrEngine: 'vlm', calibration: [row('RTX 4090', 'vlm', 100, 200)], profile };
    const thin = toComputeOffer(offer(3, { inet_down: 100 }), context);
    expect(thin.secondsPerDocument).toBeCloseTo(100_000_000 / (100 * 125_000), 6);
    expect(thin.computeSecondsPerDocument).toBe(2);
    expect(thin.basis).toMatch(/bounded by download \(100 Mb\/s\)/);
    const flaky = toComputeOffer(offer(4, { reliability: 0.6, inet_down: 2_000 }), context);
    const solid = toComputeOffer(offer(5, { reliability: 0.999, inet_down: 2_000, dph_total: 0.55 }), context);
    expect(rankOffers([flaky, solid]).map((o) => o.id)).toEqual(['5', '4']);
  });
});

describe('per-offer estimates', () => {
  const context = { ocrEngine: 'vlm', calibration: [row('RTX 4090', 'vlm', 100, 360)], profile: null };
  const offers = [vastOfferSchema.parse(fakeOffer(9, { dph_total: 0.5, inet_down: 1_000 }))].map((o) => toComputeOffer(o, context));

  it.each([
    { name: 'GPU time bounds a small job', documents: 10_000, bytes: 10_000 * 1_000_000, instances: 2, perDay: null, bound: 'gpu_time', hours: 10, wall: 5 },
    { name: 'the Drive quota bounds 7 TB', documents: 70_000, bytes: 7e12, instances: 10, perDay: DRIVE_BYTES_PER_DAY, bound: 'source_quota', hours: 1680, wall: 168 },
    { name: 'bandwidth bounds big files', documents: 1_000, bytes: 1_000 * 2e9, instances: 1, perDay: null, bound: 'download_bandwidth', hours: 4.44, wall: 4.44 },
  ])('$name', ({ documents, bytes, instances, perDay, bound, hours, wall }) => {
    const [result] = estimateForOffers({ documents, totalBytes: bytes, batchSize: 100, instances, analysisCostPerDocument: 0.002, sourceBytesPerDay: perDay }, offers);
    expect(result).toMatchObject({ offerId: '9', boundedBy: bound, instances, secondsPerDocument: 3.6 });
    expect(result!.hours).toBeCloseTo(hours, 1);
    expect(result!.wallClockHours).toBeCloseTo(wall, 1);
    expect(result!.gpuUsd).toBeCloseTo(hours * 0.5, 0);
    expect(result!.analysisUsd).toBeCloseTo(documents * 0.002, 2);
    expect(result!.totalUsd).toBeCloseTo(result!.gpuUsd + result!.analysisUsd, 2);
  });
});

describe('the provider’s offers', () => {
  let harness: VastHarness | null = null;
  afterEach(async () => {
    await harness?.cleanup();
    harness = null;
  });

  it('filters what the server did not (rented, thin pipes, small GPUs) and ranks by measured $/document', async () => {
    harness = await createVastHarness({
      offers: [
        fakeOffer(1, { gpu_name: 'RTX 3090', dph_total: 0.2 }),
        fakeOffer(2, { gpu_name: 'RTX 4090', dph_total: 0.35 }),
        fakeOffer(3, { gpu_name: 'RTX 4090', dph_total: 0.3, inet_down: 20 }),
        fakeOffer(4, { gpu_name: 'RTX 3060', dph_total: 0.05, gpu_ram: 12_288 }),
        fakeOffer(5, { gpu_name: 'RTX 4090', dph_total: 0.31 }),
      ],
    });
    harness.fake.plant('someone-else');
    const renter = await harness.compute.client.createInstance(5, { image: 'x', diskGb: 40, label: 'other-user', env: {} });
    expect(renter).toBeGreaterThan(0);
    for (const [gpu, seconds] of [['RTX 4090', 100], ['RTX 3090', 400]] as const) {
      recordCalibrationSample(harness.store.db, { computeKind: 'vast', gpuName: gpu, ocrEngine: 'none', documents: 50, pages: 50, ocrPages: 0, bytes: 50_000, busyMs: seconds * 1000, now: 0 });
    }
    const offers = await harness.compute.findOffers({ limit: 5 });
    expect(offers.map((o) => o.id)).toEqual(['2', '1']);
    expect(offers[0]!.basis).toMatch(/^measured: 2\.00 s\/document over 50 documents on RTX 4090/);
  });
});
