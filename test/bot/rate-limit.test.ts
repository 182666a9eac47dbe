/**
 * Telegram answers 429 with `parameters.retry_after`: the bot waits it out and the message still arrives — in a
 * command handler, inside the /start_batch conversation (whose calls bypass `bot.api`'s transformers), and in a
 * notification sent from an engine event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, createHarness, destroyHarness, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

const rateLimited = (harness: BotHarness, method: string): number =>
  harness.fake.http.requests.filter((r) => r.status === 429 && r.path.endsWith(`/${method}`)).length;

describe('a 429 from Telegram', () => {
  it('is waited out in a handler, in a conversation and in a notification', async () => {
    h = await createHarness();
    await writePdfs(h.inbox, 2);

    h.fake.rateLimitNext('sendMessage', 1);
    await h.send('/help');
    expect(rateLimited(h, 'sendMessage')).toBe(1);
    expect(h.texts().filter((t) => t.includes('turns documents into searchable text'))).toHaveLength(1);

    h.fake.rateLimitNext('sendMessage', 1);
    await h.send('/start_batch');
    expect(rateLimited(h, 'sendMessage')).toBe(2);
    const question = await h.message(/Which documents\?/);

    const ended = h.nextEvent('session.completed');
    h.fake.rateLimitNext('answerCallbackQuery', 1);
    await h.tap(question, 'Use the default');
    expect(rateLimited(h, 'answerCallbackQuery')).toBe(1);
    expect(h.fake.callsTo('answerCallbackQuery')).toHaveLength(1);
    await h.message(/No rental is needed/);
    await ended;
    // The summary to Alice meets a 429 too (Bob's is sent first or after; each chat waits its own turn).
    h.fake.rateLimitNext('sendMessage', 1);
    h.telegram.notifier.tell('<b>Test</b> notice');
    await h.settle();
    expect(rateLimited(h, 'sendMessage')).toBe(3);
    expect(h.texts(ALICE)).toContain('<b>Test</b> notice');
    expect(h.logs.filter((l) => l.level >= 50)).toEqual([]);
  });
});
