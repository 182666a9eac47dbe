/**
 * /start_batch with a renting provider: offers as buttons, the confirmation (price, estimated total, budget cap)
 * with Confirm / Change budget / Cancel, the engine's confirm, a restart while the confirmation is pending, quotes
 * and confirmations that expire, and /resume asking again when prices rose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Confirmation } from '../../src/core/engine/ports.js';
import { getSession } from '../../src/core/store/sessions.js';
import { ALICE, BOB, createHarness, destroyHarness, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';
import { createRentalCompute, testOffer } from './rental-compute.js';
import type { RentalTestCompute } from './rental-compute.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

const TEN_MINUTES = 10 * 60_000;

async function rentalHarness(documents = 4, env: Record<string, string> = {}): Promise<{ h: BotHarness; compute: () => RentalTestCompute }> {
  let compute: RentalTestCompute | undefined;
  const harness = await createHarness({
    env,
    compute: (e, logger, clock) => {
      const fresh = createRentalCompute(e, logger, () => clock.now());
      if (compute) fresh.offers = compute.offers;
      compute = fresh;
      return fresh;
    },
  });
  await writePdfs(harness.inbox, documents);
  return { h: harness, compute: () => compute! };
}

/** /start_batch → default folder → offers; returns the offers message. */
async function toOffers(harness: BotHarness): Promise<ReturnType<BotHarness['message']>> {
  await harness.send('/start_batch');
  await harness.tap(await harness.message(/Which documents\?/), 'Use the default');
  return harness.message(/Machines available now/);
}

function confirmationOf(harness: BotHarness, sessionId: string): Confirmation | null {
  const json = getSession(harness.db, sessionId)?.confirmation_json;
  return json ? (JSON.parse(json) as Confirmation) : null;
}

describe('/start_batch with a renting provider', () => {
  it('goes from offers to a confirmed, finished session, with a changed budget', async () => {
    const setup = await rentalHarness();
    h = setup.h;
    const offers = await toOffers(h);
    expect(offers.text).toContain('4 documents</b> to process');
    expect(offers.text).toContain('1. RTX 4090 · 24 GB · Test A — $0.40/h');
    expect(offers.text).toContain('Nothing is rented until you confirm.');
    const sessionId = h.events.find((e) => e.type === 'session.planned')!.sessionId;
    expect(getSession(h.db, sessionId)!.status).toBe('awaiting_confirmation');

    await h.tap(offers, /^RTX 4090/);
    const first = await h.message(/Please confirm/);
    expect(first.text).toContain('Price: $0.40 per hour');
    expect(first.text).toContain('Budget cap: <b>$1.00</b>');
    expect(first.text).toContain('Vast.ai credit: $50.00.');
    expect(first.text).toMatch(/valid until \d\d:\d\d \(10m 00s\)/);

    await h.tap(first, 'Change budget');
    await h.message(/Type the most this session may cost/);
    await h.send('lots');
    await h.message(/Please type an amount in dollars/);
    await h.send('$7.50');
    const second = await h.fake.waitFor(() => h!.fake.lastMessage(ALICE, /Please confirm/)?.messageId !== first.messageId && h!.fake.lastMessage(ALICE, /Please confirm/));
    expect(second.text).toContain('Budget cap: <b>$7.50</b>');

    // Other commands still work while the question is open, and leave it open.
    await h.send('/status');
    expect((await h.message(/^<b>Waiting for a cost confirmation<\/b>/)).text).toContain('Nothing is rented until someone confirms the price.');

    // The older screen's Confirm would confirm another cap: it is refused, and nothing starts.
    await h.tap(first, 'Confirm');
    expect(h.fake.callsTo('answerCallbackQuery').at(-1)!.payload.text).toMatch(/replaced by the newer one/);
    expect(confirmationOf(h, sessionId)).toBeNull();

    const ended = h.nextEvent('session.completed', 'session.paused', 'session.failed');
    await h.tap(second, 'Confirm');
    const confirmed = await h.message(/^Confirmed:/);
    expect(confirmed.text).toContain('RTX 4090 · 24 GB · Test A at $0.40/h, budget cap $7.50');
    expect((await ended).type).toBe('session.completed');
    await h.settle();

    const confirmation = confirmationOf(h, sessionId)!;
    expect(confirmation).toMatchObject({ maxTotalCostUsd: 7.5, by: `telegram:${ALICE}`, offers: [{ id: 'off-a', pricePerHour: 0.4 }] });
    expect(setup.compute().opened[0]!.confirmation).toEqual(confirmation);
    expect(getSession(h.db, sessionId)!.budget_usd).toBe(7.5);
    expect((await h.message(/<b>Finished<\/b>/)).text).toContain('(budget $7.50)');
    // Bob, the other allowed user, was told it started (Alice saw her own confirmation instead).
    expect(h.texts(BOB).some((t) => t.startsWith('<b>Started</b>'))).toBe(true);
    expect(h.texts(ALICE).some((t) => t.startsWith('<b>Started</b>'))).toBe(false);
  });

  it('keeps a pending confirmation across a restart of the service (in a group: whoever confirms is recorded)', async () => {
    const setup = await rentalHarness(3);
    h = setup.h;
    const group = -100_777;
    await h.send('/start_batch', ALICE, group);
    await h.tap(await h.message(/Which documents\?/, group), 'Use the default');
    await h.tap(await h.message(/Machines available now/, group), /^RTX 3090/);
    const pending = await h.message(/Please confirm/, group);
    expect(pending.text).toContain('Price: $0.25 per hour');
    const sessionId = h.events.find((e) => e.type === 'session.planned')!.sessionId;

    await h.restart();
    expect(getSession(h.db, sessionId)!.status).toBe('awaiting_confirmation');
    const waiting = h.db.prepare('SELECT key, state_json FROM bot_conversations').all() as { key: string; state_json: string }[];
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.state_json).toContain('start_batch":[{');

    const ended = h.nextEvent('session.completed', 'session.paused', 'session.failed');
    await h.tap(pending, 'Confirm', BOB);
    await h.message(/^Confirmed: RTX 3090/, group);
    expect((await ended).type).toBe('session.completed');
    expect(confirmationOf(h, sessionId)).toMatchObject({ by: `telegram:${BOB}`, offers: [{ id: 'off-b', pricePerHour: 0.25 }] });
    expect(setup.compute().opened).toHaveLength(1);
    // The conversation is over: nothing of it is left waiting.
    await h.settle();
    const row = h.db.prepare('SELECT state_json FROM bot_conversations').get() as { state_json: string } | undefined;
    expect(row === undefined || !row.state_json.includes('start_batch":[{')).toBe(true);
  });

  it('does not accept a quote older than the confirmation time: it shows the prices again', async () => {
    const setup = await rentalHarness(2);
    h = setup.h;
    await h.tap(await toOffers(h), /^RTX 4090/);
    const stale = await h.message(/Please confirm/);
    const sessionId = h.events.find((e) => e.type === 'session.planned')!.sessionId;
    setup.compute().offers = [testOffer('off-c', 'A100 · 80 GB · Test C', 0.9, 1)];

    h.clock.advance(TEN_MINUTES + 60_000);
    await h.tap(stale, 'Confirm');
    const expired = await h.message(/has expired/);
    expect(expired.text).toContain('Nothing was rented.');
    const fresh = await h.message(/Machines available now/);
    expect(fresh.messageId).toBeGreaterThan(expired.messageId);
    expect(fresh.text).toContain('A100 · 80 GB · Test C — $0.90/h');
    expect(confirmationOf(h, sessionId)).toBeNull();
    expect(setup.compute().opened).toHaveLength(0);

    await h.tap(fresh, 'Cancel');
    await h.message(/Cancelled\. Nothing was rented and nothing will run\./);
    expect(getSession(h.db, sessionId)!.status).toBe('stopped');
  });

  it('lets the engine refuse a confirmation that expired before the work started, and asks again on /resume', async () => {
    const setup = await rentalHarness(2);
    h = setup.h;
    const sessionId = await h.app.engine.plan({ source: { kind: 'local', path: h.inbox }, requestedBy: 'api' });
    h.app.engine.confirm(sessionId, { maxTotalCostUsd: 5, offers: [{ id: 'off-a', pricePerHour: 0.4, label: 'RTX 4090' }], by: 'api' });
    h.clock.advance(TEN_MINUTES + 1);
    await expect(h.app.engine.run(sessionId)).rejects.toMatchObject({ code: 'confirmation_expired' });

    await h.send('/resume');
    await h.tap(await h.message(/Batches you can continue/), /^Start: /);
    const again = await h.message(/Machines available now/);
    expect(again.text).toContain('The earlier confirmation has expired before the work started');
    expect(setup.compute().opened).toHaveLength(0);
    expect(getSession(h.db, sessionId)!.status).toBe('awaiting_confirmation');
  });

  it('resumes within the confirmed price, and asks again when prices rose', async () => {
    const setup = await rentalHarness(6, { BATCH_SIZE: '1' });
    h = setup.h;
    const offAt2 = h.app.engine.events.on('batch.completed', (e) => {
      if (e.completedBatches === 2) void h!.app.engine.pause(e.sessionId);
    });
    await h.tap(await toOffers(h), /^RTX 4090/);
    const paused = h.nextEvent('session.paused');
    await h.tap(await h.message(/Please confirm/), 'Confirm');
    const { sessionId } = await paused;
    offAt2();
    await h.settle();

    setup.compute().offers = [testOffer('off-d', 'RTX 4090 · 24 GB · Dearer', 0.55, 2)];
    await h.send('/resume');
    await h.tap(await h.message(/Batches you can continue/), /^Resume: /);
    const rose = await h.message(/Prices rose since you confirmed/);
    expect(rose.text).toContain('the lowest is now $0.55/h, you confirmed $0.40/h');
    await h.tap(rose, 'Cancel');
    await h.message(/Nothing changed and nothing was rented/);
    expect(getSession(h.db, sessionId)!.status).toBe('paused');
    expect(setup.compute().opened).toHaveLength(1);

    setup.compute().offers = [testOffer('off-a', 'RTX 4090 · 24 GB · Test A', 0.4, 2)];
    const ended = h.nextEvent('session.completed', 'session.paused');
    await h.send('/resume');
    await h.tap(await h.message(/Batches you can continue/), /^Resume: /);
    await h.message(/Resumed within the confirmed budget/);
    expect((await ended).type).toBe('session.completed');
    expect(setup.compute().opened).toHaveLength(2);
  });
});
