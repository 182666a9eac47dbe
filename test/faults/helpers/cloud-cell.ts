/**
 * One cell of the fault matrix on the cloud data path: the REAL Drive source (googleapis client, OAuth refresh
 * against the fake's token endpoint), REAL worker programs fetching over HTTP (in-process, see
 * in-process-workers.ts), the REAL Supabase sink (supabase-js → PostgREST on PGlite) plus the local SQLite index,
 * and the REAL Claude analyzer (Anthropic SDK, Message Batches) — each adapter with test-sized retries and timeouts.
 * The fakes and the workers live for a whole test file; every cell gets its own Drive folder, engine and SQLite
 * database.
 */
import type { OAuth2Client } from 'google-auth-library';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createClaudeAnalyzer } from '../../../src/core/analysis/claude/claude-analyzer.js';
import { createKvBatchLedger } from '../../../src/core/analysis/claude/kv-ledger.js';
import type { Analyzer } from '../../../src/core/engine/ports.js';
import type { SessionView } from '../../../src/core/engine/types.js';
import { createSqliteSink } from '../../../src/core/sinks/sqlite.js';
import { JOURNAL_MIGRATION } from '../../../src/core/sinks/supabase/journal-rows.js';
import { createSupabaseSink } from '../../../src/core/sinks/supabase/supabase-sink.js';
import { createDriveSource } from '../../../src/core/sources/drive/drive-source.js';
import { isDriveSpec, resolveDriveSpec } from '../../../src/core/sources/drive/drive-spec.js';
import { silentLogger } from '../../../src/logger.js';
import { AnthropicFake } from '../../fakes/anthropic-fake.js';
import { DriveFake } from '../../fakes/drive-fake.js';
import { SERVICE_KEY, SupabaseFake } from '../../fakes/supabase-fake.js';
import { fakeDriveAuth } from '../../cloud/drive-helpers.js';
import { createEngineFixture } from '../../helpers/engine-fixture.js';
import type { EngineFixture } from '../../helpers/engine-fixture.js';
import { tinyPdf } from '../../helpers/tiny-pdfs.js';
import { createInProcessCompute } from './in-process-workers.js';
import type { InProcessCompute } from './in-process-workers.js';

export const CELL_CLAUDE_KEY = 'sk-ant-faults-0123456789abcdef';

/** Per-request limits of the adapters in a cell: a hang costs this, then the request is retried. */
export const CELL_TIMEOUT_MS = 600;

export interface CloudFakes {
  drive: DriveFake;
  supabase: SupabaseFake;
  claude: AnthropicFake;
  /** Worker programs, warm across the file's cells. */
  compute: InProcessCompute;
  /** Drive folders made so far, to give each cell its own. */
  folders: number;
}

export async function startCloudFakes(): Promise<CloudFakes> {
  const [drive, supabase, claude] = await Promise.all([
    new DriveFake().start(),
    new SupabaseFake().start([JOURNAL_MIGRATION]),
    new AnthropicFake({ apiKey: CELL_CLAUDE_KEY, pollsUntilEnded: 1 }).start(),
  ]);
  return { drive, supabase, claude, compute: createInProcessCompute({ workers: 2, idleTimeoutMs: CELL_TIMEOUT_MS }), folders: 0 };
}

export async function stopCloudFakes(fakes: CloudFakes | undefined): Promise<void> {
  if (!fakes) return;
  await fakes.compute.close?.();
  await Promise.allSettled([fakes.drive.stop(), fakes.supabase.stop(), fakes.claude.stop()]);
}

export interface CloudCellOptions {
  documents?: number;
  budgetUsd?: number;
  /** Claude analysis on (default) or off. */
  analysis?: boolean;
  /** The engine's download-outage threshold (documents in a row), when a test needs a small one. */
  fetchOutageAfter?: number;
}

export interface CloudCell {
  fakes: CloudFakes;
  fixture: EngineFixture;
  compute: InProcessCompute;
  /** The orchestrator's Google credentials (a test can make its access token look nearly expired). */
  auth: OAuth2Client;
  folderId: string;
  /** Drive ids of the cell's files, in listing order. */
  fileIds: string[];
  budgetUsd: number;
  plan(): Promise<string>;
  run(sessionId: string): Promise<SessionView>;
  cleanup(): Promise<void>;
}

const FAST_RETRY = { baseMs: 5, maxMs: 20, jitter: 0.5 };

function analyzerFor(fakes: CloudFakes, fixture: () => EngineFixture): Analyzer {
  let analyzer: Analyzer | null = null;
  const real = (): Analyzer =>
    (analyzer ??= createClaudeAnalyzer({
      apiKey: CELL_CLAUDE_KEY,
      baseURL: fakes.claude.url,
      model: 'claude-sonnet-4-6',
      mode: 'batch',
      maxInputTokens: 4_000,
      maxOutputTokens: 1_024,
      logger: silentLogger(),
      pollIntervalMs: 5,
      maxRetries: 2,
      timeoutMs: CELL_TIMEOUT_MS,
      ledger: createKvBatchLedger(fixture().store.db),
    }));
  // The ledger needs the fixture's database, which exists only once the fixture does.
  return {
    kind: 'claude',
    enabled: true,
    concurrency: 4,
    estimateCostPerDocument: (chars) => real().estimateCostPerDocument(chars),
    analyze: (inputs, signal) => real().analyze(inputs, signal),
  };
}

export async function createCloudCell(fakes: CloudFakes, options: CloudCellOptions = {}): Promise<CloudCell> {
  const { drive, supabase } = fakes;
  fakes.folders += 1;
  const folderId = drive.addFolder(`Cell ${fakes.folders}`, drive.rootId);
  const fileIds: string[] = [];
  for (let i = 1; i <= (options.documents ?? 8); i += 1) {
    fileIds.push(drive.addFile(`cell${fakes.folders}-${i}.pdf`, folderId, Buffer.from(await tinyPdf(`Minute order cell ${fakes.folders} number ${i}`))));
  }
  const auth = fakeDriveAuth(drive);
  const { compute } = fakes;
  let fixture: EngineFixture | null = null;
  const budgetUsd = options.budgetUsd ?? 1;
  fixture = createEngineFixture({
    compute,
    source: (spec) => {
      if (!isDriveSpec(spec)) throw new Error(`unexpected source ${spec.kind}`);
      return createDriveSource({
        spec: resolveDriveSpec(spec, { folderId: null, driveId: null, mimeTypes: ['application/pdf'], includeGoogleDocs: false }),
        auth,
        logger: silentLogger(),
        rootUrl: drive.rootUrl,
        timeoutMs: CELL_TIMEOUT_MS,
        retry: { attempts: 4, retryPolicy: FAST_RETRY },
      });
    },
    sink: (store) => {
      const external = createSupabaseSink({ url: supabase.url, key: SERVICE_KEY, logger: silentLogger(), analysisEnabled: options.analysis !== false, timeoutMs: CELL_TIMEOUT_MS, attempts: 4, retryPolicy: FAST_RETRY });
      return { kind: 'supabase', write: external.write, writeAnalysis: external.writeAnalysis, writeInTransaction: createSqliteSink(store.db).writeInTransaction, close: external.close };
    },
    ...(options.analysis === false ? {} : { analyzer: analyzerFor(fakes, () => fixture!) }),
    settings: { batchSize: 4, flushEvery: 2, maxAttempts: 3, retryPolicy: FAST_RETRY, ...(options.fetchOutageAfter ? { fetchOutageAfter: options.fetchOutageAfter } : {}) },
  });
  const ready = fixture;
  return {
    fakes,
    fixture: ready,
    compute,
    auth,
    folderId,
    fileIds,
    budgetUsd,
    plan: () => ready.engine.plan({ source: { kind: 'gdrive', folderId }, budgetUsd, requestedBy: 'faults' }),
    run: (sessionId) => ready.engine.run(sessionId),
    cleanup: () => ready.cleanup(),
  };
}

export interface CloudSuite {
  /** The file's fakes (started before its first test). */
  readonly fakes: CloudFakes;
  /** A new cell for this test; it is cleaned up after the test. */
  cell(options?: CloudCellOptions): Promise<CloudCell>;
}

/**
 * The cloud fakes for one test file: started once, stopped at the end; after each test every injected fault is
 * cleared and the test's cell cleaned up, so a failed cell cannot leak into the next.
 */
export function useCloudFakes(): CloudSuite {
  let fakes: CloudFakes | undefined;
  let cell: CloudCell | null = null;
  beforeAll(async () => {
    fakes = await startCloudFakes();
  });
  afterEach(async () => {
    for (const service of [fakes?.drive, fakes?.supabase, fakes?.claude]) service?.http.clearFaults();
    await cell?.cleanup();
    cell = null;
  });
  afterAll(async () => {
    await stopCloudFakes(fakes);
  });
  const started = (): CloudFakes => {
    if (!fakes) throw new Error('the cloud fakes are started in beforeAll');
    return fakes;
  };
  return {
    get fakes() {
      return started();
    },
    async cell(options) {
      cell = await createCloudCell(started(), options);
      return cell;
    },
  };
}

/** What a cloud cell's session must end with. */
export interface CellOutcome {
  done: number;
  failed?: number;
  skipped?: number;
}
