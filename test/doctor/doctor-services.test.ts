/**
 * Doctor against fakes of every remote service, with the real client libraries: grammY, fetch, the Anthropic SDK,
 * supabase-js (against the PostgREST fake on real Postgres) and the Drive adapter's googleapis client.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import { driveCheck } from '../../src/doctor/checks/drive.js';
import { claudeCheck, telegramCheck, vastCheck } from '../../src/doctor/checks/services.js';
import { expectedColumns, supabaseCheck } from '../../src/doctor/checks/supabase.js';
import { runDoctor } from '../../src/doctor/doctor.js';
import { renderReport } from '../../src/doctor/render.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import type { CheckResult, DoctorCheck } from '../../src/doctor/types.js';
import { JOURNAL_MIGRATION } from '../../src/core/sinks/supabase/journal-rows.js';
import { silentLogger } from '../../src/logger.js';
import { SERVICE_KEY, SupabaseFake } from '../fakes/supabase-fake.js';
import {
  AnthropicFake,
  BOT_TOKEN,
  CLAUDE_KEY,
  DRIVE_ACCESS_TOKEN,
  DriveFilesFake,
  TelegramFake,
  VAST_BODY_SECRET,
  VAST_KEY,
  VastAccountFake,
} from './helpers/service-fakes.js';

const vast = new VastAccountFake();
const telegram = new TelegramFake();
const anthropic = new AnthropicFake();
const drive = new DriveFilesFake();
const supabase = new SupabaseFake();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-doctor-'));
  await Promise.all([vast.start(), telegram.start(), anthropic.start(), drive.start(), supabase.start([JOURNAL_MIGRATION])]);
  drive.items.set('1CaseFolder', { id: '1CaseFolder', name: 'Case files', mimeType: 'application/vnd.google-apps.folder' });
  drive.items.set('1APdf', { id: '1APdf', name: 'order.pdf', mimeType: 'application/pdf' });
});

afterAll(async () => {
  await Promise.all([vast.http.stop(), telegram.http.stop(), anthropic.http.stop(), drive.http.stop(), supabase.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function config(vars: Record<string, string>): Env {
  return loadConfig({ env: { LOCAL_WORKERS: '1', DATA_DIR: dir, ASEAGI_DB: join(dir, 'doctor.db'), ...vars }, dotenvPath: false });
}

/** Every service configured and pointed at its fake. */
function allConfigured(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_ROOT: telegram.http.url,
    ALLOWED_TELEGRAM_USER_IDS: '1001',
    VAST_AI_API_KEY: VAST_KEY,
    VAST_API_URL: vast.http.url,
    WORKER_IMAGE: 'ghcr.io/family/aseagi-worker:1.0',
    ANTHROPIC_API_KEY: CLAUDE_KEY,
    ANTHROPIC_BASE_URL: anthropic.http.url,
    SUPABASE_URL: supabase.url,
    SUPABASE_KEY: SERVICE_KEY,
    GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'unused-because-auth-is-injected.json'),
    GOOGLE_API_ROOT_URL: drive.http.url,
    DRIVE_FOLDER_ID: '1CaseFolder',
    OCR_ENGINE: 'none',
    ...overrides,
  };
}

/** An auth client holding a valid access token, so no token endpoint is needed (the fake checks the token). */
function driveAuth(token = DRIVE_ACCESS_TOKEN): () => OAuth2Client {
  return () => {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    return client;
  };
}

async function run(check: DoctorCheck, timeoutMs = 5_000): Promise<CheckResult> {
  const [outcome] = await runChecks([check], { timeoutMs });
  return outcome!;
}

describe('doctor with every integration configured', () => {
  it('says OK to everything, exits 0, and never prints a secret', async () => {
    const printed: string[] = [];
    const report = await runDoctor(() => config(allConfigured()), { logger: silentLogger(), skipWorker: true, timeoutMs: 5_000, driveAuth: driveAuth(), onResult: (o) => printed.push(o.name) });
    const byName = Object.fromEntries(report.outcomes.map((o) => [o.name, o]));
    expect(report.outcomes.filter((o) => o.status !== 'ok' && o.status !== 'off')).toEqual([]);
    expect(byName.Telegram).toMatchObject({ status: 'ok', detail: '@aseagi_test_bot answers; 1 allowed user(s).' });
    expect(byName['Vast.ai']).toMatchObject({ status: 'ok', detail: 'Key accepted; credit $42.50.' });
    expect(byName.Claude).toMatchObject({ status: 'ok', detail: 'Key accepted (newest model: claude-test-1).' });
    expect(byName.Supabase!.status).toBe('ok');
    expect(byName['Google Drive']).toMatchObject({ status: 'ok', detail: 'Credentials work; folder 1CaseFolder (DRIVE_FOLDER_ID) "Case files" is readable.' });
    expect(byName['worker image']!.status).toBe('ok');
    expect(report.exitCode).toBe(0);
    expect(printed).toEqual(report.outcomes.map((o) => o.name));

    const text = renderReport(report.outcomes) + JSON.stringify(report);
    for (const secret of [VAST_KEY, VAST_BODY_SECRET, BOT_TOKEN, CLAUDE_KEY, SERVICE_KEY, DRIVE_ACCESS_TOKEN]) expect(text).not.toContain(secret);
    expect(renderReport(report.outcomes)).toContain('Everything configured works.');
  });

  it('exits 1 when one thing is a problem, and names it with its fix', async () => {
    const report = await runDoctor(() => config(allConfigured({ VAST_AI_API_KEY: 'wrong-key-0123456789' })), { logger: silentLogger(), skipWorker: true, timeoutMs: 5_000, driveAuth: driveAuth() });
    expect(report.exitCode).toBe(1);
    const problems = report.outcomes.filter((o) => o.status === 'problem');
    expect(problems).toEqual([expect.objectContaining({ name: 'Vast.ai', detail: 'Vast.ai rejected the API key (HTTP 401).', fix: expect.stringContaining('VAST_AI_API_KEY') })]);
    expect(renderReport(report.outcomes)).toMatch(/Vast\.ai\s+PROBLEM/);
    expect(renderReport(report.outcomes)).toContain('1 problem to fix');
  });

  it('reports a configuration that does not parse as the only problem', async () => {
    const report = await runDoctor(() => config({ BATCH_SIZE: 'lots' }), { logger: silentLogger(), skipWorker: true });
    expect(report.exitCode).toBe(1);
    expect(report.outcomes).toEqual([expect.objectContaining({ name: 'configuration', status: 'problem', detail: expect.stringContaining('BATCH_SIZE') })]);
  });
});

describe('Telegram', () => {
  it('names a rejected token and an empty allow-list', async () => {
    const bad = await run(telegramCheck(config(allConfigured({ TELEGRAM_BOT_TOKEN: '1:wrong-token-0123456789' })), 5_000));
    expect(bad).toMatchObject({ status: 'problem', detail: expect.stringContaining('rejected the bot token') });
    const nobody = await run(telegramCheck(config(allConfigured({ ALLOWED_TELEGRAM_USER_IDS: '' })), 5_000));
    expect(nobody).toMatchObject({ status: 'problem', fix: expect.stringContaining('ALLOWED_TELEGRAM_USER_IDS') });
  });
});

describe('Vast.ai', () => {
  it('reports the credit, and a problem at zero', async () => {
    vast.credit = 0;
    try {
      expect(await run(vastCheck(config(allConfigured())))).toMatchObject({ status: 'problem', detail: 'Key accepted; credit $0.00: nothing can be rented.' });
      vast.credit = 3;
      expect((await run(vastCheck(config(allConfigured())))).status).toBe('warning');
    } finally {
      vast.credit = 42.5;
    }
  });

  it('turns a rate limit and a hang into problems, never an exception', async () => {
    vast.http.inject({ kind: 'rate_limit', match: { path: /users/ } });
    expect(await run(vastCheck(config(allConfigured())))).toMatchObject({ status: 'problem', detail: 'Vast.ai answered HTTP 429.' });
    vast.http.inject({ kind: 'hang', match: { path: /users/ } });
    const hung = await run(vastCheck(config(allConfigured())), 200);
    expect(hung).toMatchObject({ status: 'problem', detail: expect.stringContaining('No answer within') });
  });
});

describe('Claude', () => {
  it('names a rejected key', async () => {
    const bad = await run(claudeCheck(config(allConfigured({ ANTHROPIC_API_KEY: 'sk-ant-wrong-0123456789' })), 5_000));
    expect(bad).toMatchObject({ status: 'problem', detail: 'Anthropic rejected the API key (401).' });
    expect(JSON.stringify(bad)).not.toContain('sk-ant-wrong-0123456789');
  });
});

describe('Supabase', () => {
  it('checks exactly the columns the sink writes', () => {
    const columns = expectedColumns();
    expect(columns.document_journal).toEqual(expect.arrayContaining(['google_drive_id', 'original_filename', 'processing_status', 'error_message']));
    expect(columns.document_text).toEqual(['google_drive_id', 'content', 'char_count']);
  });

  it('names a missing table and a missing column, with the migration to run', async () => {
    const empty = new SupabaseFake();
    await empty.start();
    try {
      const env = config(allConfigured({ SUPABASE_URL: empty.url }));
      expect(await run(supabaseCheck(env))).toMatchObject({ status: 'problem', detail: 'Table document_journal does not exist.', fix: expect.stringContaining(JOURNAL_MIGRATION) });
      await empty.pg.exec('CREATE TABLE public.document_journal (google_drive_id text PRIMARY KEY, original_filename text); GRANT ALL ON public.document_journal TO service_role;');
      empty.forgetSchema();
      const missing = await run(supabaseCheck(env));
      expect(missing).toMatchObject({ status: 'problem', detail: expect.stringContaining('lacks a column') });
    } finally {
      await empty.stop();
    }
  });

  it('names a key Supabase refuses', async () => {
    const refused = await run(supabaseCheck(config(allConfigured({ SUPABASE_KEY: 'not-a-key-0123456789' }))));
    expect(refused).toMatchObject({ status: 'problem', fix: expect.stringContaining('service-role') });
  });
});

describe('Google Drive', () => {
  it('names a folder that is a file, an unknown folder, and refused credentials', async () => {
    const options = { logger: silentLogger(), timeoutMs: 5_000, auth: driveAuth() };
    const file = await run(driveCheck(config(allConfigured({ DRIVE_FOLDER_ID: '1APdf' })), options));
    expect(file).toMatchObject({ status: 'problem', detail: expect.stringContaining('not a folder') });
    const unknown = await run(driveCheck(config(allConfigured({ DRIVE_FOLDER_ID: '1Nope' })), options));
    expect(unknown).toMatchObject({ status: 'problem', detail: expect.stringContaining('1Nope') });
    const refused = await run(driveCheck(config(allConfigured()), { ...options, auth: driveAuth('ya29.revoked') }));
    expect(refused.status).toBe('problem');
  });

  it('names credentials that are not a key file, without any network call', async () => {
    const notKey = join(dir, 'credentials.json');
    writeFileSync(notKey, JSON.stringify({ hello: 'world' }));
    const before = drive.http.requests.length;
    const result = await run(driveCheck(config(allConfigured({ GOOGLE_APPLICATION_CREDENTIALS: notKey })), { logger: silentLogger(), timeoutMs: 5_000 }));
    expect(result).toMatchObject({ status: 'problem', detail: expect.stringContaining('not a service account key') });
    expect(drive.http.requests.length).toBe(before);
  });
});

describe('integrations that are not configured', () => {
  it('are off, which is not a problem', async () => {
    const env = config({});
    for (const check of [telegramCheck(env, 1_000), vastCheck(env), claudeCheck(env, 1_000), supabaseCheck(env), driveCheck(env, { logger: silentLogger(), timeoutMs: 1_000 })]) {
      expect((await run(check)).status, check.name).toBe('off');
    }
  });
});
