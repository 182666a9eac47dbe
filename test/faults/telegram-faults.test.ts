/**
 * Fault matrix, Telegram row: faults on the Bot API while the REAL bot (grammY with auto-retry, the notifier and its
 * per-chat message queue) tells two chats about a small real session. The engine never waits for Telegram: every
 * session completes with its books balanced, and each notice arrives once — or, where Telegram cannot be
 * understood to ask for a retry, is logged as not sent. See fault-table.ts for the whole matrix.
 */
import type { AutoRetryOptions } from '@grammyjs/auto-retry';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramBot } from '../../src/bot/bot.js';
import type { TelegramBot } from '../../src/bot/bot.js';
import type { BotSettings } from '../../src/bot/settings.js';
import { FAKE_BOT_INFO, FAKE_TOKEN, FakeTelegram } from '../fakes/telegram-bot-api.js';
import { faultsSince, inject } from './helpers/faults.js';
import type { FaultBody } from './helpers/faults.js';
import { expectCloudBooks } from './helpers/accounting.js';
import { useCloudFakes } from './helpers/cloud-cell.js';
import type { CloudCell } from './helpers/cloud-cell.js';
import { runCells } from './fault-table.js';
import type { FaultName } from './fault-table.js';

const ALICE = 111;
const TEAM = -100_222;
const SEND = { method: 'POST', path: /\/sendMessage$/ };

const tooMany = (parameters: Record<string, unknown> | null): FaultBody => ({
  kind: 'status',
  status: 429,
  body: { ok: false, error_code: 429, description: 'Too Many Requests: retry later', ...(parameters ? { parameters } : {}) },
});

interface Scenario {
  fault: FaultBody;
  times: number;
  /** Notices that must arrive; the others must be logged as not sent. */
  delivered: 'all' | 'all but one';
  retry?: AutoRetryOptions;
}

const SCENARIOS: Partial<Record<FaultName, Scenario>> = {
  '429 with retry-after': { fault: tooMany({ retry_after: 1 }), times: 2, delivered: 'all' },
  '429 without retry-after': { fault: tooMany(null), times: 1, delivered: 'all but one' },
  '5xx': { fault: { kind: 'status', status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } }, times: 1, delivered: 'all' },
  'timeout (hang)': { fault: { kind: 'hang' }, times: 1, delivered: 'all' },
  'connection reset': { fault: { kind: 'reset' }, times: 1, delivered: 'all' },
  'slow body': { fault: { kind: 'slow_body', bytesPerChunk: 32, delayMs: 10 }, times: 2, delivered: 'all' },
};

interface LogLine {
  level: number;
  msg: string;
}

// Registered first, so its after-hooks run last: the bot stops before the cell it watches is cleaned up.
const cloud = useCloudFakes();
let telegram: FakeTelegram;
let bot: TelegramBot | null = null;
let logs: LogLine[] = [];

beforeAll(async () => {
  telegram = await new FakeTelegram().start();
});

afterEach(async () => {
  telegram.http.clearFaults();
  await bot?.stop();
  bot = null;
});

afterAll(async () => {
  await telegram.stop();
});

function settings(notifyEveryBatches: number): BotSettings {
  return {
    token: FAKE_TOKEN,
    allowedUserIds: [ALICE],
    notifyChatIds: [ALICE, TEAM],
    notifyEveryBatches,
    apiRoot: undefined,
    webhookUrl: undefined,
    webhookHost: '127.0.0.1',
    webhookPort: 8443,
    resumeCron: '0 2 * * *',
    timeZone: 'UTC',
    defaultSource: { kind: 'gdrive', folderId: 'unused' },
    quoteTtlMs: 600_000,
    localWorkers: 1,
    statusEditIntervalMs: 5_000,
    errorWindowMs: 30_000,
    maxPricePerHour: undefined,
    apiUrl: 'http://127.0.0.1:8001',
  };
}

/** The real bot on the cell's engine, telling ALICE and the team; only the notifier is started (no cron). */
function startBot(c: CloudCell, retry?: AutoRetryOptions, notifyEveryBatches = 1): TelegramBot {
  logs = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const made = createTelegramBot({
    engine: c.fixture.engine,
    db: c.fixture.store.db,
    compute: c.fakes.compute,
    analyzer: { kind: 'none', enabled: false, estimateCostPerDocument: () => 0, analyze: () => Promise.resolve([]) },
    logger,
    settings: settings(notifyEveryBatches),
    client: { apiRoot: telegram.apiRoot, timeoutSeconds: 2 },
    botInfo: FAKE_BOT_INFO,
    ...(retry ? { retry } : {}),
  });
  made.notifier.start();
  return made;
}

/** What each chat was sent (successful sendMessage calls since `from`), by the notice's first words. */
function noticesSince(from: number, chatId: number): string[] {
  return telegram.calls
    .slice(from)
    .filter((c) => c.method === 'sendMessage' && c.status === 200 && Number(c.payload.chat_id) === chatId)
    .map((c) => String(c.payload.text).split(/[:\n]/)[0]!.replace(/<\/?b>/g, ''));
}

const EXPECTED_NOTICES = ['Started', 'Progress', 'Finished'];
const notSent = (): LogLine[] => logs.filter((l) => l.msg === 'a Telegram message could not be sent');

describe('fault matrix: Telegram', () => {
  it.each(runCells('telegram'))('%s', async (_title, { fault }) => {
    const cell = await cloud.cell();
    const claudeBefore = cell.fakes.claude.batchedRequests;
    const sessionId = await cell.plan();
    if (fault === 'down past retries') return downPastRetries(cell, sessionId, claudeBefore);
    const scenario = SCENARIOS[fault];
    expect(scenario, `no scenario for ${fault}`).toBeDefined();
    bot = startBot(cell, scenario!.retry);
    const from = telegram.calls.length;
    const faultsFrom = telegram.http.requests.length;
    inject(telegram.http, scenario!.fault, SEND, scenario!.times);

    const view = await cell.run(sessionId);
    await bot.messenger.idle();

    await expectCloudBooks(cell, sessionId, view, { done: 8 }, claudeBefore);
    expect(faultsSince(telegram.http, faultsFrom)).toBe(scenario!.times);
    const received = [...noticesSince(from, ALICE), ...noticesSince(from, TEAM)].sort();
    const all = [...EXPECTED_NOTICES, ...EXPECTED_NOTICES].sort();
    if (scenario!.delivered === 'all') {
      expect(received).toEqual(all);
      expect(notSent()).toEqual([]);
    } else {
      expect(received).toHaveLength(all.length - 1);
      expect(all).toEqual(expect.arrayContaining(received));
      expect(notSent()).toHaveLength(1);
    }
  });
});

/**
 * Telegram answers 502 to everything while the session runs (auto-retry tries each send once more after 3 s here,
 * instead of for minutes): the session completes all the same, the lost notices (Started and Finished, to two
 * chats) are logged, and the next notice, once Telegram is back, arrives.
 */
async function downPastRetries(c: CloudCell, sessionId: string, claudeBefore: number): Promise<void> {
  bot = startBot(c, { maxRetryAttempts: 0, maxDelaySeconds: 120, rethrowInternalServerErrors: false, rethrowHttpErrors: false }, 1_000);
  telegram.http.inject({ kind: 'status', status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' }, match: SEND, times: 1_000 });
  const from = telegram.calls.length;

  const view = await c.run(sessionId);
  await expectCloudBooks(c, sessionId, view, { done: 8 }, claudeBefore);
  await bot.messenger.idle();
  expect(noticesSince(from, ALICE)).toEqual([]);
  expect(notSent()).toHaveLength(4);

  telegram.http.clearFaults();
  bot.notifier.tell('<b>Test</b> after the outage');
  await bot.messenger.idle();
  expect(noticesSince(from, ALICE)).toEqual(['Test after the outage']);
}
