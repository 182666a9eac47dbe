/**
 * Forward-only schema migrations. A migration is never edited once released: add a new one.
 * `schema_migrations` records which ran; each runs in its own transaction.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  /** Unique and permanent, e.g. `0001_initial`. */
  id: string;
  sql: string;
}

const V1_INITIAL = `
CREATE TABLE sessions (
  id                    TEXT PRIMARY KEY,
  status                TEXT NOT NULL CHECK (status IN ('planned','awaiting_confirmation','running','paused','completed','stopped','failed')),
  source_kind           TEXT NOT NULL,
  source_key            TEXT NOT NULL,
  source_spec_json      TEXT NOT NULL,
  source_label          TEXT NOT NULL,
  compute_kind          TEXT NOT NULL,
  sink_kind             TEXT NOT NULL,
  analyzer_kind         TEXT NOT NULL,
  options_json          TEXT NOT NULL,
  budget_usd            REAL,
  confirmation_json     TEXT,
  pause_reason          TEXT,
  status_message        TEXT,
  listing_complete      INTEGER NOT NULL DEFAULT 0,
  total_documents       INTEGER NOT NULL DEFAULT 0,
  total_batches         INTEGER NOT NULL DEFAULT 0,
  docs_done             INTEGER NOT NULL DEFAULT 0,
  docs_failed           INTEGER NOT NULL DEFAULT 0,
  docs_skipped          INTEGER NOT NULL DEFAULT 0,
  batches_done          INTEGER NOT NULL DEFAULT 0,
  batches_failed        INTEGER NOT NULL DEFAULT 0,
  pages                 INTEGER NOT NULL DEFAULT 0,
  ocr_pages             INTEGER NOT NULL DEFAULT 0,
  bytes_processed       INTEGER NOT NULL DEFAULT 0,
  compute_spent_usd     REAL NOT NULL DEFAULT 0,
  analysis_spent_usd    REAL NOT NULL DEFAULT 0,
  active_ms             INTEGER NOT NULL DEFAULT 0,
  run_started_at        INTEGER,
  run_docs_at_start     INTEGER NOT NULL DEFAULT 0,
  created_at            INTEGER NOT NULL,
  started_at            INTEGER,
  finished_at           INTEGER,
  updated_at            INTEGER NOT NULL
);
CREATE INDEX sessions_by_status ON sessions (status, created_at);

CREATE TABLE documents (
  id                 INTEGER PRIMARY KEY,
  session_id         TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  source_id          TEXT NOT NULL,
  name               TEXT NOT NULL,
  mime_type          TEXT NOT NULL,
  size_bytes         INTEGER,
  checksum           TEXT,
  modified_at        TEXT,
  status             TEXT NOT NULL CHECK (status IN ('pending','leased','done','failed','skipped')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at    INTEGER,
  last_error_code    TEXT,
  last_error_message TEXT,
  batch_no           INTEGER,
  worker_id          TEXT,
  pages              INTEGER,
  ocr_pages          INTEGER,
  updated_at         INTEGER NOT NULL,
  UNIQUE (session_id, source_id)
);
CREATE INDEX documents_by_batch ON documents (session_id, batch_no, status);
CREATE INDEX documents_by_status ON documents (session_id, status);

CREATE TABLE batches (
  session_id    TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  batch_no      INTEGER NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('pending','leased','done','failed')),
  doc_count     INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  worker_id     TEXT,
  leased_at     INTEGER,
  finished_at   INTEGER,
  busy_ms       INTEGER NOT NULL DEFAULT 0,
  losses        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, batch_no)
);
CREATE INDEX batches_by_status ON batches (session_id, status, batch_no);

CREATE TABLE workers (
  id               TEXT PRIMARY KEY,
  session_id       TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  kind             TEXT NOT NULL,
  label            TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('starting','ready','lost','released')),
  instance_id      TEXT,
  gpu_name         TEXT,
  price_per_hour   REAL,
  cost_usd         REAL NOT NULL DEFAULT 0,
  reason           TEXT,
  started_at       INTEGER NOT NULL,
  ended_at         INTEGER
);
CREATE INDEX workers_by_session ON workers (session_id, status);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id  TEXT,
  at          INTEGER NOT NULL,
  type        TEXT NOT NULL,
  data_json   TEXT NOT NULL
);
CREATE INDEX events_by_session ON events (session_id, id);

CREATE TABLE checkpoints (
  session_id         TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  name               TEXT NOT NULL,
  completed_batches  INTEGER NOT NULL,
  docs_done          INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  PRIMARY KEY (session_id, name)
);
CREATE INDEX checkpoints_by_name ON checkpoints (name, created_at);

CREATE TABLE results (
  id                  INTEGER PRIMARY KEY,
  source_key          TEXT NOT NULL,
  source_id           TEXT NOT NULL,
  source_kind         TEXT NOT NULL,
  session_id          TEXT NOT NULL,
  batch_no            INTEGER NOT NULL,
  name                TEXT NOT NULL,
  mime_type           TEXT NOT NULL,
  size_bytes          INTEGER,
  checksum            TEXT,
  status              TEXT NOT NULL CHECK (status IN ('completed','failed','skipped')),
  error_code          TEXT,
  error_message       TEXT,
  detected_type       TEXT,
  sha256              TEXT,
  pages               INTEGER NOT NULL DEFAULT 0,
  text_pages          INTEGER NOT NULL DEFAULT 0,
  ocr_pages           INTEGER NOT NULL DEFAULT 0,
  failed_pages_json   TEXT,
  chars               INTEGER NOT NULL DEFAULT 0,
  words               INTEGER NOT NULL DEFAULT 0,
  ocr_confidence      REAL,
  ocr_engine          TEXT,
  duration_ms         INTEGER,
  worker_label        TEXT,
  text                TEXT NOT NULL DEFAULT '',
  analysis_json       TEXT,
  analysis_tokens     INTEGER,
  analysis_cost_usd   REAL,
  processed_at        INTEGER NOT NULL,
  UNIQUE (source_key, source_id)
);
CREATE INDEX results_by_session ON results (session_id, status);

CREATE VIRTUAL TABLE results_fts USING fts5(
  name, text, content='results', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER results_ai AFTER INSERT ON results BEGIN
  INSERT INTO results_fts (rowid, name, text) VALUES (new.id, new.name, new.text);
END;
CREATE TRIGGER results_ad AFTER DELETE ON results BEGIN
  INSERT INTO results_fts (results_fts, rowid, name, text) VALUES ('delete', old.id, old.name, old.text);
END;
CREATE TRIGGER results_au AFTER UPDATE OF name, text ON results BEGIN
  INSERT INTO results_fts (results_fts, rowid, name, text) VALUES ('delete', old.id, old.name, old.text);
  INSERT INTO results_fts (rowid, name, text) VALUES (new.id, new.name, new.text);
END;

CREATE TABLE kv (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

/** The Telegram bot's own state: conversations waiting for an answer, and the live status message per chat. */
const V2_BOT_STATE = `
CREATE TABLE bot_conversations (
  key         TEXT PRIMARY KEY,
  state_json  TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE bot_status_messages (
  chat_id     INTEGER PRIMARY KEY,
  message_id  INTEGER NOT NULL,
  session_id  TEXT NOT NULL,
  text        TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX bot_status_messages_by_session ON bot_status_messages (session_id);
`;

/**
 * The analysis stage (src/core/engine/analysis-stage.ts): analysis runs after extraction, so each document carries
 * its own analysis state; `analysis_unsynced` marks analyses the external sink has not received yet.
 */
const V3_ANALYSIS_STAGE = `
ALTER TABLE documents ADD COLUMN analysis_status TEXT CHECK (analysis_status IN ('pending','running','done','failed'));
ALTER TABLE documents ADD COLUMN analysis_unsynced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN analysis_error_code TEXT;
ALTER TABLE documents ADD COLUMN analysis_error_message TEXT;
ALTER TABLE documents ADD COLUMN analysis_model TEXT;
ALTER TABLE documents ADD COLUMN analysis_input_tokens INTEGER;
ALTER TABLE documents ADD COLUMN analysis_output_tokens INTEGER;
ALTER TABLE documents ADD COLUMN analysis_cost_usd REAL;
CREATE INDEX documents_by_analysis ON documents (session_id, analysis_status, batch_no) WHERE analysis_status IS NOT NULL;
CREATE INDEX documents_unsynced_analysis ON documents (session_id) WHERE analysis_unsynced = 1;
`;

/**
 * Rented compute (src/core/compute/vast): measured throughput per GPU model and OCR engine, summed over finished
 * batches, so estimates and offer ranking use what this installation has seen rather than priors. Instance
 * bookkeeping (price, cost, instance id) lives in `workers`.
 */
const V4_COMPUTE_CALIBRATION = `
CREATE TABLE compute_calibration (
  compute_kind  TEXT NOT NULL,
  gpu_name      TEXT NOT NULL,
  ocr_engine    TEXT NOT NULL,
  batches       INTEGER NOT NULL DEFAULT 0,
  documents     INTEGER NOT NULL DEFAULT 0,
  pages         INTEGER NOT NULL DEFAULT 0,
  ocr_pages     INTEGER NOT NULL DEFAULT 0,
  bytes         INTEGER NOT NULL DEFAULT 0,
  busy_ms       INTEGER NOT NULL DEFAULT 0,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (compute_kind, gpu_name, ocr_engine)
);
CREATE INDEX workers_by_instance ON workers (instance_id) WHERE instance_id IS NOT NULL;
`;

/**
 * Every migration, in the order they run. Append only; ids are unique and never reused. Each area that needs
 * tables adds its own entry here (e.g. `0002_bot_state`), so one list shows the whole schema's history.
 */
export const MIGRATIONS: readonly Migration[] = [
  { id: '0001_initial', sql: V1_INITIAL },
  { id: '0002_bot_state', sql: V2_BOT_STATE },
  { id: '0003_analysis_stage', sql: V3_ANALYSIS_STAGE },
  { id: '0004_vast_calibration', sql: V4_COMPUTE_CALIBRATION },
];

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`;

export function appliedMigrations(db: Database): Set<string> {
  db.exec(BOOKKEEPING);
  const rows = db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[];
  return new Set(rows.map((row) => row.id));
}

/** Applies every migration not yet applied, each in its own transaction; returns the ids applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): string[] {
  const done = appliedMigrations(db);
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...done].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `the database has schema changes this program does not know (${unknown.join(', ')}); upgrade ASEAGI Batch`,
    );
  }
  const applied: string[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.id, Date.now());
    })();
    applied.push(migration.id);
  }
  return applied;
}
