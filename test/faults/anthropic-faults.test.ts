/**
 * Fault matrix, Anthropic row: faults on the Message Batches calls (create, poll, results) the Claude analyzer
 * makes through the real SDK, in a small real session Drive → workers → Supabase + SQLite + Claude. Every extracted
 * document must be analysed — and paid for — exactly once. See fault-table.ts for the whole matrix.
 */
import { describe, expect, it } from 'vitest';
import { inject } from './helpers/faults.js';
import type { FaultBody } from './helpers/faults.js';
import { expectCloudBooks, expectJournalBooks, expectLocalBooks } from './helpers/accounting.js';
import { useCloudFakes } from './helpers/cloud-cell.js';
import { runCells } from './fault-table.js';
import type { FaultName } from './fault-table.js';

const CALLS = [
  { method: 'POST', path: /^\/v1\/messages\/batches$/ },
  { method: 'GET', path: /^\/v1\/messages\/batches\/[^/]+$/ },
  { method: 'GET', path: /^\/v1\/messages\/batches\/[^/]+\/results$/ },
];

const FAULTS: Partial<Record<FaultName, FaultBody>> = {
  '429 with retry-after': { kind: 'rate_limit', retryAfterSeconds: 1, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your rate limit' } } },
  '429 without retry-after': { kind: 'rate_limit', body: { type: 'error', error: { type: 'rate_limit_error', message: 'rate limited' } } },
  '5xx': { kind: 'status', status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
  'timeout (hang)': { kind: 'hang' },
  'connection reset': { kind: 'reset' },
  'slow body': { kind: 'slow_body', bytesPerChunk: 256, delayMs: 5 },
};

const cloud = useCloudFakes();

describe('fault matrix: Anthropic', () => {
  it.each(runCells('anthropic'))('%s', async (_title, { fault }) => {
    if (fault === 'down past retries') return downPastRetries();
    const body = FAULTS[fault];
    expect(body, `no scenario for ${fault}`).toBeDefined();
    const cell = await cloud.cell();
    const { fakes } = cell;
    const before = fakes.claude.http.requests.length;
    const claudeBefore = fakes.claude.batchedRequests;
    // Once on each kind of call: creating a batch, polling it, reading its results.
    for (const match of CALLS) inject(fakes.claude.http, body!, match);
    const sessionId = await cell.plan();
    const view = await cell.run(sessionId);

    const met = fakes.claude.http.requests.slice(before).filter((r) => r.fault !== null);
    expect(met.map((r) => `${r.method} ${r.path.replace(/msgbatch_\w+/, ':id')}`).sort()).toEqual(
      ['GET /v1/messages/batches/:id', 'GET /v1/messages/batches/:id/results', 'POST /v1/messages/batches'],
    );
    await expectCloudBooks(cell, sessionId, view, { done: 8 }, claudeBefore);
  });
});

/** Claude is overloaded for longer than the SDK retries: the session pauses, and resuming pays for nothing twice. */
async function downPastRetries(): Promise<void> {
  const cell = await cloud.cell();
  const { fakes } = cell;
  const claudeBefore = fakes.claude.batchedRequests;
  inject(fakes.claude.http, FAULTS['5xx']!, CALLS[0]!, 1_000);
  const sessionId = await cell.plan();
  const paused = await cell.run(sessionId);

  expect(paused).toMatchObject({ status: 'paused', pause_reason: 'integration' });
  expect(paused.message).toMatch(/^Analysis: .*(overloaded|529)/i);
  // What was extracted is kept, in SQLite and Supabase alike; nothing was analysed or paid for.
  expectLocalBooks(cell.fixture.store.db, paused, 'gdrive');
  await expectJournalBooks(fakes.supabase, cell.fixture.store.db, sessionId);
  expect(fakes.claude.batchedRequests).toBe(claudeBefore);
  expect(cell.fixture.store.db.prepare(`SELECT analysis_spent_usd AS spent FROM sessions WHERE id = ?`).get(sessionId)).toEqual({ spent: 0 });

  fakes.claude.http.clearFaults();
  const resumed = await cell.run(sessionId);
  await expectCloudBooks(cell, sessionId, resumed, { done: 8 }, claudeBefore);
}
