/**
 * Small fakes of the services doctor calls, on the shared HTTP fake toolkit, shaped like the real answers
 * (../shared/reference): Vast's account endpoint (whose body carries the account's API key), Telegram's getMe,
 * Anthropic's model list, and Drive's files.get.
 */
import { HttpFake } from '../../fakes/http-fake.js';
import type { FakeRequest, FakeResponse } from '../../fakes/http-fake.js';

export const VAST_KEY = 'vast-key-0123456789abcdef0123456789';
/** The account body contains the API key; doctor must never show it. */
export const VAST_BODY_SECRET = 'api-key-echoed-in-account-body-0123456789';
export const BOT_TOKEN = '123456789:AAFakeBotToken-0123456789abcdefghij';
export const CLAUDE_KEY = 'sk-ant-fake-0123456789abcdef';
export const DRIVE_ACCESS_TOKEN = 'ya29.fake-access-token-0123456789';

const bearer = (req: FakeRequest): string | undefined => /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];

export class VastAccountFake {
  readonly http = new HttpFake('vast');
  credit = 42.5;

  async start(): Promise<this> {
    this.http.on('GET', '/api/v0/users/current/', (req) => {
      if (bearer(req) !== VAST_KEY) return { status: 401, body: { success: false, error: 'auth_error', msg: 'Invalid user key' } };
      return { status: 200, body: { id: 77, username: 'family', email: 'family@example.org', credit: this.credit, balance: 0, api_key: VAST_BODY_SECRET } };
    });
    await this.http.start();
    return this;
  }
}

export class TelegramFake {
  readonly http = new HttpFake('telegram');

  async start(): Promise<this> {
    const getMe = (req: FakeRequest): FakeResponse =>
      req.params.token === BOT_TOKEN
        ? { status: 200, body: { ok: true, result: { id: 123456789, is_bot: true, first_name: 'ASEAGI', username: 'aseagi_test_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false } } }
        : { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    this.http.on('POST', '/bot:token/getMe', getMe).on('GET', '/bot:token/getMe', getMe);
    await this.http.start();
    return this;
  }
}

export class AnthropicFake {
  readonly http = new HttpFake('anthropic');

  async start(): Promise<this> {
    this.http.on('GET', '/v1/models', (req) => {
      const key = bearer(req) ?? req.headers['x-api-key'];
      if (key !== CLAUDE_KEY) return { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } };
      const model = { type: 'model', id: 'claude-test-1', display_name: 'Claude Test', created_at: '2026-10-01T00:00:00Z' };
      return { status: 200, body: { data: [model], has_more: false, first_id: model.id, last_id: model.id } };
    });
    await this.http.start();
    return this;
  }
}

export interface FakeDriveItem {
  id: string;
  name: string;
  mimeType: string;
}

export class DriveFilesFake {
  readonly http = new HttpFake('drive');
  readonly items = new Map<string, FakeDriveItem>();

  async start(): Promise<this> {
    this.http.on('GET', '/drive/v3/files/:id', (req) => {
      if (bearer(req) !== DRIVE_ACCESS_TOKEN) return googleError(401, 'authError', 'Request had invalid authentication credentials.');
      const item = this.items.get(req.params.id!);
      if (!item) return googleError(404, 'notFound', `File not found: ${req.params.id}.`);
      return { status: 200, body: { kind: 'drive#file', ...item } };
    });
    await this.http.start();
    return this;
  }
}

function googleError(code: number, reason: string, message: string): FakeResponse {
  return { status: code, body: { error: { code, message, errors: [{ domain: 'global', reason, message }], status: code === 404 ? 'NOT_FOUND' : 'UNAUTHENTICATED' } } };
}
