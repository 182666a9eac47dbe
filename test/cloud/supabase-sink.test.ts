import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { AnalysisRecord, SinkRecord } from '../../src/core/engine/ports.js';
import { AppError } from '../../src/core/errors.js';
import { createSupabaseSink } from '../../src/core/sinks/supabase/supabase-sink.js';
import type { SupabaseSinkOptions } from '../../src/core/sinks/supabase/supabase-sink.js';
import { JOURNAL_MIGRATION, journalId } from '../../src/core/sinks/supabase/journal-rows.js';
import { silentLogger } from '../../src/logger.js';
import { ANON_KEY, SERVICE_KEY, SupabaseFake } from '../fakes/supabase-fake.js';
import { errorResult, okResult } from '../helpers/scripted-compute.js';

let fake: SupabaseFake;
const delays: number[] = [];

function sink(overrides: Partial<SupabaseSinkOptions> = {}) {
  return createSupabaseSink({
    url: fake.url,
    key: SERVICE_KEY,
    logger: silentLogger(),
    retryPolicy: { baseMs: 1, maxMs: 5, jitter: 0 },
    timeoutMs: 2_000,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  });
}

function record(sourceId: string, overrides: Partial<SinkRecord> = {}): SinkRecord {
  return {
    sessionId: 's1',
    batchNo: 3,
    sourceKey: 'gdrive',
    sourceKind: 'gdrive',
    document: { sourceId, name: `${sourceId}.pdf`, mimeType: 'application/pdf', sizeBytes: 1234, checksum: `md5:${sourceId}`, modifiedAt: null },
    status: 'completed',
    result: okResult(sourceId, `custody hearing transcript ${sourceId}`, 3, 1),
    error: null,
    workerLabel: 'RTX 4090 · vast 1',
    analysis: null,
    processedAt: Date.UTC(2026, 10, 20, 12),
    ...overrides,
  };
}

function analysis(sourceId: string, data: Record<string, unknown> | null, status: 'ok' | 'error' = 'ok'): AnalysisRecord {
  return {
    sessionId: 's1',
    sourceKey: 'gdrive',
    sourceKind: 'gdrive',
    sourceId,
    name: `${sourceId}.pdf`,
    analysis: { key: '1', status, data, error: status === 'ok' ? null : 'model said no', errorCode: status === 'ok' ? null : 'invalid_output', inputTokens: 1000, outputTokens: 200, costUsd: 0.0045, model: 'claude-sonnet-4-6' },
  };
}

beforeAll(async () => {
  fake = await new SupabaseFake().start([JOURNAL_MIGRATION]);
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(async () => {
  fake.http.clearFaults();
  fake.http.requests.splice(0);
  delays.length = 0;
  await fake.pg.exec('DELETE FROM document_text; DELETE FROM document_journal;');
});

describe('the document_journal migration (PGlite)', () => {
  it('applies twice without error, indexes names and summaries for search, and keeps text apart', async () => {
    await fake.pg.exec((await import('node:fs')).readFileSync(JOURNAL_MIGRATION, 'utf8'));
    await sink().write([record('a1'), record('b2', { document: { ...record('b2').document, name: 'Declaration of the mother.pdf' } })]);
    const hits = await fake.rows<{ google_drive_id: string }>(
      `SELECT google_drive_id FROM document_journal WHERE search_vector @@ plainto_tsquery('english', 'declaration')`,
    );
    expect(hits.map((h) => h.google_drive_id)).toEqual(['b2']);
    const text = await fake.rows<{ google_drive_id: string; char_count: number }>(
      `SELECT google_drive_id, char_count FROM document_text WHERE search_vector @@ plainto_tsquery('english', 'transcript') ORDER BY 1`,
    );
    expect(text.map((t) => t.google_drive_id)).toEqual(['a1', 'b2']);
    const indexes = await fake.rows<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = 'document_journal'`);
    expect(indexes.some((i) => /USING gin \(search_vector\)/.test(i.indexdef))).toBe(true);
  });

  it('admits no anonymous reads or writes (RLS on, grants revoked)', async () => {
    await sink().write([record('a1')]);
    const anon = createClient(fake.url, ANON_KEY, { auth: { persistSession: false }, realtime: { transport: WebSocket as never } });
    const read = await anon.from('document_journal').select('*');
    expect(read.error?.code).toBe('42501');
    const write = await anon.from('document_journal').insert({ google_drive_id: 'x', source: 'gdrive', source_key: 'gdrive', source_id: 'x', original_filename: 'x' });
    expect(write.error?.code).toBe('42501');
    const rls = await fake.rows<{ relname: string; relrowsecurity: boolean }>(
      `SELECT relname, relrowsecurity FROM pg_class WHERE relname IN ('document_journal', 'document_text') ORDER BY 1`,
    );
    expect(rls).toEqual([{ relname: 'document_journal', relrowsecurity: true }, { relname: 'document_text', relrowsecurity: true }]);
  });

  it('rejects values outside the scoring ranges', async () => {
    await sink().write([record('a1')]);
    await expect(fake.pg.query(`UPDATE document_journal SET relevancy_number = 1000`)).rejects.toThrow(/check constraint/);
    await expect(fake.pg.query(`UPDATE document_journal SET importance = 'URGENT'`)).rejects.toThrow(/check constraint/);
  });
});

describe('Supabase sink', () => {
  it('upserts by google_drive_id: writing the same documents twice leaves one row each, with the last values', async () => {
    const s = sink();
    await s.write([record('a1'), record('b2', { status: 'failed', result: errorResult('b2', 'encrypted', false), error: { code: 'encrypted', message: 'needs a password' } })]);
    await s.write([record('a1', { batchNo: 9 })]);
    const rows = await fake.rows<Record<string, unknown>>(`SELECT * FROM document_journal ORDER BY google_drive_id`);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ google_drive_id: 'a1', source: 'gdrive', processing_status: 'completed', batch_number: 9, page_count: 3, ocr_page_count: 1, processor_name: 'RTX 4090 · vast 1', checksum: 'md5:a1' });
    expect(rows[1]).toMatchObject({ google_drive_id: 'b2', processing_status: 'failed', error_code: 'encrypted', error_message: 'needs a password' });
    expect(await fake.rows(`SELECT google_drive_id FROM document_text`)).toEqual([{ google_drive_id: 'a1' }]);
  });

  it('keys local-folder documents as <source key>:<source id>, unique and non-null', async () => {
    await sink().write([record('2024/order.pdf', { sourceKey: 'local:/srv/cases', sourceKind: 'local' })]);
    const [row] = await fake.rows<Record<string, unknown>>(`SELECT google_drive_id, source, source_key, source_id FROM document_journal`);
    expect(row).toEqual({ google_drive_id: 'local:/srv/cases:2024/order.pdf', source: 'local', source_key: 'local:/srv/cases', source_id: '2024/order.pdf' });
    expect(journalId('gdrive', '1AbC')).toBe('1AbC');
  });

  it('sends one row per key when a write names a document twice (the last wins)', async () => {
    await sink().write([record('a1', { batchNo: 1 }), record('a1', { batchNo: 2 })]);
    expect(await fake.rows(`SELECT batch_number FROM document_journal`)).toEqual([{ batch_number: 2 }]);
  });

  it('writes analyses later without touching extraction columns, marking pending ones when analysis is on', async () => {
    const s = sink({ analysisEnabled: true });
    await s.write([record('a1'), record('b2')]);
    expect(await fake.rows(`SELECT analysis_status FROM document_journal ORDER BY 1`)).toEqual([{ analysis_status: 'pending' }, { analysis_status: 'pending' }]);
    await s.writeAnalysis([
      analysis('a1', { document_type: 'ORDR', document_date: '2024-02-30', relevancy_number: 920, importance: 'CRITICAL', keywords: ['custody'], w388_relevance: 80, micro_number: 1200 }),
      analysis('b2', null, 'error'),
    ]);
    const rows = await fake.rows<Record<string, unknown>>(
      `SELECT google_drive_id, processing_status, page_count, analysis_status, analysis_error, document_type, document_date, relevancy_number, micro_number, keywords, tokens_used, cost_usd::float AS cost FROM document_journal ORDER BY 1`,
    );
    expect(rows[0]).toMatchObject({ google_drive_id: 'a1', processing_status: 'completed', page_count: 3, analysis_status: 'completed', document_type: 'ORDR', document_date: null, relevancy_number: 920, micro_number: null, keywords: ['custody'], tokens_used: 1200, cost: 0.0045 });
    expect(rows[1]).toMatchObject({ google_drive_id: 'b2', processing_status: 'completed', analysis_status: 'failed', analysis_error: 'invalid_output: model said no' });
  });

  it('splits large writes into several requests', async () => {
    const records = Array.from({ length: 23 }, (_, i) => record(`doc${i}`));
    await sink({ chunkRows: 10 }).write(records);
    expect(fake.http.requestsTo('POST', /document_journal/)).toHaveLength(3);
    expect(await fake.rows(`SELECT COUNT(*)::int AS n FROM document_journal`)).toEqual([{ n: 23 }]);
  });
});

describe('Supabase sink: faults', () => {
  it('retries 5xx, resets and timeouts, and honours retry-after on 429', async () => {
    fake.http.inject({ kind: 'status', status: 503, match: { method: 'POST' } });
    fake.http.inject({ kind: 'reset', match: { method: 'POST' } });
    fake.http.inject({ kind: 'hang', match: { method: 'POST' } });
    fake.http.inject({ kind: 'rate_limit', retryAfterSeconds: 7, match: { method: 'POST' } });
    await sink({ timeoutMs: 300 }).write([record('a1')]);
    expect(await fake.rows(`SELECT google_drive_id FROM document_journal`)).toEqual([{ google_drive_id: 'a1' }]);
    expect(fake.http.requestsTo('POST', /document_journal/).map((r) => r.fault)).toEqual(['status', 'reset', 'hang', 'rate_limit', null]);
    expect(delays).toHaveLength(4);
    expect(delays[3]).toBe(7_000);
  });

  it('gives up after the configured attempts with a coded error', async () => {
    fake.http.inject({ kind: 'status', status: 502, times: 3, match: { method: 'POST' } });
    await expect(sink({ attempts: 3 }).write([record('a1')])).rejects.toMatchObject({ code: 'supabase_failed' });
  });

  it('a missing table or column stops with the migration to run, without retrying', async () => {
    await fake.pg.exec('ALTER TABLE document_journal DROP COLUMN processor_name');
    fake.forgetSchema();
    try {
      const error = await sink().write([record('a1')]).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'supabase_schema' });
      expect((error as AppError).hint).toContain(JOURNAL_MIGRATION);
      expect(delays).toHaveLength(0);
      await fake.pg.exec('ALTER TABLE document_text RENAME TO document_text_old');
      fake.forgetSchema();
      await fake.pg.exec('ALTER TABLE document_journal ADD COLUMN processor_name text');
      fake.forgetSchema();
      await expect(sink().write([record('a1')])).rejects.toMatchObject({ code: 'supabase_schema', message: expect.stringContaining('document_text') });
    } finally {
      await fake.pg.exec(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'document_text_old') THEN ALTER TABLE document_text_old RENAME TO document_text; END IF;
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'document_journal' AND column_name = 'processor_name')
          THEN ALTER TABLE document_journal ADD COLUMN processor_name text; END IF; END $$;`);
      fake.forgetSchema();
    }
  });

  it('a wrong key is an auth error naming the service-role key', async () => {
    const error = await sink({ key: ANON_KEY }).write([record('a1')]).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'supabase_auth' });
    expect((error as AppError).hint).toMatch(/service-role/);
  });
});
