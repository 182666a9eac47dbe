/**
 * Planning: stream a source's listing into SQLite in transactions, mark what is already done, cut batches.
 * Re-running it after a crash mid-listing adds only what is missing (inserts are idempotent).
 */
import type { Database } from '../store/database.js';
import * as batches from '../store/batches.js';
import * as documents from '../store/documents.js';
import * as results from '../store/results.js';
import * as sessions from '../store/sessions.js';
import type { DocumentSource, SourceDocument } from './ports.js';

const LISTING_CHUNK = 500;

export interface PlanOutcome {
  listed: number;
  alreadyDone: number;
  totalBatches: number;
}

export interface PlanContext {
  db: Database;
  sessionId: string;
  source: DocumentSource;
  batchSize: number;
  maxDocuments: number | null;
  now: () => number;
  signal?: AbortSignal | undefined;
  onProgress?: (listed: number) => void;
}

/** Lists the source into the session and cuts batches. Returns counts; the session row gets its totals. */
export async function planSession(ctx: PlanContext): Promise<PlanOutcome> {
  const { db, sessionId, source } = ctx;
  let chunk: SourceDocument[] = [];
  let listed = 0;
  let alreadyDone = 0;
  const insertChunk = db.transaction((docs: SourceDocument[]) => {
    for (const doc of docs) {
      const done = isAlreadyDone(db, source.key, doc);
      const added = documents.insertDocument(db, {
        sessionId,
        sourceId: doc.sourceId,
        name: doc.name,
        mimeType: doc.mimeType,
        sizeBytes: doc.sizeBytes,
        checksum: doc.checksum,
        modifiedAt: doc.modifiedAt,
        status: done ? 'skipped' : 'pending',
        errorCode: done ? 'already_done' : null,
        errorMessage: done ? 'already processed with the same content' : null,
        now: ctx.now(),
      });
      if (added && done) {
        alreadyDone += 1;
        sessions.addSessionCounters(db, sessionId, { done: 0, failed: 0, skipped: 1, pages: 0, ocrPages: 0, bytes: 0 }, ctx.now());
      }
    }
  });
  const options = {
    signal: ctx.signal,
    maxDocuments: ctx.maxDocuments ?? undefined,
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  };
  for await (const doc of source.list(options)) {
    chunk.push(doc);
    listed += 1;
    if (chunk.length >= LISTING_CHUNK) {
      insertChunk(chunk);
      chunk = [];
      ctx.onProgress?.(listed);
    }
    if (ctx.maxDocuments != null && listed >= ctx.maxDocuments) break;
  }
  if (chunk.length > 0) insertChunk(chunk);
  const totalBatches = cutBatches(db, sessionId, ctx.batchSize, ctx.now());
  return { listed, alreadyDone, totalBatches };
}

/** Same source document, same content fingerprint, completed before: nothing to do. */
function isAlreadyDone(db: Database, sourceKey: string, doc: SourceDocument): boolean {
  if (!doc.checksum) return false;
  const previous = results.completedChecksum(db, sourceKey, doc.sourceId);
  return previous != null && previous === doc.checksum;
}

/** Numbers the unbatched pending documents into batches and records totals; returns the session's batch count. */
export function cutBatches(db: Database, sessionId: string, batchSize: number, now: number): number {
  return db.transaction(() => {
    const after = batches.maxBatchNo(db, sessionId);
    documents.assignBatchNumbers(db, sessionId, batchSize, after);
    batches.insertBatchesAfter(db, sessionId, after);
    const total = batches.maxBatchNo(db, sessionId);
    sessions.setListingComplete(db, sessionId, documents.countDocuments(db, sessionId), total, now);
    return total;
  })();
}
