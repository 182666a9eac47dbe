/**
 * Results to Supabase: `document_journal` (one row per document, upsert keyed on `google_drive_id`) and the
 * extracted text in `document_text`. postgrest-js retries only reads, so writes are retried here (they are
 * idempotent upserts). A missing table or column stops the session with the migration to run.
 */
import { createClient } from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { AppError } from '../../errors.js';
import type { AnalysisRecord, SinkRecord } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { REMOTE_RETRY_POLICY, parseRetryAfter, withRetry } from '../../retry.js';
import type { BackoffPolicy } from '../../engine/backoff.js';
import {
  JOURNAL_MIGRATION,
  JOURNAL_TABLE,
  TEXT_TABLE,
  analysisRow,
  chunkRows,
  dedupeByKey,
  extractionRow,
  textRow,
} from './journal-rows.js';
import type { JournalRow } from './journal-rows.js';

export interface SupabaseSinkOptions {
  url: string;
  /** The service-role (secret) key: row-level security admits nothing else. */
  key: string;
  logger: EngineLogger;
  /** Marks completed documents `analysis_status = pending` (an analyzer will fill them in later). */
  analysisEnabled?: boolean;
  /** Rows per request (journal); text rows are also capped by `maxRequestBytes`. */
  chunkRows?: number;
  maxRequestBytes?: number;
  /** Per request; a request that takes longer is abandoned and retried. */
  timeoutMs?: number;
  attempts?: number;
  retryPolicy?: BackoffPolicy;
  fetch?: typeof fetch;
  /** Injectable wait between retries (tests record the delays instead of waiting). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The external part of the Supabase sink; main.ts pairs it with the SQLite sink's local index. */
export interface SupabaseSink {
  readonly kind: 'supabase';
  write(records: readonly SinkRecord[]): Promise<void>;
  writeAnalysis(records: readonly AnalysisRecord[]): Promise<void>;
  close(): Promise<void>;
}

interface PostgrestFailure {
  message: string;
  code: string;
  details?: string | null;
  hint?: string | null;
}

/** A failed request, with what the retry loop needs to decide. */
class SupabaseRequestError extends Error {
  constructor(
    readonly status: number,
    readonly failure: PostgrestFailure,
  ) {
    super(`Supabase answered ${status || 'nothing'}: ${failure.message}${failure.code ? ` (${failure.code})` : ''}`);
  }
}

const SCHEMA_CODES = new Set(['42P01', '42703', 'PGRST204', 'PGRST205', 'PGRST200']);
const AUTH_CODES = new Set(['42501', 'PGRST301', 'PGRST302', '28000', '28P01']);

export function createSupabaseSink(options: SupabaseSinkOptions): SupabaseSink {
  const client = createClient(options.url, options.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    // supabase-js 2.10x throws on Node 20 without a WebSocket implementation, even though we never subscribe.
    realtime: { transport: WebSocket as never },
    global: { fetch: keepRetryAfter(options.fetch ?? fetch) },
  });
  const log = options.logger.child({ sink: 'supabase' });
  const upsert = (table: string, rows: JournalRow[]): Promise<void> => upsertChunk(client, table, rows, options, log);

  return {
    kind: 'supabase',
    async write(records) {
      const journal = dedupeByKey(records.map((r) => extractionRow(r, options.analysisEnabled ?? false)));
      const texts = dedupeByKey(records.flatMap((r): JournalRow[] => {
        const row = textRow(r);
        return row ? [row] : [];
      }));
      // Journal rows first: text rows reference them.
      for (const chunk of chunkRows(journal, options.chunkRows ?? 500, options.maxRequestBytes ?? 4_000_000)) await upsert(JOURNAL_TABLE, chunk);
      for (const chunk of chunkRows(texts, options.chunkRows ?? 500, options.maxRequestBytes ?? 4_000_000)) await upsert(TEXT_TABLE, chunk);
    },
    async writeAnalysis(records) {
      const rows = dedupeByKey(records.map(analysisRow));
      for (const chunk of chunkRows(rows, options.chunkRows ?? 500, options.maxRequestBytes ?? 4_000_000)) await upsert(JOURNAL_TABLE, chunk);
    },
    async close() {
      await client.removeAllChannels().catch(() => undefined);
    },
  };
}

async function upsertChunk(client: SupabaseClient, table: string, rows: JournalRow[], options: SupabaseSinkOptions, log: EngineLogger): Promise<void> {
  try {
    await withRetry(() => sendUpsert(client, table, rows, options.timeoutMs ?? 60_000), {
      attempts: options.attempts ?? 6,
      policy: options.retryPolicy ?? REMOTE_RETRY_POLICY,
      classify: classifyFailure,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      onRetry: (error, attempt, delayMs) => log.warn({ table, rows: rows.length, attempt, delayMs, reason: (error as Error).message }, 'Supabase write failed; retrying'),
    });
  } catch (error) {
    throw toAppError(error, table);
  }
}

async function sendUpsert(client: SupabaseClient, table: string, rows: JournalRow[], timeoutMs: number): Promise<void> {
  const response = await client
    .from(table)
    .upsert(rows, { onConflict: 'google_drive_id' })
    .abortSignal(AbortSignal.timeout(timeoutMs));
  if (response.error) {
    throw new SupabaseRequestError(response.status, response.error as PostgrestFailure);
  }
}

function classifyFailure(error: unknown): { retry: boolean; afterMs?: number | null } {
  if (!(error instanceof SupabaseRequestError)) return { retry: false };
  const { status, failure } = error;
  if (SCHEMA_CODES.has(failure.code) || AUTH_CODES.has(failure.code)) return { retry: false };
  // 0: no answer at all (network, timeout); 408/429/5xx: the server is busy or restarting.
  if (status === 0 || status === 408 || status === 429 || status >= 500) {
    return { retry: true, afterMs: parseRetryAfter(retryAfterOf(failure)) };
  }
  return { retry: false };
}

function retryAfterOf(failure: PostgrestFailure): string | null {
  const match = /retry-after: (\d+)/i.exec(failure.details ?? '');
  return match ? match[1]! : null;
}

/**
 * postgrest-js drops response headers from the errors it returns; this copies a `retry-after` into the error body's
 * `details`, where {@link retryAfterOf} finds it.
 */
function keepRetryAfter(fetchImpl: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    const retryAfter = response.headers.get('retry-after');
    if (response.ok || retryAfter === null) return response;
    const body = await response.text();
    let parsed: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(body);
      parsed = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { message: body };
    } catch {
      parsed = { message: body };
    }
    const details = typeof parsed.details === 'string' ? `${parsed.details}; ` : '';
    const rewritten = JSON.stringify({ message: response.statusText, code: '', ...parsed, details: `${details}retry-after: ${retryAfter}` });
    return new Response(rewritten, { status: response.status, statusText: response.statusText, headers: { 'content-type': 'application/json' } });
  };
}

function toAppError(error: unknown, table: string): AppError {
  if (!(error instanceof SupabaseRequestError)) {
    return new AppError('supabase_failed', `Writing to Supabase failed: ${(error as Error).message}`, { cause: error });
  }
  const { status, failure } = error;
  if (SCHEMA_CODES.has(failure.code) || (status === 404 && /schema cache|does not exist/i.test(failure.message))) {
    return new AppError('supabase_schema', `Supabase's ${table} table is missing or out of date (${failure.message}).`, {
      hint: `Run ${JOURNAL_MIGRATION} on the project (supabase db push, or paste it into the SQL editor), then resume.`,
      cause: error,
    });
  }
  if (AUTH_CODES.has(failure.code) || status === 401 || status === 403) {
    return new AppError('supabase_auth', `Supabase refused the write to ${table} (${failure.message}).`, {
      hint: 'SUPABASE_KEY must be the service-role (secret) key: row-level security admits no other.',
      cause: error,
    });
  }
  return new AppError('supabase_failed', `Writing to Supabase failed after retries: ${error.message}`, { cause: error });
}
