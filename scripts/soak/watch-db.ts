/**
 * Reading the CLI's SQLite database while the CLI writes it (WAL lets a reader look without blocking the writer).
 * Every read tolerates a database that does not exist yet or is half-created: the CLI may be killed at any moment.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';

export interface SessionState {
  id: string;
  status: string;
  listing_complete: number;
  total_documents: number;
  docs_done: number;
}

export interface LeasedBatch {
  batch_no: number;
  worker_id: string;
  leased_at: number;
  doc_count: number;
  /** Workers already lost with this batch; such a batch goes out one document at a time. */
  losses: number;
}

export class DbWatch {
  private connection: Database | null = null;

  constructor(private readonly path: string) {}

  private db(): Database | null {
    if (this.connection) return this.connection;
    try {
      this.connection = new BetterSqlite3(this.path, { readonly: true, fileMustExist: true });
    } catch {
      return null;
    }
    return this.connection;
  }

  private read<T>(query: (db: Database) => T, fallback: T): T {
    const db = this.db();
    if (!db) return fallback;
    try {
      return query(db);
    } catch {
      return fallback; // tables not created yet, or a moment of contention
    }
  }

  /** The newest session (a soak database holds one). */
  session(): SessionState | null {
    return this.read(
      (db) =>
        (db
          .prepare('SELECT id, status, listing_complete, total_documents, docs_done FROM sessions ORDER BY created_at DESC LIMIT 1')
          .get() as SessionState | undefined) ?? null,
      null,
    );
  }

  /** Documents recorded as done (results written and documents marked, in one transaction). */
  doneCount(): number {
    return this.read((db) => (db.prepare(`SELECT COUNT(*) AS n FROM documents WHERE status = 'done'`).get() as { n: number }).n, 0);
  }

  leasedBatches(): LeasedBatch[] {
    return this.read(
      (db) =>
        db.prepare(`SELECT batch_no, worker_id, leased_at, doc_count, losses FROM batches WHERE status = 'leased' AND worker_id IS NOT NULL ORDER BY leased_at`).all() as LeasedBatch[],
      [],
    );
  }

  /** Events of a type recorded in the audit log (`batch.requeued`, `worker.replaced`, …). */
  eventCount(type: string): number {
    return this.read((db) => (db.prepare('SELECT COUNT(*) AS n FROM events WHERE type = ?').get(type) as { n: number }).n, 0);
  }

  /** Whether the audit log has a `worker.lost` event for this worker. */
  workerLost(workerId: string): boolean {
    return this.read(
      (db) => db.prepare(`SELECT 1 FROM events WHERE type = 'worker.lost' AND json_extract(data_json, '$.workerId') = ? LIMIT 1`).get(workerId) !== undefined,
      false,
    );
  }

  /** Worker processes that came up, over every run (worker ids restart at local1 in each run, rows are reused). */
  workersStarted(): number {
    return this.eventCount('worker.ready');
  }

  close(): void {
    this.connection?.close();
    this.connection = null;
  }
}
