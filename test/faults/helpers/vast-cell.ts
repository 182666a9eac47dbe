/**
 * One cell of the fault matrix on rented machines: the REAL Vast provider (client, renter, pool, money checks)
 * against the fake Vast API, whose instances run REAL worker processes, a real engine on real SQLite, a fast
 * clock (minutes of loading and billing in fractions of a second), and a source of tiny PDFs. Like
 * test/vast/helpers/vast-harness.ts, plus the client's request timeout (a hung call costs about a second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNoAnalyzer } from '../../../src/core/analysis/none.js';
import { VAST_GAPS_MS } from '../../../src/core/compute/vast/rate-gate.js';
import { createVastCompute } from '../../../src/core/compute/vast/vast-provider.js';
import type { VastCompute } from '../../../src/core/compute/vast/vast-provider.js';
import type { VastSettings } from '../../../src/core/compute/vast/vast-settings.js';
import { Engine } from '../../../src/core/engine/engine.js';
import type { EngineEvent } from '../../../src/core/engine/events.js';
import { createSqliteSink } from '../../../src/core/sinks/sqlite.js';
import { openDatabase } from '../../../src/core/store/database.js';
import type { OpenedDatabase } from '../../../src/core/store/database.js';
import { batchOptionsSchema } from '../../../src/protocol/worker-protocol.js';
import { VastFake, fakeOffer } from '../../fakes/vast-fake.js';
import type { VastFakeOptions } from '../../fakes/vast-fake.js';
import { testSettings } from '../../helpers/engine-fixture.js';
import { FastClock } from '../../vast/helpers/fast-clock.js';
import { captureLog } from '../../vast/helpers/log-capture.js';
import type { CapturedLog } from '../../vast/helpers/log-capture.js';
import { VAST_KEY, createPdfSource, testVastSettings } from '../../vast/helpers/vast-harness.js';

/** Real milliseconds a Vast.ai call may take before it counts as lost. */
export const VAST_CALL_TIMEOUT_MS = 1_000;

export interface VastCellOptions {
  documents?: number;
  settings?: Partial<VastSettings>;
  fake?: Partial<VastFakeOptions>;
}

export interface VastCell {
  dir: string;
  clock: FastClock;
  fake: VastFake;
  compute: VastCompute;
  store: OpenedDatabase;
  engine: Engine;
  events: EngineEvent[];
  log: CapturedLog;
  /** The source key results are filed under. */
  sourceKey: string;
  planAndConfirm(maxTotalCostUsd: number): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createVastCell(options: VastCellOptions = {}): Promise<VastCell> {
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-vast-cell-'));
  // 50× real time: fast enough for minutes of loading, slow enough that a busy machine's process start-up does
  // not look like a machine that never answers.
  const clock = new FastClock(50);
  const log = captureLog('debug');
  const fake = await new VastFake({ clock, apiKey: VAST_KEY, gaps: VAST_GAPS_MS, createPenaltyMs: 12_000, defaultScript: { setupMs: 2_000, loadingMs: 20_000 }, ...options.fake }).start();
  fake.offers = [fakeOffer(101, { dph_total: 0.35 }), fakeOffer(102, { dph_total: 0.4 }), fakeOffer(103, { dph_total: 0.45 })];
  const store = openDatabase(join(dir, 'aseagi.db'));
  const compute = createVastCompute({
    settings: testVastSettings(fake.url, { maxInstances: 1, loadingTimeoutMs: 60 * 60_000, workerStartTimeoutMs: 60 * 60_000, ...options.settings }),
    db: store.db,
    clock,
    logger: log.logger,
    workerEnv: { OCR_ENGINE: 'none', OCR_LANGS: 'eng', LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '1', OCR_POOL_SIZE: '1' },
    secrets: [VAST_KEY],
    client: { timeoutMs: VAST_CALL_TIMEOUT_MS, maxReadRetries: 3 },
  });
  const docsDir = join(dir, 'docs');
  const source = await createPdfSource(docsDir, options.documents ?? 6);
  const engine = new Engine({
    db: store.db,
    openSource: () => source,
    compute,
    sink: createSqliteSink(store.db),
    analyzer: createNoAnalyzer(),
    clock,
    logger: log.logger,
    settings: testSettings({ batchSize: 3, batchOptions: batchOptionsSchema.parse({ ocr: { engine: 'none' } }) }),
  });
  engine.recover();
  const events: EngineEvent[] = [];
  engine.events.onAny((e) => events.push(e));
  return {
    dir,
    clock,
    fake,
    compute,
    store,
    engine,
    events,
    log,
    sourceKey: source.key,
    async planAndConfirm(maxTotalCostUsd) {
      const id = await engine.plan({ source: { kind: 'pdfs' }, requestedBy: 'faults' });
      const offers = await compute.findOffers({ limit: 10 });
      engine.confirm(id, { maxTotalCostUsd, offers: offers.map((o) => ({ id: o.id, pricePerHour: o.pricePerHour, label: o.label })), by: 'faults' });
      return id;
    },
    async cleanup() {
      await engine.close();
      await compute.close?.();
      await fake.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
