/**
 * Supabase: the tables the sink writes exist with every column it writes. The columns are taken from the sink's
 * own row builders, so this check follows the sink whenever it changes; `limit 0` reads no data.
 */
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { Env } from '../../config.js';
import type { SinkRecord } from '../../core/engine/ports.js';
import { JOURNAL_MIGRATION, JOURNAL_TABLE, TEXT_TABLE, extractionRow, textRow } from '../../core/sinks/supabase/journal-rows.js';
import { ok, off, problem } from '../types.js';
import type { CheckResult, DoctorCheck } from '../types.js';

/** A completed record with text, so both row builders give every column they can write. */
const SAMPLE: SinkRecord = {
  sessionId: 'doctor',
  batchNo: 1,
  sourceKey: 'gdrive',
  sourceKind: 'gdrive',
  document: { sourceId: 'doctor', name: 'doctor.pdf', mimeType: 'application/pdf', sizeBytes: 1, checksum: null, modifiedAt: null },
  status: 'completed',
  result: {
    id: '1',
    status: 'ok',
    error: null,
    detectedType: 'application/pdf',
    bytes: 1,
    sha256: null,
    pages: 1,
    textPages: 1,
    ocrPages: 0,
    failedPages: [],
    chars: 1,
    words: 1,
    ocrConfidence: null,
    ocrEngine: null,
    timings: { fetchMs: 0, extractMs: 0, ocrMs: 0, totalMs: 0 },
    text: 'x',
  },
  error: null,
  workerLabel: null,
  analysis: null,
  processedAt: 0,
};

/** Table → the columns the sink writes to it. */
export function expectedColumns(): Record<string, string[]> {
  return { [JOURNAL_TABLE]: Object.keys(extractionRow(SAMPLE, true)), [TEXT_TABLE]: Object.keys(textRow(SAMPLE) ?? {}) };
}

const MISSING_TABLE = new Set(['42P01', 'PGRST205']);
const MISSING_COLUMN = new Set(['42703', 'PGRST204']);
const REFUSED = new Set(['42501', 'PGRST301', 'PGRST302', '28000', '28P01']);

export function supabaseCheck(env: Env): DoctorCheck {
  return {
    name: 'Supabase',
    run: async (signal) => {
      if (!env.SUPABASE_URL || !env.SUPABASE_KEY) {
        return off('Not configured: results stay in the local SQLite database.', 'Set SUPABASE_URL and SUPABASE_KEY (service-role key) to write document_journal.');
      }
      const client = createClient(env.SUPABASE_URL, env.SUPABASE_KEY, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        // supabase-js 2.10x throws on Node 20 without a WebSocket implementation, although nothing subscribes.
        realtime: { transport: WebSocket as never },
        global: { fetch: (input, init) => fetch(input, { ...init, signal }) },
      });
      const checked: string[] = [];
      for (const [table, columns] of Object.entries(expectedColumns())) {
        const { error, status } = await client.from(table).select(columns.join(',')).limit(0);
        if (error) return explain(table, status, error);
        checked.push(`${table} (${columns.length} columns)`);
      }
      return ok(`${checked.join(' and ')} present.`);
    },
  };
}

function explain(table: string, status: number, error: { code?: string; message: string }): CheckResult {
  const code = error.code ?? '';
  const migrate = `Run ${JOURNAL_MIGRATION} in the Supabase SQL editor (or \`supabase db push\`).`;
  if (MISSING_TABLE.has(code)) return problem(`Table ${table} does not exist.`, migrate);
  if (MISSING_COLUMN.has(code)) return problem(`${table} lacks a column the sink writes: ${error.message}`, migrate);
  if (REFUSED.has(code) || status === 401 || status === 403) {
    return problem(`Supabase refused the key for ${table} (${code || status}): ${error.message}`, 'Use the service-role (secret) key in SUPABASE_KEY: row-level security admits nothing else.');
  }
  if (status === 0) return problem(`Supabase could not be reached: ${error.message}`, 'Check SUPABASE_URL and the network.');
  return problem(`Supabase answered ${status} for ${table}: ${error.message}${code ? ` (${code})` : ''}`, 'Check https://status.supabase.com and run doctor again.');
}
