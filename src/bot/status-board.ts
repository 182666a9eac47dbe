/**
 * The live `/status` message: one per chat, edited in place while its session runs — at most once per interval,
 * never with identical text (Telegram refuses those edits), and once more, at once, when the session ends. Which
 * message shows which session is kept in SQLite, so edits continue after a restart.
 */
import type { Database } from 'better-sqlite3';
import { GrammyError } from 'grammy';
import type { Api } from 'grammy';
import type { Engine } from '../core/engine/engine.js';
import type { EngineEvent } from '../core/engine/events.js';
import { isFinishedSession } from '../core/engine/statuses.js';
import type { SessionView } from '../core/engine/types.js';
import { coerceError } from '../core/errors.js';
import type { Logger } from '../logger.js';
import { statusKeyboard } from './keyboards.js';
import type { Messenger } from './messenger.js';
import type { BotSettings } from './settings.js';
import { statusHtml } from './status-text.js';
import * as store from './store.js';
import type { StatusMessageRow } from './store.js';
import type { BotTimers } from './timers.js';

export interface StatusBoardDeps {
  api: Api;
  engine: Engine;
  db: Database;
  messenger: Messenger;
  settings: Pick<BotSettings, 'statusEditIntervalMs' | 'timeZone'>;
  timers: BotTimers;
  logger: Logger;
  nightlyAt(): number | null;
}

/** What an edit did: Telegram's message now shows the newest figures unless it `failed` or is `gone`. */
export type EditOutcome = 'edited' | 'unchanged' | 'gone' | 'failed';

interface LiveState {
  lastEditAt: number;
  cancelTimer: (() => void) | null;
  editing: Promise<void> | null;
  /** Another edit was asked for while one was in flight. */
  again: boolean;
}

/** Events that end a session's run or change what the message should offer: shown at once, not throttled. */
const AT_ONCE: ReadonlySet<EngineEvent['type']> = new Set([
  'session.started',
  'session.paused',
  'session.stopped',
  'session.completed',
  'session.failed',
]);

export class StatusBoard {
  private readonly live = new Map<string, LiveState>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: StatusBoardDeps) {}

  start(): void {
    this.unsubscribe = this.deps.engine.events.onAny((event) => {
      if ('sessionId' in event && typeof event.sessionId === 'string') this.onSessionEvent(event.sessionId, AT_ONCE.has(event.type));
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const state of this.live.values()) state.cancelTimer?.();
    this.live.clear();
  }

  /** Text and buttons for a session now. */
  render(view: SessionView): { text: string; keyboard: ReturnType<typeof statusKeyboard> } {
    const { settings, timers } = this.deps;
    return { text: statusHtml(view, { timeZone: settings.timeZone, now: timers.now(), nightlyAt: this.deps.nightlyAt() }), keyboard: statusKeyboard(view) };
  }

  /** Posts a new live message for a session in a chat; the chat's older one stops being edited. */
  async show(chatId: number, view: SessionView): Promise<void> {
    const { text, keyboard } = this.render(view);
    const message = await this.deps.messenger.send(chatId, text, { keyboard });
    if (!message || isFinishedSession(view.status)) return;
    store.upsertStatusMessage(this.deps.db, { chat_id: chatId, message_id: message.message_id, session_id: view.session_id, text, updated_at: this.deps.timers.now() });
    this.live.set(key(chatId, message.message_id), { lastEditAt: this.deps.timers.now(), cancelTimer: null, editing: null, again: false });
  }

  /** Whether this message is a chat's live status message. */
  isLive(chatId: number, messageId: number): boolean {
    return store.statusMessageOfChat(this.deps.db, chatId)?.message_id === messageId;
  }

  /** The Refresh button: edits now unless nothing changed. */
  async refresh(chatId: number, messageId: number, sessionId: string): Promise<EditOutcome> {
    const row = store.statusMessageOfChat(this.deps.db, chatId);
    const tracked = row && row.message_id === messageId ? row : { chat_id: chatId, message_id: messageId, session_id: sessionId, text: '', updated_at: 0 };
    return this.edit(tracked);
  }

  private onSessionEvent(sessionId: string, atOnce: boolean): void {
    for (const row of store.statusMessagesOfSession(this.deps.db, sessionId)) this.schedule(row, atOnce);
  }

  private state(row: StatusMessageRow): LiveState {
    const k = key(row.chat_id, row.message_id);
    let state = this.live.get(k);
    if (!state) {
      state = { lastEditAt: row.updated_at, cancelTimer: null, editing: null, again: false };
      this.live.set(k, state);
    }
    return state;
  }

  private schedule(row: StatusMessageRow, atOnce: boolean): void {
    const state = this.state(row);
    const due = state.lastEditAt + this.deps.settings.statusEditIntervalMs;
    const now = this.deps.timers.now();
    if (atOnce || now >= due) {
      state.cancelTimer?.();
      state.cancelTimer = null;
      this.run(row, state);
    } else if (!state.cancelTimer) {
      state.cancelTimer = this.deps.timers.setTimeout(() => {
        state.cancelTimer = null;
        const current = store.statusMessageOfChat(this.deps.db, row.chat_id);
        if (current && current.message_id === row.message_id) this.run(current, state);
      }, due - now);
    }
  }

  /** One edit in flight per message; a request meanwhile runs once more afterwards with the newest figures. */
  private run(row: StatusMessageRow, state: LiveState): void {
    if (state.editing) {
      state.again = true;
      return;
    }
    state.lastEditAt = this.deps.timers.now();
    state.editing = this.edit(row)
      .then(() => undefined)
      .finally(() => {
        state.editing = null;
        if (state.again) {
          state.again = false;
          const current = store.statusMessageOfChat(this.deps.db, row.chat_id);
          if (current && current.message_id === row.message_id) this.schedule(current, false);
        }
      });
  }

  /** Resolves once no edit is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while ([...this.live.values()].some((s) => s.editing)) await Promise.all([...this.live.values()].map((s) => s.editing));
  }

  private async edit(row: StatusMessageRow): Promise<EditOutcome> {
    const { db, engine, timers } = this.deps;
    const view = engine.view(row.session_id);
    if (!view) {
      this.forget(row);
      return 'gone';
    }
    const { text, keyboard } = this.render(view);
    const finished = isFinishedSession(view.status);
    let outcome: EditOutcome = 'unchanged';
    if (text !== row.text) {
      try {
        await this.deps.api.editMessageText(row.chat_id, row.message_id, text, { parse_mode: 'HTML', ...(keyboard ? { reply_markup: keyboard } : {}) });
        store.setStatusMessageText(db, row.chat_id, row.message_id, text, timers.now());
        row.text = text;
        outcome = 'edited';
      } catch (error) {
        outcome = this.onEditError(row, error);
      }
    }
    if (finished) this.forget(row);
    return outcome;
  }

  private onEditError(row: StatusMessageRow, error: unknown): EditOutcome {
    if (error instanceof GrammyError && /message is not modified/i.test(error.description)) return 'unchanged';
    if (error instanceof GrammyError && /message to edit not found|message can't be edited/i.test(error.description)) {
      this.forget(row);
      return 'gone';
    }
    this.deps.logger.warn({ err: coerceError(error), chatId: row.chat_id }, 'the status message could not be edited');
    return 'failed';
  }

  private forget(row: StatusMessageRow): void {
    store.deleteStatusMessage(this.deps.db, row.chat_id, row.message_id);
    const k = key(row.chat_id, row.message_id);
    this.live.get(k)?.cancelTimer?.();
    this.live.delete(k);
  }
}

function key(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}
