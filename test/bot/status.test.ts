/**
 * The live /status message with a session held running (real workers behind a gate): edits are throttled and
 * identical text is never sent again; Refresh / Pause / Stop work, and Stop asks again. /stop stops for good.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getSession } from '../../src/core/store/sessions.js';
import { statusMessageOfChat } from '../../src/bot/store.js';
import { ALICE, BOB, createHarness, destroyHarness, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';
import { Gate, createGatedCompute } from './gated-compute.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

const INTERVAL = 60_000;

async function heldSession(gate: Gate, documents = 4): Promise<{ h: BotHarness; sessionId: string }> {
  const harness = await createHarness({ env: { BATCH_SIZE: '1' }, settings: { statusEditIntervalMs: INTERVAL }, compute: (env, logger) => createGatedCompute(env, logger, gate) });
  await writePdfs(harness.inbox, documents);
  gate.close();
  const started = harness.nextEvent('session.started');
  await harness.send(`/start_batch ${harness.inbox}`);
  const { sessionId } = await started;
  await harness.fake.waitFor(() => gate.waiting === 1, 30_000, 'the first batch at the gate');
  return { h: harness, sessionId };
}

/** Lets exactly the batch waiting at the gate through, and waits for it to complete. */
async function oneBatch(harness: BotHarness, gate: Gate): Promise<void> {
  const completed = harness.nextEvent('batch.completed');
  gate.open();
  gate.close();
  await completed;
}

/** Every attempt to edit the live message, refused ones ("message is not modified") included. */
const edits = (harness: BotHarness): number =>
  harness.fake.calls.filter((c) => c.method === 'editMessageText' && /Session batch_session_/.test(String(c.payload.text))).length;

describe('/status', () => {
  it('edits one message in place, throttled, skipping identical text; Refresh, Pause, Stop (asked again), Resume', async () => {
    const gate = new Gate();
    const held = await heldSession(gate);
    h = held.h;
    await h.send('/start_batch');
    await h.message(/Another batch is running \(batch_session_\w+\); one runs at a time\./);
    await h.send('/status');
    const live = await h.message(/^<b>Running<\/b>/);
    expect(live.text).toContain('0 done · 0 failed · 4 left (of 4)');
    expect(Object.keys(h.fake.buttons(live))).toEqual(['Refresh', 'Pause', 'Stop']);
    expect(statusMessageOfChat(h.db, ALICE)?.message_id).toBe(live.messageId);

    await oneBatch(h, gate);
    await h.settle();
    expect(edits(h)).toBe(0); // within the interval: the edit waits
    h.clock.freeze(); // the message shows speed and times: they must not move between the edit and Refresh
    h.clock.advance(INTERVAL);
    await h.fake.waitFor(() => edits(h!) === 1, 10_000, 'the throttled edit');
    expect(h.fake.message(ALICE, live.messageId)!.text).toContain('1 done · 0 failed · 3 left (of 4)');

    await h.tap(h.fake.message(ALICE, live.messageId), 'Refresh');
    await h.settle();
    expect(edits(h)).toBe(1); // nothing changed: no edit sent
    expect(h.fake.callsTo('answerCallbackQuery').length).toBeGreaterThan(0);
    h.clock.thaw();

    await h.tap(h.fake.message(ALICE, live.messageId), 'Stop');
    const question = await h.message(/for good\?/);
    expect(question.text).toContain('1 documents are done and kept; the 3 left will not be processed.');
    expect(Object.keys(h.fake.buttons(question))).toEqual(['Yes, stop for good', 'Pause instead', 'No, keep running']);
    await h.tap(question, 'No, keep running');
    await h.fake.waitFor(() => h!.fake.message(ALICE, question.messageId)!.text.startsWith('Kept as it is'));
    expect(getSession(h.db, held.sessionId)!.status).toBe('running');

    await h.tap(h.fake.message(ALICE, live.messageId), 'Stop');
    const again = await h.fake.waitFor(() => {
      const m = h!.fake.lastMessage(ALICE, /for good\?/);
      return m && m.messageId !== question.messageId ? m : undefined;
    });
    const paused = h.nextEvent('session.paused');
    await h.tap(again, 'Pause instead');
    expect((await paused).reason).toBe('user');
    await h.settle();
    const pausedLive = h.fake.message(ALICE, live.messageId)!;
    expect(pausedLive.text).toMatch(/^<b>Paused<\/b>/); // told at once, not after the interval
    expect(Object.keys(h.fake.buttons(pausedLive))).toEqual(['Refresh', 'Resume', 'Stop']);
    expect(h.fake.message(ALICE, again.messageId)!.text).toMatch(/^Pausing/);
    expect(h.texts(BOB).some((t) => t.startsWith('<b>Paused</b>'))).toBe(true);

    const ended = h.nextEvent('session.completed');
    await h.tap(pausedLive, 'Resume');
    await h.message(/Resumed\. \/status shows progress/);
    gate.open();
    await ended;
    await h.settle();
    const final = h.fake.message(ALICE, live.messageId)!;
    expect(final.text).toMatch(/^<b>Finished<\/b>/);
    expect(final.text).toContain('4 done · 0 failed · 0 left (of 4)');
    expect(statusMessageOfChat(h.db, ALICE)).toBeUndefined();
  });

  it('/stop asks, then stops for good; nothing more is processed', async () => {
    const gate = new Gate();
    const held = await heldSession(gate, 3);
    h = held.h;
    await h.send('/stop');
    const question = await h.message(/for good\?/);
    const stopped = h.nextEvent('session.stopped');
    await h.tap(question, 'Yes, stop for good');
    await stopped;
    await h.settle();
    expect(getSession(h.db, held.sessionId)!.status).toBe('stopped');
    expect(getSession(h.db, held.sessionId)!.docs_done).toBe(0);
    expect((await h.message(/<b>Stopped<\/b> for good/)).text).toContain('3 were not processed');
    expect(h.fake.message(ALICE, question.messageId)!.text).toMatch(/^Stopping/);
  });

  it('says so when there is nothing to show, stop or resume', async () => {
    h = await createHarness();
    await h.send('/status');
    await h.message(/There is no batch yet/);
    await h.send('/stop');
    await h.message(/Nothing is running, and nothing is paused/);
    await h.send('/resume');
    await h.message(/Nothing to resume/);
    await h.send('/cancel');
    await h.message(/Nothing to cancel/);
    await h.send('hello?');
    await h.message(/\/help lists what I can do/);
  });
});
