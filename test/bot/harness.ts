/**
 * The bot under test: the REAL grammY bot talking to the fake Bot API, a REAL engine (`createApp`) on a temporary
 * SQLite database with REAL local worker processes (one, OCR off), tiny text PDFs made with pdf-lib, and a clock
 * the test moves (engine and bot share it, so quotes and confirmations age alike).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { pino } from 'pino';
import { createTelegramBot } from '../../src/bot/bot.js';
import type { TelegramBot } from '../../src/bot/bot.js';
import type { CronLike } from '../../src/bot/nightly-resume.js';
import { botSettingsFromEnv } from '../../src/bot/settings.js';
import type { BotSettings } from '../../src/bot/settings.js';
import type { BotTimers } from '../../src/bot/timers.js';
import { loadConfig } from '../../src/config.js';
import type { Env } from '../../src/config.js';
import { systemClock } from '../../src/core/clock.js';
import type { EngineEvent } from '../../src/core/engine/events.js';
import type { Clock, ComputeProvider } from '../../src/core/engine/ports.js';
import type { Logger } from '../../src/logger.js';
import { createApp } from '../../src/main.js';
import type { App } from '../../src/main.js';
import { FAKE_BOT_INFO, FAKE_TOKEN, FakeTelegram, callbackUpdate, textUpdate } from '../fakes/telegram-bot-api.js';
import type { StoredMessage } from '../fakes/telegram-bot-api.js';

export const ALICE = 111;
export const BOB = 222;
export const STRANGER = 999;

/** Real time plus an offset the test adds to; bot timers fire only when the test advances. */
export class TestClock implements Clock, BotTimers {
  offset = 0;
  private frozenAt: number | null = null;
  private timers: { at: number; callback: () => void }[] = [];

  now(): number {
    return this.frozenAt ?? Date.now() + this.offset;
  }

  /** Stops time (for comparing two renderings that show times); {@link thaw} continues from there. */
  freeze(): void {
    this.frozenAt = this.now();
  }

  thaw(): void {
    if (this.frozenAt === null) return;
    this.offset = this.frozenAt - Date.now();
    this.frozenAt = null;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }

  setTimeout(callback: () => void, ms: number): () => void {
    const timer = { at: this.now() + ms, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward and fires every bot timer now due, in order. */
  advance(ms: number): void {
    this.offset += ms;
    if (this.frozenAt !== null) this.frozenAt += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.now()).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.callback();
    }
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}

/** Writes `n` one-page text PDFs into `folder`; each says its number and "hearing notice". */
export async function writePdfs(folder: string, n: number, prefix = 'notice'): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const names: string[] = [];
  for (let i = 1; i <= n; i += 1) {
    const doc = await PDFDocument.create();
    doc.setCreationDate(new Date('2025-01-01T00:00:00Z'));
    doc.setModificationDate(new Date('2025-01-01T00:00:00Z'));
    const font = await doc.embedFont(StandardFonts.Helvetica);
    doc.addPage([300, 200]).drawText(`Hearing notice number ${prefix} ${i} custody schedule`, { x: 10, y: 100, size: 10, font });
    const name = `${prefix}-${String(i).padStart(3, '0')}.pdf`;
    writeFileSync(join(folder, name), await doc.save());
    names.push(name);
  }
  return names;
}

/** A file that is not a document at all (the worker answers `unsupported_type`). */
export function writeJunk(folder: string, name: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, name), 'this is not a PDF, only some text\n'.repeat(4));
}

export interface HarnessOptions {
  env?: Record<string, string>;
  settings?: Partial<BotSettings>;
  compute?: (env: Env, logger: Logger, clock: TestClock) => ComputeProvider;
  dir?: string;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class BotHarness {
  readonly clock = new TestClock();
  readonly logs: LogLine[] = [];
  readonly logger: Logger;
  readonly cronTasks: ScheduledTask[] = [];
  readonly events: EngineEvent[] = [];
  env!: Env;
  app!: App;
  telegram!: TelegramBot;

  constructor(
    readonly dir: string,
    readonly fake: FakeTelegram,
    private readonly options: HarnessOptions,
  ) {
    this.logger = pino({ level: 'info' }, { write: (line: string) => void this.logs.push(JSON.parse(line) as LogLine) });
  }

  get inbox(): string {
    return join(this.dir, 'inbox');
  }

  get db(): App['store']['db'] {
    return this.app.store.db;
  }

  /** Opens (or re-opens, after {@link close}) the app and the bot on the same database. */
  open(): void {
    this.env = loadConfig({
      dotenvPath: false,
      env: {
        ASEAGI_DB: join(this.dir, 'aseagi.db'),
        DATA_DIR: this.dir,
        INBOX_DIR: this.inbox,
        LOCAL_WORKERS: '1',
        OCR_ENGINE: 'none',
        BATCH_SIZE: '5',
        LOG_LEVEL: 'silent',
        TELEGRAM_BOT_TOKEN: FAKE_TOKEN,
        ALLOWED_TELEGRAM_USER_IDS: `${ALICE},${BOB}`,
        ...this.options.env,
      },
    });
    const compute = this.options.compute?.(this.env, this.logger, this.clock);
    this.app = createApp(this.env, this.logger, { clock: this.clock, ...(compute ? { compute } : {}) });
    this.app.engine.events.onAny((e) => this.events.push(e));
    // Edits of the live message wait for the test to advance time, so what is edited when is exact.
    const settings: BotSettings = { ...botSettingsFromEnv(this.env)!, statusEditIntervalMs: 3_600_000, ...this.options.settings };
    const cronLike: CronLike = {
      schedule: (expression, task, options) => {
        const scheduled = cron.schedule(expression, task, options);
        this.cronTasks.push(scheduled);
        return scheduled;
      },
    };
    this.telegram = createTelegramBot({
      engine: this.app.engine,
      db: this.app.store.db,
      compute: this.app.compute,
      analyzer: this.app.analyzer,
      logger: this.logger,
      settings,
      timers: this.clock,
      client: { apiRoot: this.fake.apiRoot },
      botInfo: FAKE_BOT_INFO,
      cron: cronLike,
    });
    this.telegram.start();
  }

  async close(): Promise<void> {
    await this.telegram.stop();
    await this.app.close();
    for (const task of this.cronTasks.splice(0)) await task.destroy();
  }

  /** A service restart: everything in memory is gone; SQLite and Telegram's chat history remain. */
  async restart(): Promise<void> {
    await this.close();
    this.open();
  }

  async send(text: string, from = ALICE, chatId = from): Promise<void> {
    await this.telegram.bot.handleUpdate(textUpdate(from, text, chatId) as never);
  }

  /** Presses the button whose text matches on `message`. */
  async tap(message: StoredMessage | undefined, button: string | RegExp, from = ALICE): Promise<void> {
    if (!message) throw new Error('no message to tap on');
    const buttons = this.fake.buttons(message);
    const label = Object.keys(buttons).find((b) => (typeof button === 'string' ? b === button : button.test(b)));
    if (!label) throw new Error(`no button ${String(button)} on "${message.text.slice(0, 80)}" (has: ${Object.keys(buttons).join(' | ')})`);
    await this.telegram.bot.handleUpdate(callbackUpdate(from, message, buttons[label]!) as never);
  }

  /** The newest message to a chat matching `pattern`, waiting for it if needed. */
  async message(pattern: RegExp, chatId = ALICE, timeoutMs = 30_000): Promise<StoredMessage> {
    return this.fake.waitFor(() => this.fake.lastMessage(chatId, pattern), timeoutMs, `a message matching ${pattern}`);
  }

  /** Resolves with the next event of one of these types. */
  nextEvent<T extends EngineEvent['type']>(...types: T[]): Promise<Extract<EngineEvent, { type: T }>> {
    return new Promise((resolve) => {
      const off = this.app.engine.events.onAny((e) => {
        if ((types as string[]).includes(e.type)) {
          off();
          resolve(e as Extract<EngineEvent, { type: T }>);
        }
      });
    });
  }

  /** Waits until nothing is being sent or edited. */
  async settle(): Promise<void> {
    await this.telegram.messenger.idle();
    await this.telegram.board.idle();
  }

  texts(chatId = ALICE): string[] {
    return this.fake.textsTo(chatId);
  }
}

export async function createHarness(options: HarnessOptions = {}): Promise<BotHarness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'aseagi-bot-'));
  const fake = await new FakeTelegram().start();
  const harness = new BotHarness(dir, fake, options);
  harness.open();
  return harness;
}

export async function destroyHarness(harness: BotHarness | undefined): Promise<void> {
  if (!harness) return;
  await harness.close().catch(() => undefined);
  await harness.fake.stop();
  rmSync(harness.dir, { recursive: true, force: true });
}
