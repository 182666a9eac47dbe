/**
 * Google Drive as a document source. Listing streams Drive's pages straight into the engine; ids are Drive file
 * ids (global, so the source key is just `gdrive`); the checksum is Drive's md5 (binary files), else the head
 * revision, else — for Google Docs — the modification time. Workers download over HTTPS with a short-lived
 * read-only access token minted per batch; Google Docs are exported to PDF.
 */
import type { OAuth2Client } from 'google-auth-library';
import type { DocumentLocation } from '../../../protocol/worker-protocol.js';
import type { DocumentSource, ListOptions, SourceDocument } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { mintAccessToken } from './drive-auth.js';
import { DriveClient } from './drive-api.js';
import type { DriveCallCounts, DriveClientOptions, DriveFile } from './drive-api.js';
import { GOOGLE_DOC_MIME, describeDriveSpec } from './drive-spec.js';
import type { ResolvedDriveSpec } from './drive-spec.js';
import { DriveWalker } from './drive-walker.js';
import type { WalkStats } from './drive-walker.js';

export const DRIVE_SOURCE_KEY = 'gdrive';

export interface DriveSourceOptions {
  spec: ResolvedDriveSpec;
  auth: OAuth2Client;
  logger: EngineLogger;
  rootUrl?: string | undefined;
  timeoutMs?: number | undefined;
  /** Retry tuning (tests shorten the waits). */
  retry?: Pick<DriveClientOptions, 'attempts' | 'retryPolicy' | 'sleep'>;
}

/** The source, plus what listing cost (for benchmarks and tests). */
export interface DriveSource extends DocumentSource {
  readonly kind: 'gdrive';
  readonly calls: DriveCallCounts;
  readonly walkStats: WalkStats | null;
}

/** Google Drive lets one project download about 1 TB a day before charging egress. */
export const DRIVE_BYTES_PER_DAY = 1e12;

export function createDriveSource(options: DriveSourceOptions): DriveSource {
  const client = new DriveClient({ auth: options.auth, rootUrl: options.rootUrl, timeoutMs: options.timeoutMs, logger: options.logger, ...options.retry });
  const log = options.logger.child({ source: 'gdrive' });
  let walkStats: WalkStats | null = null;

  return {
    kind: 'gdrive',
    key: DRIVE_SOURCE_KEY,
    dailyDownloadBytes: DRIVE_BYTES_PER_DAY,
    calls: client.counts,
    get walkStats() {
      return walkStats;
    },
    describe: () => describeDriveSpec(options.spec),
    async *list(listOptions: ListOptions): AsyncIterable<SourceDocument> {
      const walker = new DriveWalker(client, options.spec, log, listOptions.signal);
      walkStats = walker.stats;
      let listed = 0;
      let lastPages = 0;
      for await (const { file, path } of walker.walk()) {
        yield toSourceDocument(file, path);
        listed += 1;
        if (walker.stats.pages !== lastPages) {
          lastPages = walker.stats.pages;
          listOptions.onProgress?.(listed);
        }
        if (listOptions.maxDocuments != null && listed >= listOptions.maxDocuments) break;
      }
      log.info({ listed, ...walker.stats, calls: client.counts }, 'Drive listing finished');
    },
    async locate(documents): Promise<DocumentLocation[]> {
      // One token per batch: short-lived, read-only, and useless once it expires.
      const token = await mintAccessToken(options.auth);
      const headers = { authorization: `Bearer ${token}` };
      return documents.map((doc) => ({ kind: 'url' as const, url: downloadUrl(client.rootUrl, doc), headers }));
    },
  };
}

export function toSourceDocument(file: DriveFile, path: string): SourceDocument {
  return {
    sourceId: file.id!,
    name: path,
    mimeType: file.mimeType ?? 'application/octet-stream',
    sizeBytes: file.size != null ? Number(file.size) : null,
    checksum: checksumOf(file),
    modifiedAt: file.modifiedTime ?? null,
  };
}

/** Same id and same checksum as a completed result ⇒ nothing to do. */
export function checksumOf(file: DriveFile): string | null {
  if (file.md5Checksum) return `md5:${file.md5Checksum}`;
  if (file.headRevisionId) return `rev:${file.headRevisionId}`;
  // Google Docs have neither; their modification time changes with every edit.
  if (file.modifiedTime) return `modified:${file.modifiedTime}`;
  return null;
}

/** Binary files download as they are; Google Docs are exported to PDF. */
export function downloadUrl(rootUrl: string, doc: SourceDocument): string {
  const id = encodeURIComponent(doc.sourceId);
  if (doc.mimeType === GOOGLE_DOC_MIME) return `${rootUrl}drive/v3/files/${id}/export?mimeType=application%2Fpdf`;
  return `${rootUrl}drive/v3/files/${id}?alt=media&supportsAllDrives=true`;
}
