/**
 * Fault matrix, Vast.ai row: faults on the offer search, the create, the instance reads and the destroy, and
 * machines that never finish loading, exit, or vanish as offers — each in a small real session on rented machines
 * (the fake's instances run real worker processes). Every cell ends with no instance left on the account, nothing
 * rented twice, and the spend within the confirmed budget. See fault-table.ts for the whole matrix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { faultsSince, inject } from './helpers/faults.js';
import type { FaultBody, Target } from './helpers/faults.js';
import { expectLocalBooks, expectWithinBudget } from './helpers/accounting.js';
import { createVastCell } from './helpers/vast-cell.js';
import type { VastCell, VastCellOptions } from './helpers/vast-cell.js';
import { runCells } from './fault-table.js';
import type { FaultName } from './fault-table.js';

const SEARCH = { method: 'POST', path: /^\/api\/v0\/bundles\/$/ };
const CREATE = { method: 'PUT', path: /^\/api\/v0\/asks\/\d+\/$/ };
const SHOW = { method: 'GET', path: /^\/api\/v0\/instances\/\d+\/$/ };
const DESTROY = { method: 'DELETE', path: /^\/api\/v0\/instances\/\d+\/$/ };

/** Injects `body` once at each target; returns how many faults the session must meet. */
function injectAt(cell: VastCell, body: FaultBody, ...targets: Target[]): number {
  for (const target of targets) inject(cell.fake.http, body, target);
  return targets.length;
}

interface Scenario {
  options?: VastCellOptions;
  /** After planning and confirming, before the run; returns how many injected HTTP faults the run must meet. */
  arrange(cell: VastCell): number;
  /** Extra checks after the common ones. */
  check?(cell: VastCell): void;
}

const SCENARIOS: Partial<Record<FaultName, Scenario>> = {
  '429 with retry-after': {
    arrange: (cell) => injectAt(cell, { kind: 'rate_limit', retryAfterSeconds: 1 }, SEARCH, SHOW, SHOW, DESTROY),
  },
  '429 without retry-after': {
    arrange: (cell) => injectAt(cell, { kind: 'rate_limit', body: { detail: 'API requests too frequent' } }, SEARCH, CREATE, SHOW, DESTROY),
    // The 429 create never reached Vast; the one after the penalty did.
    check: (cell) => {
      expect(cell.fake.http.requestsTo('PUT', CREATE.path).map((r) => r.status)).toEqual([429, 200]);
      expect(cell.fake.createRequests).toHaveLength(1);
    },
  },
  '5xx': {
    arrange: (cell) => {
      // The create's answer is lost after the instance was made: found by its label and adopted.
      cell.fake.loseNextCreateAnswer('bad_gateway');
      return injectAt(cell, { kind: 'status', status: 503, body: '<html>503 Service Temporarily Unavailable</html>' }, SEARCH, SHOW, DESTROY);
    },
    check: (cell) => expect(cell.fake.createRequests).toHaveLength(1),
  },
  'timeout (hang)': {
    arrange: (cell) => {
      cell.fake.loseNextCreateAnswer('hang');
      return injectAt(cell, { kind: 'hang' }, SEARCH, SHOW);
    },
    check: (cell) => expect(cell.fake.createRequests).toHaveLength(1),
  },
  'connection reset': {
    // The reset create never reached Vast: renting goes on under a new label; the first is looked for at the end.
    arrange: (cell) => injectAt(cell, { kind: 'reset' }, SEARCH, CREATE, SHOW, DESTROY),
    check: (cell) => {
      const labels = cell.fake.http.requestsTo('PUT', CREATE.path).map((r) => (JSON.parse(r.body) as { label: string }).label);
      expect(labels).toEqual([expect.stringMatching(/:1$/), expect.stringMatching(/:2$/)]);
      expect(cell.fake.destroyed.map((i) => i.init.label)).toEqual([labels[1]]);
      // The reset create is looked for again when the session ends, in case it was made after all.
      const lookups = cell.fake.http.requestsTo('GET', /^\/api\/v1\/instances\/$/).map((r) => decodeURIComponent(r.query));
      expect(lookups.filter((q) => q.includes(labels[0]!)).length).toBeGreaterThanOrEqual(2);
    },
  },
  'slow body': {
    arrange: (cell) => injectAt(cell, { kind: 'slow_body', bytesPerChunk: 64, delayMs: 2 }, SEARCH, SHOW, SHOW),
  },
  'instance stuck loading': {
    options: { settings: { loadingTimeoutMs: 3 * 60_000 } },
    arrange: (cell) => (cell.fake.script(101, { outcome: 'stuck' }), 0),
    check: (cell) => {
      expect(cell.fake.destroyed.map((i) => i.init.offerId)).toEqual([101, 102]);
      expect(cell.events.some((e) => e.type === 'worker.lost' && /still loading after 3 minutes/.test(e.reason))).toBe(true);
    },
  },
  'instance exits': {
    arrange: (cell) => (cell.fake.script(101, { outcome: 'exited' }), 0),
    check: (cell) => {
      expect(cell.fake.destroyed.map((i) => i.init.offerId)).toEqual([101, 102]);
      expect(cell.events.some((e) => e.type === 'worker.lost' && /exited/.test(e.reason))).toBe(true);
    },
  },
  'offer vanished': {
    arrange: (cell) => (cell.fake.vanishOnCreate(101, 410), 0),
    check: (cell) => {
      expect(cell.fake.createRequests.map((r) => r.offerId)).toEqual([101, 102]);
      expect(cell.fake.destroyed.map((i) => i.init.offerId)).toEqual([102]);
    },
  },
};

let cell: VastCell | null = null;

afterEach(async () => {
  await cell?.cleanup();
  cell = null;
});

/** No instance left, none rented twice (one instance per create that made one), no contract broken. */
function expectNothingLeft(c: VastCell): void {
  expect(c.fake.live()).toHaveLength(0);
  const labels = c.fake.destroyed.map((i) => i.init.label);
  expect(new Set(labels).size).toBe(labels.length);
  expect(c.fake.violations).toEqual([]);
}

describe('fault matrix: Vast.ai', () => {
  it.each(runCells('vast'))('%s', async (_title, { fault }) => {
    if (fault === 'down past retries') return downPastRetries();
    if (fault === 'offer vanished') await everyOfferVanishes();
    const scenario = SCENARIOS[fault];
    expect(scenario, `no scenario for ${fault}`).toBeDefined();
    cell = await createVastCell(scenario!.options);
    const id = await cell.planAndConfirm(5);
    const before = cell.fake.http.requests.length;
    const faults = scenario!.arrange(cell);
    const view = await cell.engine.run(id);

    expect(view, `${view.pause_reason}: ${view.message}`).toMatchObject({ status: 'completed', total_documents: 6, done: 6, failed: 0, skipped: 0 });
    expectLocalBooks(cell.store.db, view, cell.sourceKey);
    expectNothingLeft(cell);
    const spent = expectWithinBudget(cell.store.db, id);
    expect(spent).toBeGreaterThan(0);
    expect(faultsSince(cell.fake.http, before)).toBe(faults);
    scenario!.check?.(cell);
  });
});

/** Vast answers 503 to every offer search: the session pauses saying so, having rented nothing. */
async function downPastRetries(): Promise<void> {
  cell = await createVastCell();
  const id = await cell.planAndConfirm(5);
  cell.fake.http.inject({ kind: 'status', status: 503, body: '<html>503</html>', match: SEARCH, times: 1_000 });
  const view = await cell.engine.run(id);

  expect(view).toMatchObject({ status: 'paused', pause_reason: 'integration', done: 0 });
  expect(view.message).toMatch(/Vast\.ai refused the request \(HTTP 503/);
  expect(cell.fake.createRequests).toHaveLength(0);
  expectLocalBooks(cell.store.db, view, cell.sourceKey);
  expectNothingLeft(cell);
}

/** Every offer is gone by the time it is rented: nothing is rented, and the pause says why. */
async function everyOfferVanishes(): Promise<void> {
  const c = await createVastCell();
  try {
    const id = await c.planAndConfirm(5);
    c.fake.vanishOnCreate(101, 410).vanishOnCreate(102, 404).vanishOnCreate(103, 404);
    const view = await c.engine.run(id);
    expect(view).toMatchObject({ status: 'paused', pause_reason: 'no_workers', done: 0 });
    expect(view.message).toBe('No worker available: no machine on offer (offers vanished before they could be rented).');
    // Each offer was tried once and none became a machine.
    expect(c.fake.createRequests.map((r) => r.offerId)).toEqual([101, 102, 103]);
    expect(c.fake.destroyed).toHaveLength(0);
    expectNothingLeft(c);
  } finally {
    await c.cleanup();
  }
}
