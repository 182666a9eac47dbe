/**
 * Everything a Vast.ai test needs: a fast clock, the fake Vast API (whose instances run real worker processes), the
 * real provider pointed at it, a real engine on real SQLite, a source of tiny PDFs, and a captured log.
 *
 * The source serves its PDFs over HTTP and hands workers `url` locations with a per-batch bearer header, as Google
 * Drive does: a rented worker shares no file system with us.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpFake } from '../../fakes/http-fake.js';
import { createNoAnalyzer } from '../../../src/core/analysis/none.js';
import { createVastCompute } from '../../../src/core/compute/vast/vast-provider.js';
import type { VastCompute } from '../../../src/core/compute/vast/vast-provider.js';
import type { VastSettings } from '../../../src/core/compute/vast/vast-settings.js';
import { VAST_GAPS_MS } from '../../../src/core/compute/vast/rate-gate.js';
import type { VastEndpoint } from '../../../src/core/compute/vast/rate-gate.js';
import { Engine } from '../../../src/core/engine/engine.js';
import type { EngineEvent } from '../../../src/core/engine/events.js';
import type { ComputeReport, ComputeSessionContext, Confirmation, DocumentSource, SourceDocument } from '../../../src/core/engine/ports.js';
import { createSqliteSink } from '../../../src/core/sinks/sqlite.js';
import { openDatabase } from '../../../src/core/store/database.js';
import type { OpenedDatabase } from '../../../src/core/store/database.js';
import { batchOptionsSchema } from '../../../src/protocol/worker-protocol.js';
import { testSettings } from '../../helpers/engine-fixture.js';
import { writeTinyPdfs } from '../../helpers/tiny-pdfs.js';
import { VastFake, fakeOffer } from '../../fakes/vast-fake.js';
import type { VastFakeOptions } from '../../fakes/vast-fake.js';
import { FastClock } from './fast-clock.js';
import { captureLog } from './log-capture.js';
import type { CapturedLog } from './log-capture.js';

export const VAST_KEY = 'vast-PLANTED-3f9a1c7e5b2d4a6c8e0f';
export const SUPABASE_KEY = 'eyJhbGciOiJIUzI1NiJ9.PLANTED-supabase-service-role';
export const CLAUDE_KEY = 'sk-ant-api03-PLANTED-claude-key-0123456789';

export function testVastSettings(url: string, overrides: Partial<VastSettings> = {}): VastSettings {
  return {
    apiUrl: url,
    apiKey: VAST_KEY,
    image: 'ghcr.io/example/aseagi-worker:test',
    maxInstances: 3,
    maxPricePerHour: 1,
    minGpuRamGb: 16,
    gpuNames: [],
    diskGb: 40,
    minReliability: 0.95,
    minDownloadMbps: 100,
    minCudaVersion: 12,
    loadingTimeoutMs: 20 * 60_000,
    workerStartTimeoutMs: 10 * 60_000,
    maxReplacements: 4,
    idleGraceMs: 120_000,
    creditReserveMinutes: 10,
    workerPort: 8080,
    ocrEngine: 'none',
    pollIntervalMs: 10_000,
    healthIntervalMs: 30_000,
    healthFailures: 3,
    creditCheckIntervalMs: 60_000,
    ...overrides,
  };
}

export interface HarnessOptions {
  speed?: number;
  documents?: number;
  batchSize?: number;
  offers?: Record<string, unknown>[];
  settings?: Partial<VastSettings>;
  fake?: Partial<VastFakeOptions>;
  /** Settings rented workers get (default: no OCR, one thread each: this machine has two cores). */
  workerEnv?: Record<string, string>;
  /** The gaps the client keeps (default Vast's documented ones, as the fake enforces). */
  clientGaps?: Record<VastEndpoint, number>;
  /** The client's request timeout and read retries (fault cells shorten a hung call). */
  client?: { timeoutMs?: number; maxReadRetries?: number };
}

export interface VastHarness {
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
  /** Plans the source and confirms a budget; returns the session id. */
  planAndConfirm(maxTotalCostUsd: number): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createVastHarness(options: HarnessOptions = {}): Promise<VastHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'aseagi-vast-'));
  const clock = new FastClock(options.speed ?? 50);
  const log = captureLog('debug');
  const fake = await new VastFake({ clock, apiKey: VAST_KEY, gaps: VAST_GAPS_MS, createPenaltyMs: 12_000, ...options.fake }).start();
  fake.offers = options.offers ?? [fakeOffer(101, { dph_total: 0.35 }), fakeOffer(102, { dph_total: 0.4 }), fakeOffer(103, { dph_total: 0.45 }), fakeOffer(104, { dph_total: 0.5 }), fakeOffer(105, { dph_total: 0.55 })];
  const store = openDatabase(join(dir, 'aseagi.db'));
  const compute = createVastCompute({
    settings: testVastSettings(fake.url, options.settings),
    db: store.db,
    clock,
    logger: log.logger,
    workerEnv: options.workerEnv ?? { OCR_ENGINE: 'none', OCR_LANGS: 'eng', LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '1', OCR_POOL_SIZE: '1' },
    secrets: [VAST_KEY, SUPABASE_KEY, CLAUDE_KEY],
    client: { ...(options.clientGaps ? { gaps: options.clientGaps } : {}), ...options.client },
  });
  const { source, stop: stopSource } = await createPdfSource(join(dir, 'docs'), options.documents ?? 12);
  const engine = new Engine({
    db: store.db,
    openSource: () => source,
    compute,
    sink: createSqliteSink(store.db),
    analyzer: createNoAnalyzer(),
    clock,
    logger: log.logger,
    settings: testSettings({ batchSize: options.batchSize ?? 4, batchOptions: batchOptionsSchema.parse({ ocr: { engine: 'none' } }) }),
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
      const id = await engine.plan({ source: { kind: 'pdfs' }, requestedBy: 'test' });
      // As the HTTP API does: every offer shown is confirmed at its price, so replacements may use any of them.
      const offers = await compute.findOffers({ limit: 10 });
      engine.confirm(id, { maxTotalCostUsd, offers: offers.map((o) => ({ id: o.id, pricePerHour: o.pricePerHour, label: o.label })), by: 'test' });
      return id;
    },
    async cleanup() {
      await engine.close();
      await compute.close?.();
      await fake.stop();
      await stopSource();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Tiny text PDFs served over HTTP; each batch gets its own short-lived bearer header, as Drive's access tokens. */
export async function createPdfSource(dir: string, count: number): Promise<{ source: DocumentSource; http: HttpFake; stop: () => Promise<void> }> {
  const names = await writeTinyPdfs(dir, count);
  const documents: SourceDocument[] = names.map((name) => ({ sourceId: name, name, mimeType: 'application/pdf', sizeBytes: 1_000, checksum: `v1:${name}`, modifiedAt: null }));
  const tokens = new Set<string>();
  const http = await new HttpFake('pdf-source')
    .on('GET', '/files/*', (request) => {
      if (!tokens.has(request.headers.authorization ?? '')) return { status: 401, body: { error: 'invalid token' } };
      return { body: readFileSync(join(dir, decodeURIComponent(request.path.slice('/files/'.length)))) };
    })
    .start();
  let batch = 0;
  const source: DocumentSource = {
    kind: 'pdfs',
    key: `pdfs:${dir}`,
    describe: () => `${count} test PDFs`,
    async *list() {
      yield* documents;
    },
    locate: (docs) => {
      batch += 1;
      const authorization = `Bearer batch-token-${batch}`;
      tokens.add(authorization);
      return Promise.resolve(docs.map((d) => ({ kind: 'url' as const, url: `${http.url}/files/${encodeURIComponent(d.sourceId)}`, headers: { authorization } })));
    },
  };
  return { source, http, stop: () => http.stop() };
}

/** A session context without an engine, for pool-level tests. */
export function poolContext(sessionId: string, overrides: { remainingBatches?: () => number; confirmation?: Partial<Confirmation> | null } = {}) {
  const reports: ComputeReport[] = [];
  const controller = new AbortController();
  const confirmation: Confirmation | null =
    overrides.confirmation === null ? null : { confirmedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER, maxTotalCostUsd: 100, offers: [], by: 'test', ...overrides.confirmation };
  const context: ComputeSessionContext = {
    sessionId,
    confirmation,
    remainingBatches: overrides.remainingBatches ?? (() => 10),
    previousWorkers: 0,
    report: (r) => reports.push(r),
    signal: controller.signal,
  };
  return { context, reports, controller };
}
