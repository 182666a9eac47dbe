/** The batch ledger kept in the engine's `kv` table, so submitted Claude batches survive a restart. */
import type { Database } from '../../store/database.js';
import { deleteValue, getValue, setValue } from '../../store/kv.js';
import type { BatchLedger } from './claude-batches.js';

export function createKvBatchLedger(db: Database, now: () => number = Date.now): BatchLedger {
  return {
    get: (key) => getValue(db, key),
    set: (key, batchId) => setValue(db, key, batchId, now()),
    delete: (key) => deleteValue(db, key),
  };
}
