/** `aseagi estimate <folder>`: count what a folder holds and say how long and how much processing would take. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Env } from '../config.js';
import { estimate } from '../core/engine/estimate.js';
import type { Estimate } from '../core/engine/estimate.js';
import type { EngineLogger } from '../core/engine/types.js';
import { createLocalFolderSource } from '../core/sources/local-folder.js';
import { openDatabase } from '../core/store/database.js';
import { measuredSecondsPerDocument } from '../core/store/sessions.js';
import { formatBytes, formatDuration, formatUsd } from './format.js';

export interface FolderEstimate {
  estimate: Estimate & { total_bytes: number };
  text: string;
}

/** Measured local seconds per document from earlier sessions, when there are enough to trust. */
function measuredLocal(dbPath: string): { seconds: number; basis: string } | null {
  if (!existsSync(dbPath)) return null;
  const store = openDatabase(dbPath, { readonly: true });
  try {
    const m = measuredSecondsPerDocument(store.db, 'local');
    if (m.docs < 20 || m.busyMs <= 0) return null;
    const seconds = m.busyMs / 1000 / m.docs;
    return { seconds, basis: `measured: ${seconds.toFixed(2)} s/document per worker over ${m.docs} documents processed here` };
  } finally {
    store.close();
  }
}

export async function estimateFolder(
  folder: string,
  options: { env: Env; logger: EngineLogger; dbPath: string; costPerHour: number; workers: number },
): Promise<FolderEstimate> {
  const source = createLocalFolderSource(resolve(folder));
  let documents = 0;
  let bytes = 0;
  for await (const doc of source.list({})) {
    documents += 1;
    bytes += doc.sizeBytes ?? 0;
  }
  const measured = measuredLocal(options.dbPath);
  const result = estimate({
    documents,
    batchSize: options.env.BATCH_SIZE,
    totalBytes: bytes,
    costPerHour: options.costPerHour,
    workers: options.workers,
    secondsPerDocument: measured?.seconds ?? null,
    basis: measured?.basis ?? null,
  });
  const text = [
    `${source.describe()}: ${documents} documents, ${formatBytes(bytes)}.`,
    `With ${result.workers} worker${result.workers === 1 ? '' : 's'}: about ${formatDuration(result.wall_clock_hours * 3600)} (${result.seconds_per_document} s/document; ${result.basis}).`,
    `Cost: ${options.costPerHour > 0 ? `${formatUsd(result.total_cost)} at ${formatUsd(options.costPerHour)}/h per worker` : '$0.00 on this machine'}.`,
  ].join('\n');
  return { estimate: { ...result, total_bytes: bytes }, text };
}
