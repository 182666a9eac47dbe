/**
 * Rented machines never outlive the work that needs them: a person pausing or stopping a session, or the service
 * shutting down, while a machine is still loading its image or while a batch runs on it, leaves no instance on the
 * account. What was done is kept, nothing else is marked done, and a paused session resumes to exactly once.
 * (Completion, the budget cap and lack of credit are proven in test/vast and the fault matrix.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/core/engine/events.js';
import type { SessionView } from '../../src/core/engine/types.js';
import { expectLocalBooks, expectWithinBudget } from './helpers/accounting.js';
import { createVastCell } from './helpers/vast-cell.js';
import type { VastCell } from './helpers/vast-cell.js';

type Ending = 'pause' | 'stop' | 'shutdown';
type Moment = 'while a machine is loading' | 'mid-batch';

const EXPECTED: Record<Ending, Partial<SessionView>> = {
  pause: { status: 'paused', pause_reason: 'user' },
  stop: { status: 'stopped' },
  shutdown: { status: 'paused', pause_reason: 'shutdown' },
};

const CASES: [Ending, Moment][] = (['pause', 'stop', 'shutdown'] as const).flatMap((ending) =>
  (['while a machine is loading', 'mid-batch'] as const).map((moment): [Ending, Moment] => [ending, moment]),
);

let cell: VastCell | null = null;

afterEach(async () => {
  await cell?.cleanup();
  cell = null;
});

function end(c: VastCell, ending: Ending, sessionId: string): Promise<unknown> {
  if (ending === 'pause') return c.engine.pause(sessionId);
  if (ending === 'stop') return c.engine.stop(sessionId);
  return c.engine.close();
}

function trigger(moment: Moment): (e: EngineEvent) => boolean {
  return moment === 'mid-batch' ? (e) => e.type === 'batch.started' && e.batchNo === 1 : (e) => e.type === 'worker.starting';
}

describe('instance clean-up when a session ends early', () => {
  it.each(CASES)('%s %s: no instance left, nothing lost', async (ending, moment) => {
    cell = await createVastCell({ documents: 6 });
    const c = cell;
    const id = await c.planAndConfirm(5);
    const at = trigger(moment);
    let ended: Promise<unknown> | null = null;
    const off = c.engine.events.onAny((e) => {
      if (ended || !at(e)) return;
      ended = end(c, ending, id);
    });
    const view = await c.engine.run(id);
    off();
    await ended;

    expect(view).toMatchObject(EXPECTED[ending]);
    expect(c.fake.live()).toHaveLength(0);
    expect(c.fake.destroyed.length).toBeGreaterThanOrEqual(1);
    if (moment === 'while a machine is loading') expect(view.done).toBe(0);
    expectLocalBooks(c.store.db, view, c.sourceKey);
    expectWithinBudget(c.store.db, id);

    if (ending !== 'pause') return;
    // Resuming rents again and finishes exactly once; nothing is left rented after that either.
    const resumed = await c.engine.run(id);
    expect(resumed).toMatchObject({ status: 'completed', done: 6, failed: 0 });
    expectLocalBooks(c.store.db, resumed, c.sourceKey);
    expect(c.fake.live()).toHaveLength(0);
    expectWithinBudget(c.store.db, id);
  });
});
