/** How a collection is cut into batches, as pure functions. */

export function batchCount(documents: number, batchSize: number): number {
  if (batchSize <= 0) throw new RangeError('batch size must be positive');
  return Math.ceil(documents / batchSize);
}

/** The checkpoint name for a number of completed batches, or null between checkpoints. */
export function checkpointName(completedBatches: number, every: number): string | null {
  if (every <= 0 || completedBatches <= 0 || completedBatches % every !== 0) return null;
  return `checkpoint_${completedBatches}`;
}

/** Accepts `checkpoint_100`, `checkpoint_100.json` (the seed's file names) and returns the canonical name. */
export function normaliseCheckpointName(input: string): string | null {
  const match = /^checkpoint_(\d+)(?:\.json)?$/.exec(input.trim());
  return match ? `checkpoint_${Number(match[1])}` : null;
}

/** A seed-compatible, sortable, unique session id: `batch_session_<unix seconds>_<4 hex>`. */
export function newSessionId(now: number, random: () => number = Math.random): string {
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `batch_session_${Math.floor(now / 1000)}_${suffix}`;
}
