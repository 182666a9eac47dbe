/**
 * /start_batch with local compute, end to end: the keyboard flow to a finished session, with the live /status
 * message edited in place and the completion summary.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getSession } from '../../src/core/store/sessions.js';
import { ALICE, createHarness, destroyHarness, writeJunk, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

describe('/start_batch with local compute', () => {
  it('asks for the folder, starts without a rental, and reports the finished session', async () => {
    h = await createHarness();
    await writePdfs(h.inbox, 6);
    writeJunk(h.inbox, 'notes.pdf');

    await h.send('/start_batch');
    const question = await h.message(/Which documents\?/);
    expect(question.text).toContain(h.inbox);

    const ended = h.nextEvent('session.completed', 'session.paused', 'session.failed');
    await h.tap(question, 'Use the default');
    const started = await h.message(/No rental is needed/);
    expect(started.text).toMatch(/7<\/b> documents to process/);
    expect(started.text).toContain('at no cost');

    await h.send('/status');
    const live = await h.message(/Session batch_session_/);
    expect(Object.keys(h.fake.buttons(live))).toEqual(['Refresh', 'Pause', 'Stop']);

    const end = await ended;
    expect(end.type).toBe('session.completed');
    await h.settle();

    const summary = await h.message(/<b>Finished<\/b>/);
    expect(summary.text).toContain('7 documents: 6 done, 1 could not be read');
    expect(summary.text).toContain('unsupported_type (not a PDF or image): 1');
    expect(summary.text).toContain('Cost: $0.00');
    expect(summary.text).toContain('aseagi export --format csv');

    // The live message was edited in place to its final state, buttons gone; no second status message was sent.
    const final = h.fake.message(ALICE, live.messageId)!;
    expect(final.text).toMatch(/^<b>Finished<\/b>/);
    expect(final.replyMarkup).toBeNull();
    expect(h.fake.textsTo(ALICE).filter((t) => t.includes('Session batch_session_') && t.startsWith('<b>Running'))).toHaveLength(1);

    const session = getSession(h.db, end.sessionId)!;
    expect(session.status).toBe('completed');
    expect(session.docs_done).toBe(6);
    expect(JSON.parse(session.options_json).requestedBy).toBe(`telegram:${ALICE}`);
  });
});
