/**
 * The bot as a part of the service: long polling through @grammyjs/runner against the fake Bot API (getUpdates),
 * or a webhook when TELEGRAM_WEBHOOK_URL is set (only requests carrying the secret token are handled).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelegramPart } from '../../src/bot/service.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createApp } from '../../src/main.js';
import type { App } from '../../src/main.js';
import type { ServicePart } from '../../src/serve.js';
import { FAKE_TOKEN, FakeTelegram, textUpdate } from '../fakes/telegram-bot-api.js';
import { ALICE } from './harness.js';

let fake: FakeTelegram | undefined;
let app: App | undefined;
let part: ServicePart | null = null;
let dir: string | undefined;

afterEach(async () => {
  await part?.stop();
  part = null;
  await app?.close();
  await fake?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function start(extra: Record<string, string> = {}): Promise<void> {
  fake = await new FakeTelegram().start();
  dir = mkdtempSync(join(tmpdir(), 'aseagi-bot-service-'));
  const env = loadConfig({
    dotenvPath: false,
    env: { ASEAGI_DB: join(dir, 'a.db'), INBOX_DIR: join(dir, 'inbox'), TELEGRAM_BOT_TOKEN: FAKE_TOKEN, ALLOWED_TELEGRAM_USER_IDS: String(ALICE), TELEGRAM_API_ROOT: fake.apiRoot, LOG_LEVEL: 'silent', ...extra },
  });
  app = createApp(env, silentLogger());
  part = await startTelegramPart(app);
}

describe('the Telegram service part', () => {
  it('long-polls through the runner, registers its commands, and stops cleanly', async () => {
    await start();
    expect(part?.name).toBe('telegram');
    expect(fake!.callsTo('getMe')).toHaveLength(1);
    expect(fake!.callsTo('deleteWebhook')).toHaveLength(1);
    expect(fake!.callsTo('setMyCommands')).toHaveLength(1);

    fake!.pushUpdate(textUpdate(ALICE, '/help'));
    fake!.pushUpdate(textUpdate(ALICE, '/docs'));
    await fake!.waitFor(() => fake!.textsTo(ALICE).length === 2, 10_000, 'two replies');
    expect(fake!.textsTo(ALICE)[0]).toContain('turns documents into searchable text');
    expect(fake!.textsTo(ALICE)[1]).toContain('No documents processed yet');
    const polls = fake!.callsTo('getUpdates');
    expect(polls.at(-1)!.payload.allowed_updates).toEqual(['message', 'callback_query']);

    await part!.stop();
    const after = fake!.calls.length;
    fake!.pushUpdate(textUpdate(ALICE, '/help'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake!.calls.slice(after).filter((c) => c.method === 'sendMessage')).toEqual([]);
  });

  it('takes updates by webhook when TELEGRAM_WEBHOOK_URL is set, checking the secret token', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/telegram/hook`;
    await start({ TELEGRAM_WEBHOOK_URL: url, TELEGRAM_WEBHOOK_PORT: String(port) });
    const set = fake!.callsTo('setWebhook')[0]!.payload;
    expect(set).toMatchObject({ url, max_connections: 1, allowed_updates: ['message', 'callback_query'] });
    const secret = String(set.secret_token);
    expect(secret).toMatch(/^[0-9a-f]{48}$/);
    expect(fake!.callsTo('getUpdates')).toEqual([]);

    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(textUpdate(ALICE, '/help')) });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-telegram-bot-api-secret-token': 'wrong' })).status).toBe(401);
    expect(fake!.textsTo(ALICE)).toEqual([]);
    expect((await post({ 'x-telegram-bot-api-secret-token': secret })).status).toBe(200);
    await fake!.waitFor(() => fake!.textsTo(ALICE).length === 1, 10_000, 'the reply');
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`, { method: 'POST' })).status).toBe(404);
  });
});
