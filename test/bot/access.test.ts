/**
 * Only allow-listed users may use the bot: anyone else gets a short refusal, nothing else happens, and the
 * attempt is logged with their id. A token without an allow-list refuses to start; no token means Telegram is off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTelegramPart } from '../../src/bot/service.js';
import { botSettingsFromEnv } from '../../src/bot/settings.js';
import { loadConfig } from '../../src/config.js';
import { FAKE_TOKEN, callbackUpdate } from '../fakes/telegram-bot-api.js';
import { ALICE, STRANGER, createHarness, destroyHarness, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

const count = (harness: BotHarness, table: string): number =>
  (harness.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('access control', () => {
  it('refuses someone not on the allow-list, with no effect at all, and logs their id', async () => {
    h = await createHarness();
    await writePdfs(h.inbox, 2);
    const planned = await h.app.engine.plan({ source: { kind: 'local', path: h.inbox }, requestedBy: 'cli' });
    await h.send('/resume');
    const aliceList = await h.message(/Batches you can continue/);
    const before = { sessions: count(h, 'sessions'), events: count(h, 'events'), engineEvents: h.events.length, calls: h.fake.calls.length };

    for (const text of ['/start_batch', `/start_batch ${h.inbox}`, '/estimate', '/stop', '/status', '/failed', '/search notice', '/help', 'hello']) {
      await h.send(text, STRANGER);
    }
    await h.tap(aliceList, /^Start: /, STRANGER);
    await h.send('/status', STRANGER, -100_555); // in a group: silence
    await h.settle();

    const toStranger = h.fake.calls.slice(before.calls);
    expect(toStranger.filter((c) => c.method === 'sendMessage')).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ chat_id: STRANGER, text: `Sorry, this bot is private. Your Telegram id is ${STRANGER}; the person who runs it can add you.` }) }),
    ]);
    expect(toStranger.filter((c) => c.method === 'answerCallbackQuery')).toHaveLength(1);
    expect(toStranger.every((c) => c.method === 'sendMessage' || c.method === 'answerCallbackQuery')).toBe(true);
    expect({ sessions: count(h, 'sessions'), events: count(h, 'events'), engineEvents: h.events.length }).toEqual({
      sessions: before.sessions,
      events: before.events,
      engineEvents: before.engineEvents,
    });
    expect(h.app.engine.view(planned)!.status).toBe('planned');
    expect(h.app.engine.runningSessionId()).toBeNull();
    expect(count(h, 'bot_conversations')).toBe(0);
    const refusals = h.logs.filter((l) => l.msg === 'refused a Telegram user who is not on the allow-list');
    expect(refusals.length).toBe(11);
    expect(refusals.every((l) => l.userId === STRANGER && l.level === 40)).toBe(true);

    h.clock.advance(61_000); // at most one refusal a minute
    await h.send('/help', STRANGER);
    expect(h.fake.textsTo(STRANGER)).toHaveLength(2);

    // The allowed user still works in the same bot, group chats included.
    await h.send('/status', ALICE, -100_555);
    await h.message(/Ready to start/, -100_555);
  });

  it('will not start with a token and nobody allowed, and is off without a token', async () => {
    const base = { dotenvPath: false as const, env: { TELEGRAM_BOT_TOKEN: FAKE_TOKEN, ALLOWED_TELEGRAM_USER_IDS: '' } };
    expect(() => botSettingsFromEnv(loadConfig(base))).toThrow(/ALLOWED_TELEGRAM_USER_IDS is empty, so nobody may use the bot/);

    h = await createHarness();
    const withoutList = { ...h.app, env: loadConfig(base) };
    await expect(startTelegramPart(withoutList)).rejects.toMatchObject({ code: 'telegram_no_allowed_users' });

    const off = { ...h.app, env: loadConfig({ dotenvPath: false, env: {} }) };
    expect(await startTelegramPart(off)).toBeNull();
    expect(h.logs.some((l) => l.msg === 'Telegram is off (set TELEGRAM_BOT_TOKEN)')).toBe(true);
  });

  it('refuses a stranger pressing a button of an old message', async () => {
    h = await createHarness();
    await h.send('/help');
    const help = await h.message(/searchable text/);
    await h.telegram.bot.handleUpdate(callbackUpdate(STRANGER, help, 'st:y:batch_session_1_abcd') as never);
    const answer = h.fake.callsTo('answerCallbackQuery').at(-1)!;
    expect(answer.payload.text).toMatch(/this bot is private/);
  });
});
