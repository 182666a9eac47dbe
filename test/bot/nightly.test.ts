/**
 * The nightly resume, fired through node-cron's own `execute()` instead of waiting for 02:00: a session
 * interrupted by a crash continues (and the team is told); one paused by a person or at its budget cap waits for a
 * human. When renting, a price above the confirmed one is not accepted at night.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateSchedule } from '../../src/bot/nightly-resume.js';
import { getSession, updateSessionStatus } from '../../src/core/store/sessions.js';
import { ALICE, BOB, createHarness, destroyHarness, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';
import { createRentalCompute, testOffer } from './rental-compute.js';
import type { RentalTestCompute } from './rental-compute.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

async function plan(harness: BotHarness, folder: string): Promise<string> {
  return harness.app.engine.plan({ source: { kind: 'local', path: join(harness.inbox, folder) }, requestedBy: 'cli' });
}

describe('the nightly resume', () => {
  it('resumes an interrupted session within its budget, tells the team, and leaves human-paused ones alone', async () => {
    h = await createHarness({ env: { BATCH_SIZE: '1', RESUME_CRON: '0 2 * * *', TZ: 'America/New_York' } });
    for (const folder of ['crashed', 'by-hand', 'at-cap']) await writePdfs(join(h.inbox, folder), 3, folder);

    const byHand = await plan(h, 'by-hand');
    const firstBatch = h.nextEvent('batch.completed');
    const paused = h.nextEvent('session.paused');
    void h.app.engine.run(byHand);
    await firstBatch;
    await h.app.engine.pause(byHand);
    expect((await paused).reason).toBe('user');

    const atCap = await plan(h, 'at-cap');
    updateSessionStatus(h.db, atCap, 'paused', 'budget', 'Spend reached $5.00 of the $5.00 budget.', h.clock.now());

    // A crash mid-run leaves a session marked running; the restarted service finds it interrupted.
    const crashed = await plan(h, 'crashed');
    updateSessionStatus(h.db, crashed, 'running', null, null, h.clock.now());
    await h.restart();
    expect(getSession(h.db, crashed)).toMatchObject({ status: 'paused', pause_reason: 'interrupted' });

    const next = h.telegram.nightly.nextRunAt()!;
    expect(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', minute: '2-digit', hour12: false }).format(next)).toBe('02:00');
    await h.send(`/status ${crashed}`);
    expect((await h.message(/^<b>Paused<\/b>/)).text).toMatch(/It resumes by itself at (\S+ )?02:00, or now with \/resume\./);

    const ended = h.nextEvent('session.completed');
    await h.cronTasks[0]!.execute();
    expect((await ended).sessionId).toBe(crashed);
    await h.settle();
    const told = h.texts(BOB).find((t) => t.startsWith('<b>Nightly resume</b>'))!;
    expect(told).toContain('crashed continues where it stopped (Interrupted (the program stopped unexpectedly); resume to continue.)');
    expect(told).toContain('3 documents left. On this machine, at no cost.');
    expect(getSession(h.db, byHand)).toMatchObject({ status: 'paused', pause_reason: 'user' });
    expect(getSession(h.db, atCap)).toMatchObject({ status: 'paused', pause_reason: 'budget' });

    const before = h.fake.calls.length;
    await h.cronTasks[0]!.execute(); // nothing eligible: silence
    await h.settle();
    expect(h.fake.calls.length).toBe(before);
    expect(h.texts(ALICE).filter((t) => t.startsWith('<b>Nightly resume</b>'))).toHaveLength(1);
  });

  it('does not rent at night above the confirmed price; it asks instead, and resumes once the price is back', async () => {
    let compute: RentalTestCompute | undefined;
    h = await createHarness({
      compute: (env, logger, clock) => {
        const fresh = createRentalCompute(env, logger, () => clock.now());
        if (compute) fresh.offers = compute.offers;
        return (compute = fresh);
      },
    });
    await writePdfs(join(h.inbox, 'night'), 2, 'night');
    const sessionId = await plan(h, 'night');
    h.app.engine.confirm(sessionId, { maxTotalCostUsd: 5, offers: [{ id: 'off-a', pricePerHour: 0.4, label: 'RTX 4090' }], by: `telegram:${ALICE}` });
    updateSessionStatus(h.db, sessionId, 'running', null, null, h.clock.now());
    await h.restart();
    expect(getSession(h.db, sessionId)!.pause_reason).toBe('interrupted');

    compute!.offers = [testOffer('off-x', 'RTX 4090 · 24 GB · Dearer', 0.55, 2)];
    expect(await h.telegram.nightly.runOnce()).toEqual({ resumed: null, reason: 'none_eligible' });
    await h.settle();
    expect(h.texts(ALICE).at(-1)).toContain('was not resumed tonight: the lowest price is now $0.55/h, above the $0.40/h you confirmed. /resume to see the prices and decide.');
    expect(compute!.opened).toHaveLength(0);

    compute!.offers = [testOffer('off-a', 'RTX 4090 · 24 GB · Test A', 0.4, 2)];
    const ended = h.nextEvent('session.completed');
    expect(await h.telegram.nightly.runOnce()).toEqual({ resumed: sessionId, waiting: 0 });
    await ended;
    await h.settle();
    expect(h.texts(ALICE).find((t) => t.startsWith('<b>Nightly resume</b>'))).toContain('Within the confirmed budget: $0.00 spent of $5.00.');
    expect(compute!.opened[0]!.confirmation).toMatchObject({ maxTotalCostUsd: 5, offers: [{ pricePerHour: 0.4 }] });
  });

  it('refuses a schedule or time zone it cannot use, naming the setting', () => {
    expect(() => validateSchedule('every night', undefined)).toThrow(/RESUME_CRON: "every night" is not a cron expression/);
    expect(() => validateSchedule('0 2 * * *', 'Mars/Olympus')).toThrow(/TZ: "Mars\/Olympus" is not a time zone/);
    expect(() => validateSchedule('30 1 * * 1-5', 'Europe/Paris')).not.toThrow();
  });
});
