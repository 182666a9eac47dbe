/**
 * A fake Telegram Bot API on the shared HTTP fake: the REAL grammY client talks to it through `client.apiRoot`.
 * It keeps the chats' messages (so editing to identical text fails with 400 "message is not modified", as the real
 * API does), records every call, serves `getUpdates` as a long poll from a queue, and can answer 429 with
 * `parameters.retry_after`.
 */
import { HttpFake } from './http-fake.js';
import type { FakeResponse } from './http-fake.js';

export const FAKE_TOKEN = '123456:TEST-token-for-the-fake-bot-api';

export const FAKE_BOT_INFO = {
  id: 123456,
  is_bot: true as const,
  first_name: 'ASEAGI Batch',
  username: 'aseagi_test_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

/** One Bot API call as the fake received it. */
export interface BotCall {
  method: string;
  payload: Record<string, unknown>;
  /** The HTTP status the fake answered with (429 when a fault was injected). */
  status: number;
}

export interface StoredMessage {
  chatId: number;
  messageId: number;
  text: string;
  parseMode: string | null;
  replyMarkup: InlineKeyboard | null;
}

export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data?: string }[][];
}

interface PendingPoll {
  resolve: () => void;
}

export class FakeTelegram {
  readonly http = new HttpFake('telegram');
  readonly calls: BotCall[] = [];
  readonly messages = new Map<string, StoredMessage>();
  private nextMessageId = 1000;
  private nextUpdateId = 1;
  private readonly queue: Record<string, unknown>[] = [];
  private readonly polls = new Set<PendingPoll>();

  constructor(readonly token = FAKE_TOKEN) {
    this.http.on('POST', `/bot${token}/:method`, (request) => this.answer(request.params.method!, payloadOf(request.json, request.body)));
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  async stop(): Promise<void> {
    for (const poll of this.polls) poll.resolve();
    await this.http.stop();
  }

  /** `client.apiRoot` for grammY. */
  get apiRoot(): string {
    return this.http.url;
  }

  /** The next call to `method` is answered with 429 and `parameters.retry_after`. */
  rateLimitNext(method: string, retryAfterSeconds: number, times = 1): void {
    this.http.inject({
      kind: 'status',
      status: 429,
      body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfterSeconds}`, parameters: { retry_after: retryAfterSeconds } },
      match: { method: 'POST', path: new RegExp(`/${method}$`) },
      times,
    });
  }

  /** Queues an update for `getUpdates` (long polling). */
  pushUpdate(update: Record<string, unknown>): void {
    this.queue.push({ update_id: this.nextUpdateId++, ...update });
    for (const poll of this.polls) poll.resolve();
  }

  callsTo(method: string): BotCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  /** Texts of messages sent to a chat (successful `sendMessage` calls), in order. */
  textsTo(chatId: number): string[] {
    return this.callsTo('sendMessage')
      .filter((c) => Number(c.payload.chat_id) === chatId)
      .map((c) => String(c.payload.text));
  }

  message(chatId: number, messageId: number): StoredMessage | undefined {
    return this.messages.get(`${chatId}:${messageId}`);
  }

  /** The newest message in a chat whose text matches. */
  lastMessage(chatId: number, match: RegExp = /./s): StoredMessage | undefined {
    const all = [...this.messages.values()].filter((m) => m.chatId === chatId && match.test(m.text));
    return all.at(-1);
  }

  /** Callback data of every button of a stored message, by button text. */
  buttons(message: StoredMessage | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const row of message?.replyMarkup?.inline_keyboard ?? []) for (const b of row) if (b.callback_data) out[b.text] = b.callback_data;
    return out;
  }

  /** Resolves when `predicate` holds (checked every 20 ms); fails after `timeoutMs`. */
  async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 30_000, what = 'a condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`fake Telegram: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async answer(method: string, payload: Record<string, unknown>): Promise<FakeResponse> {
    const response = await this.respond(method, payload);
    this.calls.push({ method, payload, status: response.status ?? 200 });
    return response;
  }

  private respond(method: string, payload: Record<string, unknown>): FakeResponse | Promise<FakeResponse> {
    switch (method) {
      case 'getMe':
        return ok(FAKE_BOT_INFO);
      case 'sendMessage':
        return this.sendMessage(payload);
      case 'editMessageText':
        return this.editMessageText(payload);
      case 'editMessageReplyMarkup':
        return this.editReplyMarkup(payload);
      case 'getUpdates':
        return this.getUpdates(payload);
      case 'answerCallbackQuery':
      case 'setMyCommands':
      case 'deleteWebhook':
      case 'setWebhook':
      case 'deleteMessage':
      case 'sendChatAction':
        return ok(true);
      default:
        return error(404, `Not Found: method ${method} is not in the fake`);
    }
  }

  private sendMessage(payload: Record<string, unknown>): FakeResponse {
    const text = String(payload.text ?? '');
    if (text.length === 0) return error(400, 'Bad Request: message text is empty');
    if (text.length > 4096) return error(400, 'Bad Request: message is too long');
    const parseError = payload.parse_mode === 'HTML' ? htmlProblem(text) : null;
    if (parseError) return error(400, `Bad Request: can't parse entities: ${parseError}`);
    const chatId = Number(payload.chat_id);
    const message: StoredMessage = {
      chatId,
      messageId: this.nextMessageId++,
      text,
      parseMode: typeof payload.parse_mode === 'string' ? payload.parse_mode : null,
      replyMarkup: (payload.reply_markup as InlineKeyboard | undefined) ?? null,
    };
    this.messages.set(`${chatId}:${message.messageId}`, message);
    return ok(toApiMessage(message));
  }

  private editMessageText(payload: Record<string, unknown>): FakeResponse {
    const stored = this.messages.get(`${Number(payload.chat_id)}:${Number(payload.message_id)}`);
    if (!stored) return error(400, 'Bad Request: message to edit not found');
    const text = String(payload.text ?? '');
    if (text.length > 4096) return error(400, 'Bad Request: MESSAGE_TOO_LONG');
    const parseError = payload.parse_mode === 'HTML' ? htmlProblem(text) : null;
    if (parseError) return error(400, `Bad Request: can't parse entities: ${parseError}`);
    const markup = (payload.reply_markup as InlineKeyboard | undefined) ?? null;
    if (stored.text === text && JSON.stringify(stored.replyMarkup) === JSON.stringify(markup)) {
      return error(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    stored.text = text;
    stored.replyMarkup = markup;
    return ok(toApiMessage(stored));
  }

  private editReplyMarkup(payload: Record<string, unknown>): FakeResponse {
    const stored = this.messages.get(`${Number(payload.chat_id)}:${Number(payload.message_id)}`);
    if (!stored) return error(400, 'Bad Request: message to edit not found');
    stored.replyMarkup = (payload.reply_markup as InlineKeyboard | undefined) ?? null;
    return ok(toApiMessage(stored));
  }

  private async getUpdates(payload: Record<string, unknown>): Promise<FakeResponse> {
    const offset = Number(payload.offset ?? 0);
    while (this.queue.length > 0 && Number(this.queue[0]!.update_id) < offset) this.queue.shift();
    if (this.queue.length === 0) {
      const timeoutMs = Math.min(Number(payload.timeout ?? 0), 1) * 1000;
      await new Promise<void>((resolve) => {
        const poll: PendingPoll = { resolve: () => finish() };
        const timer = setTimeout(() => finish(), timeoutMs);
        this.polls.add(poll);
        const finish = (): void => {
          clearTimeout(timer);
          this.polls.delete(poll);
          resolve();
        };
      });
    }
    const limit = Number(payload.limit ?? 100);
    return ok(this.queue.filter((u) => Number(u.update_id) >= offset).slice(0, limit));
  }
}

function payloadOf(json: unknown, body: Buffer): Record<string, unknown> {
  if (json && typeof json === 'object') return json as Record<string, unknown>;
  if (body.length === 0) return {};
  throw new Error('the fake Bot API understands JSON bodies only');
}

function ok(result: unknown): FakeResponse {
  return { status: 200, body: { ok: true, result } };
}

function error(code: number, description: string): FakeResponse {
  return { status: code, body: { ok: false, error_code: code, description } };
}

function toApiMessage(m: StoredMessage): Record<string, unknown> {
  return {
    message_id: m.messageId,
    date: Math.floor(Date.now() / 1000),
    chat: { id: m.chatId, type: m.chatId > 0 ? 'private' : 'group', ...(m.chatId > 0 ? { first_name: 'Tester' } : { title: 'Team' }) },
    from: { id: FAKE_BOT_INFO.id, is_bot: true, first_name: FAKE_BOT_INFO.first_name },
    text: m.text,
    ...(m.replyMarkup ? { reply_markup: m.replyMarkup } : {}),
  };
}

const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a', 'tg-spoiler', 'blockquote', 'span']);

/** What Telegram's HTML parser would reject: unknown or unbalanced tags, a bare `<` or `&`. Null when fine. */
export function htmlProblem(text: string): string | null {
  const stack: string[] = [];
  const token = /<\/?([a-zA-Z-]*)[^>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[<&>]/g;
  for (const match of text.matchAll(token)) {
    const [whole, tag] = match;
    if (whole === '<' || whole === '&') return `unescaped "${whole}" at ${match.index}`;
    if (whole.startsWith('&')) {
      if (!/^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);$/.test(whole)) return `unsupported entity ${whole}`;
      continue;
    }
    if (whole === '>') continue;
    const name = (tag ?? '').toLowerCase();
    if (!ALLOWED_TAGS.has(name)) return `unsupported start tag "${name}"`;
    if (whole.startsWith('</')) {
      if (stack.pop() !== name) return `unmatched end tag "${name}"`;
    } else stack.push(name);
  }
  return stack.length > 0 ? `unclosed tag "${stack.at(-1)}"` : null;
}

// ─── Updates ────────────────────────────────────────────────────────────────────────────────────────────────

let updateSequence = 1;

export function user(id: number, firstName = `User${id}`): { id: number; is_bot: false; first_name: string } {
  return { id, is_bot: false, first_name: firstName };
}

/** A text message from `fromId` in its private chat (or `chatId`); commands get their entity. */
export function textUpdate(fromId: number, text: string, chatId = fromId): Record<string, unknown> & { update_id: number } {
  const command = /^\/[a-z_]+(@\w+)?/.exec(text);
  return {
    update_id: updateSequence++,
    message: {
      message_id: updateSequence * 10,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: chatId > 0 ? 'private' : 'group', ...(chatId > 0 ? { first_name: `User${fromId}` } : { title: 'Team' }) },
      from: user(fromId),
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    },
  };
}

/** A button press on `message` by `fromId`. */
export function callbackUpdate(fromId: number, message: StoredMessage, data: string): Record<string, unknown> & { update_id: number } {
  return {
    update_id: updateSequence++,
    callback_query: {
      id: `cbq-${updateSequence}`,
      from: user(fromId),
      chat_instance: `ci-${message.chatId}`,
      data,
      message: toApiMessage(message),
    },
  };
}
