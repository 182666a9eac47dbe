/**
 * One cell of the fault matrix on rented machines: the Vast harness (test/vast/helpers/vast-harness.ts: the REAL
 * provider against the fake Vast API, whose instances run REAL worker processes, a real engine on real SQLite, a fast
 * clock, tiny PDFs served by URL) with one machine at a time, slow-starting instances, and a short client request
 * timeout, so a hung call costs about a second.
 */
import type { VastSettings } from '../../../src/core/compute/vast/vast-settings.js';
import { fakeOffer } from '../../fakes/vast-fake.js';
import type { VastFakeOptions } from '../../fakes/vast-fake.js';
import { createVastHarness } from '../../vast/helpers/vast-harness.js';
import type { VastHarness } from '../../vast/helpers/vast-harness.js';

/** Real milliseconds a Vast.ai call may take before it counts as lost. */
export const VAST_CALL_TIMEOUT_MS = 1_000;

export interface VastCellOptions {
  documents?: number;
  settings?: Partial<VastSettings>;
  fake?: Partial<VastFakeOptions>;
}

export type VastCell = VastHarness;

export function createVastCell(options: VastCellOptions = {}): Promise<VastCell> {
  return createVastHarness({
    // 50× real time: fast enough for minutes of loading, slow enough that a busy machine's process start-up does
    // not look like a machine that never answers.
    speed: 50,
    documents: options.documents ?? 6,
    batchSize: 3,
    offers: [fakeOffer(101, { dph_total: 0.35 }), fakeOffer(102, { dph_total: 0.4 }), fakeOffer(103, { dph_total: 0.45 })],
    settings: { maxInstances: 1, loadingTimeoutMs: 60 * 60_000, workerStartTimeoutMs: 60 * 60_000, ...options.settings },
    fake: { defaultScript: { setupMs: 2_000, loadingMs: 20_000 }, ...options.fake },
    client: { timeoutMs: VAST_CALL_TIMEOUT_MS, maxReadRetries: 3 },
  });
}
