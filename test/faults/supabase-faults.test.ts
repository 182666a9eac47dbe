/**
 * Fault matrix, Supabase row: faults on the sink's upserts (document_journal, document_text) in a small real
 * session Drive → workers → Supabase + SQLite + Claude. Documents are marked done only after Supabase has them, so
 * an outage pauses the session without losing or duplicating anything. See fault-table.ts for the whole matrix.
 */
import { describe, expect, it } from 'vitest';
import { faultsSince, inject } from './helpers/faults.js';
import type { FaultBody } from './helpers/faults.js';
import { expectCloudBooks, expectJournalBooks, expectLocalBooks } from './helpers/accounting.js';
import { useCloudFakes } from './helpers/cloud-cell.js';
import type { CloudCell } from './helpers/cloud-cell.js';
import { runCells } from './fault-table.js';
import type { FaultName } from './fault-table.js';

const WRITES = { method: 'POST', path: /^\/rest\/v1\/document_(journal|text)$/ };

const TRANSIENT: Partial<Record<FaultName, FaultBody>> = {
  '429 with retry-after': { kind: 'rate_limit', retryAfterSeconds: 1 },
  '429 without retry-after': { kind: 'rate_limit' },
  '5xx': { kind: 'status', status: 503, body: { code: '', message: 'upstream connect error' } },
  'timeout (hang)': { kind: 'hang' },
  'connection reset': { kind: 'reset' },
};

const cloud = useCloudFakes();

describe('fault matrix: Supabase', () => {
  it.each(runCells('supabase'))('%s', async (_title, { fault }) => {
    const cell = await cloud.cell();
    const { fakes } = cell;
    const before = fakes.supabase.http.requests.length;
    const claudeBefore = fakes.claude.batchedRequests;
    const sessionId = await cell.plan();

    if (fault === 'down past retries') {
      await downPastRetries(cell, sessionId, before, claudeBefore);
      return;
    }
    const body = TRANSIENT[fault];
    expect(body, `no scenario for ${fault}`).toBeDefined();
    // Twice on the extraction writes, and once more later (an analysis write or a later chunk).
    inject(fakes.supabase.http, body!, WRITES, 3);
    const view = await cell.run(sessionId);

    expect(faultsSince(fakes.supabase.http, before)).toBe(3);
    await expectCloudBooks(cell, sessionId, view, { done: 8 }, claudeBefore);
  });
});

/** Supabase answers 503 to every write: the session pauses with its message, then resumes to exactly once. */
async function downPastRetries(cell: CloudCell, sessionId: string, before: number, claudeBefore: number): Promise<void> {
  const { db } = cell.fixture.store;
  const { fakes } = cell;
  fakes.supabase.http.inject({ kind: 'status', status: 503, body: { code: '', message: 'Service Unavailable' }, match: WRITES, times: 1_000 });
  const paused = await cell.run(sessionId);

  expect(paused).toMatchObject({ status: 'paused', pause_reason: 'integration' });
  expect(paused.message).toMatch(/Writing to Supabase failed after retries: Supabase answered 503/);
  expect(faultsSince(fakes.supabase.http, before)).toBeGreaterThanOrEqual(4);
  // Nothing was marked done that Supabase does not have; nothing is lost: the rest is still to do.
  expect(paused.done).toBe(0);
  expectLocalBooks(db, paused, 'gdrive');
  await expectJournalBooks(fakes.supabase, db, sessionId);

  fakes.supabase.http.clearFaults();
  const resumed = await cell.run(sessionId);
  await expectCloudBooks(cell, sessionId, resumed, { done: 8 }, claudeBefore);
}
