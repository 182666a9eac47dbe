/**
 * What the HTTP API needs from the application, as one object its routes receive. Built from the {@link App} in
 * the service (see service.ts); tests build it from an app with in-test adapters.
 */
import { resolve } from 'node:path';
import type { Env } from '../config.js';
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
  /** Why `drive` is null although credentials are set (shown in the 503), if that is the case. */
  driveUnavailable?: string | undefined;
}

/**
 * Drive is configured when credentials are: a service account key, or an OAuth client authorised with
 * `aseagi auth google` (GOOGLE_OAUTH_CLIENT, read loosely: the Drive adapter owns that variable).
 */
export function driveConfigured(env: Env): boolean {
  const oauthClient = (env as Record<string, unknown>).GOOGLE_OAUTH_CLIENT;
  return env.GOOGLE_APPLICATION_CREDENTIALS !== undefined || (typeof oauthClient === 'string' && oauthClient !== '');
}

/** The spec the Drive source adapter reads (src/core/sources/drive); null folder = its configured default. */
export function driveSpec(folderId: string | null): SourceSpec {
  return { kind: 'gdrive', folderId };
}

/**
 * An app may expose the source resolver it gave the engine (`openSource`); the API lists Drive folders through
 * it, so previews and sessions read Drive the same way.
 */
type AppWithSources = App & { openSource?: (spec: SourceSpec) => DocumentSource };

export function apiDepsFromApp(app: App, version: string): ApiDeps {
  const { env } = app;
  const openSource = (app as AppWithSources).openSource;
  const drive: DriveAccess | null =
    driveConfigured(env) && openSource
      ? { spec: driveSpec, open: (folderId) => openSource(driveSpec(folderId)) }
      : null;
  const driveUnavailable =
    driveConfigured(env) && !openSource ? 'Google Drive credentials are set, but this build does not read Drive folders yet (the app exposes no source resolver).' : undefined;
  return {
    engine: app.engine,
    db: app.store.db,
    compute: app.compute,
    analyzer: app.analyzer,
    logger: app.logger,
    settings: { batchSize: env.BATCH_SIZE, inboxDir: resolve(env.INBOX_DIR), localWorkers: env.LOCAL_WORKERS, version },
    drive,
    driveUnavailable,
  };
}
