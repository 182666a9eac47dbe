import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGoogleAuth } from '../../src/cli/auth-google.js';
import { loadConfig } from '../../src/config.js';
import type { Env } from '../../src/config.js';
import { fromOAuthClient, readOAuthClient } from '../../src/core/sources/drive/drive-auth.js';
import { createDriveSource } from '../../src/core/sources/drive/drive-source.js';
import { resolveDriveSpec } from '../../src/core/sources/drive/drive-spec.js';
import { createApp, syncDriveChangesFor } from '../../src/main.js';
import { maskSecrets, silentLogger } from '../../src/logger.js';
import { DriveFake } from '../fakes/drive-fake.js';
import { listAll } from './drive-helpers.js';

let dir: string;
let fake: DriveFake;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloud-wiring-'));
  fake = await new DriveFake().start();
});
afterEach(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(vars: Record<string, string>): Env {
  return loadConfig({ env: { ASEAGI_DB: join(dir, 'app.db'), LOCAL_WORKERS: '1', ...vars }, dotenvPath: false });
}

/** A credentials.json as the Google Cloud console downloads it, with its endpoints on the fake. */
function writeOAuthClient(): string {
  const path = join(dir, 'credentials.json');
  writeFileSync(path, JSON.stringify({ installed: { client_id: 'desk.apps.googleusercontent.com', client_secret: 'GOCSPX-desk-secret', auth_uri: `${fake.http.url}/auth`, token_uri: `${fake.http.url}/token`, redirect_uris: ['http://localhost'] } }));
  return path;
}

/** Plays the browser: reads the consent URL, "approves", and follows Google's redirect to the loopback server. */
async function consent(url: string): Promise<void> {
  const params = new URL(url).searchParams;
  expect(params.get('scope')).toBe('https://www.googleapis.com/auth/drive.readonly');
  expect(params.get('access_type')).toBe('offline');
  expect(params.get('code_challenge_method')).toBe('S256');
  const code = fake.approveConsent(params.get('code_challenge'));
  const response = await fetch(`${params.get('redirect_uri')}?code=${encodeURIComponent(code)}&state=${params.get('state')}`);
  expect(response.status).toBe(200);
}

describe('configuration of the cloud path', () => {
  it('parses the Drive, Supabase and Claude settings with their defaults, and names bad values', () => {
    const env = config({});
    expect(env).toMatchObject({ DRIVE_MIME_TYPES: ['application/pdf'], DRIVE_INCLUDE_GOOGLE_DOCS: false, GOOGLE_TOKEN_PATH: 'data/google-token.json', ANALYSIS_MODE: 'batch', CLAUDE_MODEL: 'claude-sonnet-4-6', ANALYSIS_MAX_INPUT_TOKENS: 30_000, CLAUDE_PRICE_PER_MTOK: null, SUPABASE_CHUNK_ROWS: 500 });
    expect(config({ DRIVE_MIME_TYPES: 'application/pdf, image/png', CLAUDE_PRICE_PER_MTOK: '2.5,12' })).toMatchObject({ DRIVE_MIME_TYPES: ['application/pdf', 'image/png'], CLAUDE_PRICE_PER_MTOK: { input: 2.5, output: 12 } });
    expect(() => config({ DRIVE_MIME_TYPES: 'text/plain' })).toThrow(/DRIVE_MIME_TYPES: must be among/);
    expect(() => config({ CLAUDE_PRICE_PER_MTOK: 'cheap' })).toThrow(/CLAUDE_PRICE_PER_MTOK/);
    expect(() => config({ ANALYSIS_MODE: 'sometimes' })).toThrow(/ANALYSIS_MODE/);
  });

  it('switches Supabase and Claude on when their settings are present, keeping the local index', async () => {
    const app = createApp(config({ SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_KEY: 'sb_secret_wiring_test_key', CLAUDE_API_KEY: 'sk-ant-wiring-test-key', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }), silentLogger());
    try {
      expect(app.sink.kind).toBe('supabase');
      expect(typeof app.sink.write).toBe('function');
      expect(typeof app.sink.writeAnalysis).toBe('function');
      expect(typeof app.sink.writeInTransaction).toBe('function');
      expect(app.analyzer).toMatchObject({ kind: 'claude', enabled: true });
      expect(maskSecrets('key sk-ant-wiring-test-key and sb_secret_wiring_test_key')).not.toMatch(/sk-ant|sb_secret/);
    } finally {
      await app.close();
    }
    const plain = createApp(config({ CLAUDE_API_KEY: 'sk-ant-wiring-test-key', ANALYSIS_MODE: 'off' }), silentLogger());
    try {
      expect(plain.sink.kind).toBe('sqlite');
      expect(plain.analyzer.enabled).toBe(false);
    } finally {
      await plain.close();
    }
  });

  it('refuses half a Supabase configuration without leaving the database locked', async () => {
    expect(() => createApp(config({ SUPABASE_URL: 'http://127.0.0.1:9' }), silentLogger())).toThrow(/SUPABASE_KEY is missing/);
    const app = createApp(config({}), silentLogger());
    await app.close();
  });
});

describe('aseagi auth google, then Drive through the app', () => {
  it('runs the loopback consent flow with PKCE, stores the refresh token 0600, and the app lists Drive with it', async () => {
    const clientFile = writeOAuthClient();
    const tokenFile = join(dir, 'data', 'google-token.json');
    const result = await runGoogleAuth({ clientFile, tokenFile, showUrl: (url) => void consent(url) });
    expect(result.scope).toContain('drive.readonly');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, string>;
    expect(stored.refresh_token).toMatch(/^1\/\/fake-refresh-/);
    expect(stored).not.toHaveProperty('access_token');

    const folder = fake.addFolder('Cases', fake.rootId);
    fake.addFile('order.pdf', folder);
    const app = createApp(config({ GOOGLE_OAUTH_CLIENT: clientFile, GOOGLE_TOKEN_PATH: tokenFile, GOOGLE_API_ROOT_URL: fake.rootUrl, DRIVE_FOLDER_ID: folder }), silentLogger());
    try {
      const docs = [];
      for await (const doc of app.openSource({ kind: 'gdrive', folderId: null }).list({})) docs.push(doc);
      expect(docs.map((d) => d.name)).toEqual(['order.pdf']);
      expect(maskSecrets(`refresh ${stored.refresh_token!}`)).not.toContain(stored.refresh_token);
      expect((await syncDriveChangesFor(app)).initialised).toBe(true);
      fake.addFile('new.pdf', folder);
      expect((await syncDriveChangesFor(app)).changed.map((d) => d.name)).toEqual(['new.pdf']);
    } finally {
      await app.close();
    }
  });

  it('says what to do when consent is refused, and when nothing was authorised yet', async () => {
    const clientFile = writeOAuthClient();
    const denied = runGoogleAuth({
      clientFile,
      tokenFile: join(dir, 'token.json'),
      showUrl: (url) => {
        const params = new URL(url).searchParams;
        void fetch(`${params.get('redirect_uri')}?error=access_denied&state=${params.get('state')}`);
      },
    });
    await expect(denied).rejects.toMatchObject({ code: 'google_auth_denied' });
    expect(() => fromOAuthClient(readOAuthClient(clientFile), join(dir, 'none.json'))).toThrow(expect.objectContaining({ code: 'google_auth_missing' }) as Error);
  });

  it('an expired refresh token (apps in "Testing": 7 days) fails the listing with the fix', async () => {
    const clientFile = writeOAuthClient();
    const tokenFile = join(dir, 'token.json');
    writeFileSync(tokenFile, JSON.stringify({ refresh_token: '1//expired-after-seven-days' }));
    const folder = fake.addFolder('Cases', fake.rootId);
    const source = createDriveSource({
      spec: resolveDriveSpec({ kind: 'gdrive', folderId: folder }, { folderId: null, driveId: null, mimeTypes: ['application/pdf'], includeGoogleDocs: false }),
      auth: fromOAuthClient(readOAuthClient(clientFile), tokenFile),
      logger: silentLogger(),
      rootUrl: fake.rootUrl,
    });
    await expect(listAll(source)).rejects.toMatchObject({ code: 'google_auth_expired', hint: expect.stringContaining('Testing') });
  });
});
