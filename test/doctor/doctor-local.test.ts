/** Doctor's checks of this machine: database, disk, a real worker process, OCR engines, the worker image setting. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Env } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/core/store/database.js';
import { databaseCheck, diskCheck, findOnPath, ocrCheck, workerCheck, workerImageCheck } from '../../src/doctor/checks/local.js';
import type { WorkerProbe } from '../../src/doctor/checks/local.js';
import { doctorExitCode, runChecks } from '../../src/doctor/run-checks.js';
import type { CheckResult, DoctorCheck } from '../../src/doctor/types.js';
import { silentLogger } from '../../src/logger.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-doctor-local-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function config(vars: Record<string, string> = {}): Env {
  return loadConfig({ env: { LOCAL_WORKERS: '1', DATA_DIR: dir, ...vars }, dotenvPath: false });
}

async function run(check: DoctorCheck, timeoutMs = 30_000): Promise<CheckResult> {
  const [outcome] = await runChecks([check], { timeoutMs });
  return outcome!;
}

/** A stand-in `tesseract` that lists the given languages, so the OCR check is tested the same on every machine. */
function fakeTesseract(languages: string[]): string {
  const bin = mkdtempSync(join(dir, 'bin-'));
  const script = join(bin, 'tesseract');
  writeFileSync(script, `#!/bin/sh\necho "List of available languages in \\"/usr/share/tessdata/\\" (${languages.length}):"\n${languages.map((l) => `echo ${l}`).join('\n')}\n`);
  chmodSync(script, 0o755);
  return bin;
}

describe('database', () => {
  it('is fine when it does not exist yet, and reports its schema once it does', async () => {
    const path = join(dir, 'db', 'aseagi.db');
    expect(await run(databaseCheck(path))).toMatchObject({ status: 'ok', detail: expect.stringContaining('will be created') });
    openDatabase(path).close();
    expect(await run(databaseCheck(path))).toMatchObject({ status: 'ok', detail: expect.stringContaining('schema current') });
  });

  it('says when the database is newer than this program', async () => {
    const path = join(dir, 'newer.db');
    const store = openDatabase(path);
    store.db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run('9999_from_the_future', 0);
    store.close();
    expect(await run(databaseCheck(path))).toMatchObject({ status: 'problem', detail: expect.stringContaining('9999_from_the_future'), fix: expect.stringContaining('Upgrade') });
  });

  it('says when it is in use by a running service', async () => {
    const path = join(dir, 'busy.db');
    const store = openDatabase(path);
    try {
      expect((await run(databaseCheck(path))).detail).toContain(`in use by pid ${process.pid}`);
    } finally {
      store.close();
    }
  });
});

describe('disk space', () => {
  it('reports free space, a warning when low and a problem when nearly full', async () => {
    expect(await run(diskCheck(join(dir, 'not', 'yet')))).toMatchObject({ status: 'ok', detail: expect.stringMatching(/GB free at /) });
    expect((await run(diskCheck(dir, { problemBytes: 0, warningBytes: Number.MAX_SAFE_INTEGER }))).status).toBe('warning');
    expect((await run(diskCheck(dir, { problemBytes: Number.MAX_SAFE_INTEGER, warningBytes: Number.MAX_SAFE_INTEGER }))).status).toBe('problem');
  });
});

describe('local worker and OCR', () => {
  it('starts the worker program and reads its health', async () => {
    const probe: WorkerProbe = { health: null };
    const result = await run(workerCheck(config({ OCR_ENGINE: 'none' }), silentLogger(), probe));
    expect(result).toMatchObject({ status: 'ok', detail: expect.stringContaining('answers /v1/health (protocol 1') });
    expect(probe.health?.ocrEngines).toContain('none');
  });

  it('checks the native engine and its languages', async () => {
    const probe: WorkerProbe = { health: null };
    const bin = fakeTesseract(['eng', 'osd', 'spa']);
    expect(await run(ocrCheck(config({ OCR_LANGS: 'eng+spa' }), probe, bin))).toMatchObject({ status: 'ok', detail: expect.stringContaining('with eng+spa') });
    expect(await run(ocrCheck(config({ OCR_LANGS: 'eng+fra' }), probe, bin))).toMatchObject({ status: 'problem', fix: expect.stringContaining('tesseract-ocr-fra') });
    expect(await run(ocrCheck(config({ OCR_ENGINE: 'tesseract' }), probe, ''))).toMatchObject({ status: 'problem', detail: expect.stringContaining('not on PATH') });
    expect((await run(ocrCheck(config({ OCR_ENGINE: 'auto' }), probe, ''))).status).toBe('warning');
    expect((await run(ocrCheck(config({ OCR_ENGINE: 'none' }), probe, bin))).status).toBe('off');
    expect(await findOnPath('tesseract', bin)).toBe(join(bin, 'tesseract'));
  });

  it('believes the worker about engines it offers', async () => {
    const probe = { health: { ocrEngines: ['none', 'tesseract-js'] } } as WorkerProbe;
    expect(await run(ocrCheck(config({ OCR_ENGINE: 'tesseract' }), probe, fakeTesseract(['eng'])))).toMatchObject({ status: 'problem', detail: expect.stringContaining('offers only none, tesseract-js') });
  });
});

describe('worker image', () => {
  it('is needed with Vast.ai and must be an image reference', async () => {
    expect((await run(workerImageCheck(config()))).status).toBe('off');
    expect((await run(workerImageCheck(config({ VAST_AI_API_KEY: 'k-0123456789' })))).status).toBe('problem');
    expect((await run(workerImageCheck(config({ VAST_AI_API_KEY: 'k-0123456789', WORKER_IMAGE: 'not an image!' })))).status).toBe('problem');
    expect((await run(workerImageCheck(config({ VAST_AI_API_KEY: 'k-0123456789', WORKER_IMAGE: 'ghcr.io/family/aseagi-worker:1.0' })))).status).toBe('ok');
  });
});

describe('the runner', () => {
  it('turns a hang and a crash into problems and exits non-zero only for problems', async () => {
    const hang: DoctorCheck = { name: 'hang', run: () => new Promise(() => undefined) };
    const crash: DoctorCheck = { name: 'crash', run: () => Promise.reject(new Error('boom')) };
    const fine: DoctorCheck = { name: 'fine', run: () => Promise.resolve({ status: 'warning', detail: 'meh', fix: 'x' }) };
    const outcomes = await runChecks([hang, crash, fine], { timeoutMs: 50 });
    expect(outcomes.map((o) => [o.name, o.status])).toEqual([['hang', 'problem'], ['crash', 'problem'], ['fine', 'warning']]);
    expect(outcomes[1]!.detail).toBe('boom');
    expect(doctorExitCode(outcomes)).toBe(1);
    expect(doctorExitCode(outcomes.slice(2))).toBe(0);
  });
});

describe('aseagi doctor', () => {
  it('prints JSON and exits 0 with the zero-config default', async () => {
    const cwd = process.cwd();
    const saved = { ...process.env };
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    mkdirSync(join(dir, 'cli'), { recursive: true });
    process.chdir(join(dir, 'cli'));
    for (const key of Object.keys(process.env)) if (/^(TELEGRAM|VAST|SUPABASE|ANTHROPIC|CLAUDE|GOOGLE|DRIVE|WORKER_IMAGE|OCR_|API_)/.test(key)) delete process.env[key];
    process.env.OCR_ENGINE = 'none';
    try {
      const code = await main(['doctor', '--json', '--skip-worker']);
      const report = JSON.parse(out.join('').trim().split('\n').at(-1)!) as { exitCode: number; outcomes: { name: string; status: string }[] };
      expect(report.exitCode).toBe(0);
      expect(code).toBe(0);
      expect(report.outcomes.map((o) => o.name)).toEqual(['configuration', 'database', 'disk space', 'OCR', 'worker image', 'Telegram', 'Vast.ai', 'Claude', 'Supabase', 'Google Drive']);
    } finally {
      write.mockRestore();
      process.chdir(cwd);
      process.env = saved;
    }
  });
});
