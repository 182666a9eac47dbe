/**
 * Fault matrix, Google Drive row: faults on the listing (files.list, the orchestrator's Drive client) and on the
 * downloads (files/<id>?alt=media, the workers' URL fetcher), in a small real session Drive → workers → Supabase +
 * SQLite + Claude. See fault-table.ts for the whole matrix.
 */
import { describe, expect, it } from 'vitest';
import { faultsSince, inject } from './helpers/faults.js';
import type { FaultBody } from './helpers/faults.js';
import { expectCloudBooks } from './helpers/accounting.js';
import { useCloudFakes } from './helpers/cloud-cell.js';
import type { CellOutcome, CloudCell, CloudFakes } from './helpers/cloud-cell.js';
import { runCells } from './fault-table.js';
import type { FaultName } from './fault-table.js';

const LISTING = { method: 'GET', path: /^\/drive\/v3\/files$/ };
const DOWNLOAD = { method: 'GET', path: /^\/drive\/v3\/files\/[^/]+$/ };

/** The same fault once on the listing and twice on downloads. */
function onBoth(fakes: CloudFakes, fault: FaultBody): number {
  inject(fakes.drive.http, fault, LISTING);
  inject(fakes.drive.http, fault, DOWNLOAD, 2);
  return 3;
}

/** Arranges the fault; returns how many injected faults the session must meet, and what it must end with. */
type Scenario = (cell: CloudCell) => Promise<{ faults: number; outcome: CellOutcome }>;

const ALL_DONE: CellOutcome = { done: 8 };

const SCENARIOS: Partial<Record<FaultName, Scenario>> = {
  '429 with retry-after': (cell) => Promise.resolve({ faults: onBoth(cell.fakes, { kind: 'rate_limit', retryAfterSeconds: 1 }), outcome: ALL_DONE }),
  '429 without retry-after': (cell) => Promise.resolve({ faults: onBoth(cell.fakes, { kind: 'rate_limit' }), outcome: ALL_DONE }),
  '5xx': (cell) => Promise.resolve({ faults: onBoth(cell.fakes, { kind: 'status', status: 503 }), outcome: ALL_DONE }),
  'timeout (hang)': (cell) => Promise.resolve({ faults: onBoth(cell.fakes, { kind: 'hang' }), outcome: ALL_DONE }),
  'connection reset': (cell) => Promise.resolve({ faults: onBoth(cell.fakes, { kind: 'reset' }), outcome: ALL_DONE }),
  'slow body': (cell) => Promise.resolve({ faults: onBoth(cell.fakes, { kind: 'slow_body', bytesPerChunk: 200, delayMs: 5 }), outcome: ALL_DONE }),
  'vanished file': (cell) => {
    cell.fixture.engine.events.on('session.planned', () => cell.fakes.drive.remove(cell.fileIds[2]!));
    return Promise.resolve({ faults: 0, outcome: { done: 7, skipped: 1 } });
  },
  'down past retries': async (cell) => {
    const { drive } = cell.fakes;
    drive.http.inject({ kind: 'status', status: 503, match: LISTING, times: 4 });
    await expect(cell.plan()).rejects.toMatchObject({ message: expect.stringMatching(/Drive/) });
    expect(cell.fixture.store.db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    // One file's downloads keep failing: every fetch attempt of every engine attempt.
    drive.http.inject({ kind: 'status', status: 503, match: { method: 'GET', path: new RegExp(`/files/${cell.fileIds[5]}$`) }, times: 1_000 });
    return { faults: 4, outcome: { done: 7, failed: 1 } };
  },
};

const cloud = useCloudFakes();

describe('fault matrix: Google Drive', () => {
  it.each(runCells('drive'))('%s', async (_title, { fault }) => {
    const scenario = SCENARIOS[fault];
    expect(scenario, `no scenario for ${fault}`).toBeDefined();
    const cell = await cloud.cell();
    const { fakes } = cell;
    const before = fakes.drive.http.requests.length;
    const claudeBefore = fakes.claude.batchedRequests;
    const { faults, outcome } = await scenario!(cell);

    const sessionId = await cell.plan();
    const view = await cell.run(sessionId);
    const { db } = cell.fixture.store;

    expect(faultsSince(fakes.drive.http, before)).toBeGreaterThanOrEqual(faults);
    await expectCloudBooks(cell, sessionId, view, outcome, claudeBefore);
    if (fault === 'down past retries') {
      const failed = db.prepare(`SELECT source_id, last_error_code FROM documents WHERE session_id = ? AND status = 'failed'`).all(sessionId);
      expect(failed).toEqual([{ source_id: cell.fileIds[5], last_error_code: 'fetch_failed' }]);
    }
    if (fault === 'vanished file') {
      const skipped = db.prepare(`SELECT source_id, last_error_code FROM documents WHERE session_id = ? AND status = 'skipped'`).all(sessionId);
      expect(skipped).toEqual([{ source_id: cell.fileIds[2], last_error_code: 'not_found' }]);
    }
  });
});

describe('Google Drive: an access token that expires during a batch', () => {
  it('the refused downloads are retried with a freshly minted token, and every document completes once', async () => {
    const c = await cloud.cell();
    const { fakes } = c;
    const before = fakes.drive.http.requests.length;
    const claudeBefore = fakes.claude.batchedRequests;
    // After the first download, Google stops accepting the token handed out, and our copy of it nears its expiry.
    fakes.drive.afterDownloads(1, () => {
      fakes.drive.revokeAccessTokens();
      c.auth.setCredentials({ ...c.auth.credentials, expiry_date: Date.now() + 10 * 60_000 });
    });
    const sessionId = await c.plan();
    const view = await c.run(sessionId);

    const requests = fakes.drive.http.requests.slice(before);
    expect(requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(requests.filter((r) => r.path === '/token').length).toBeGreaterThanOrEqual(2);
    await expectCloudBooks(c, sessionId, view, { done: 8 }, claudeBefore);
  });
});

describe('Google Drive: an outage of every download', () => {
  it('pauses (integration) once documents fail to download in a row; resuming after it completes exactly once', async () => {
    const c = await cloud.cell({ fetchOutageAfter: 4 });
    const { fakes } = c;
    const claudeBefore = fakes.claude.batchedRequests;
    const sessionId = await c.plan();
    // Listing worked; now every download answers 503, on every try of the worker and of the engine.
    fakes.drive.http.inject({ kind: 'status', status: 503, match: DOWNLOAD, times: 10_000 });
    const paused = await c.run(sessionId);

    expect(paused).toMatchObject({ status: 'paused', pause_reason: 'integration', done: 0, failed: 0 });
    expect(paused.message).toMatch(/Downloads are failing: 4 documents in a row could not be fetched/);
    const { db } = c.fixture.store;
    const counts = db.prepare(`SELECT status, COUNT(*) AS n FROM documents WHERE session_id = ? GROUP BY status`).all(sessionId);
    expect(counts).toEqual([{ status: 'pending', n: 8 }]);

    fakes.drive.http.clearFaults();
    const resumed = await c.run(sessionId);
    await expectCloudBooks(c, sessionId, resumed, { done: 8 }, claudeBefore);
  });
});
