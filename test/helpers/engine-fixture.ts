/** A real engine on a real (temporary) SQLite database, with injectable adapters. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNoAnalyzer } from '../../src/core/analysis/none.js';
import { systemClock } from '../../src/core/clock.js';
import { Engine } from '../../src/core/engine/engine.js';
import type { Analyzer, ComputeProvider, DocumentSource, ResultSink } from '../../src/core/engine/ports.js';
import type { EngineSettings, SourceSpec } from '../../src/core/engine/types.js';
import { createSqliteSink } from '../../src/core/sinks/sqlite.js';
import { openDatabase } from '../../src/core/store/database.js';
import type { OpenedDatabase } from '../../src/core/store/database.js';
import { silentLogger } from '../../src/logger.js';
import { batchOptionsSchema } from '../../src/protocol/worker-protocol.js';
import type { EngineEvent } from '../../src/core/engine/events.js';

export function testSettings(overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    batchSize: 10,
    maxAttempts: 3,
    checkpointEvery: 10,
    flushEvery: 5,
    flushIntervalMs: 50,
    confirmationTtlMs: 600_000,
    retryPolicy: { baseMs: 5, maxMs: 20, jitter: 0.5 },
    batchOptions: batchOptionsSchema.parse({}),
    ...overrides,
  };
}

export interface EngineFixture {
  dir: string;
  dbPath: string;
  store: OpenedDatabase;
  engine: Engine;
  events: EngineEvent[];
  /** Closes the engine and the database; the directory stays until `cleanup`. */
  close(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface FixtureOptions {
  compute: ComputeProvider;
  source?: DocumentSource | ((spec: SourceSpec) => DocumentSource);
  sink?: (store: OpenedDatabase) => ResultSink;
  analyzer?: Analyzer;
  settings?: Partial<EngineSettings>;
  dir?: string;
}

export function createEngineFixture(options: FixtureOptions): EngineFixture {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'aseagi-engine-'));
  const dbPath = join(dir, 'test.db');
  const store = openDatabase(dbPath);
  const source = options.source;
  const engine = new Engine({
    db: store.db,
    openSource: (spec) => (typeof source === 'function' ? source(spec) : source ?? (() => { throw new Error('no source'); })()),
    compute: options.compute,
    sink: options.sink ? options.sink(store) : createSqliteSink(store.db),
    analyzer: options.analyzer ?? createNoAnalyzer(),
    clock: systemClock,
    logger: silentLogger(),
    settings: testSettings(options.settings),
  });
  engine.recover();
  const events: EngineEvent[] = [];
  engine.events.onAny((e) => events.push(e));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await engine.close();
    store.close();
  };
  return {
    dir,
    dbPath,
    store,
    engine,
    events,
    close,
    cleanup: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
