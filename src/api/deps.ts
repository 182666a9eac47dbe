/**
 * What the HTTP API needs from the application, as one object its routes receive. Built from the {@link App} in
 * the service (see service.ts); tests build it from an app with in-test adapters.
 */
import { driveConfigured } from '../core/sources/drive/drive-config.js';
import { resolve } from 'node:path';
import type { Engine } from '../core/engine/engine.js';
import type { Analyzer, ComputeProvider, DocumentSource } from '../core/engine/ports.js';
import type { EngineLogger, SourceSpec } from '../core/engine/types.js';
import type { Database } from '../core/store/database.js';
import type { App } from '../main.js';

/** Google Drive as the API uses it: the spec the engine's source resolver opens, and listing for previews. */
export interface DriveAccess {
  /** The source spec for a folder; null = the configured default (DRIVE_FOLDER_ID, else My Drive). */
  spec(folderId: string | null): SourceSpec;
  open(folderId: string | null): DocumentSource;
}

export interface ApiSettings {
  /** Default documents per batch (BATCH_SIZE). */
  batchSize: number;
  /** Where a start without a folder reads from (INBOX_DIR). */
  inboxDir: string;
  /** Workers the local provider runs (LOCAL_WORKERS), for estimates. */
  localWorkers: number;
  version: string;
}

export interface ApiDeps {
  engine: Engine;
  db: Database;
  compute: ComputeProvider;
  analyzer: Analyzer;
  logger: EngineLogger;
  settings: ApiSettings;
  /** Null when Google Drive is not configured: Drive endpoints answer 503 and folders are local paths. */
  drive: DriveAccess | null;
  /** The app's source resolver (quotes read a source's daily download quota). */
  openSource?: ((spec: SourceSpec) => DocumentSource) | undefined;
}

/** The spec the Drive source adapter reads (src/core/sources/drive); null folder = its configured default. */
export function driveSpec(folderId: string | null): SourceSpec {
  return { kind: 'gdrive', folderId };
}

export function apiDepsFromApp(app: App, version: string): ApiDeps {
  const { env } = app;
  const { openSource } = app;
  const drive: DriveAccess | null = driveConfigured(env) ? { spec: driveSpec, open: (folderId) => openSource(driveSpec(folderId)) } : null;
  return {
    engine: app.engine,
    db: app.store.db,
    compute: app.compute,
    analyzer: app.analyzer,
    logger: app.logger,
    settings: { batchSize: env.BATCH_SIZE, inboxDir: resolve(env.INBOX_DIR), localWorkers: env.LOCAL_WORKERS, version },
    drive,
    openSource,
  };
}
