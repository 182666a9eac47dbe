import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/core/errors.js';

describe('config', () => {
  it('works with nothing set: the zero-config default', () => {
    const env = loadConfig({ env: {}, dotenvPath: false });
    expect(env).toMatchObject({ ASEAGI_DB: 'data/aseagi.db', BATCH_SIZE: 100, OCR_ENGINE: 'auto', HTTP_PORT: 8001, HTTP_HOST: '127.0.0.1' });
    expect(env.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(env.ALLOWED_TELEGRAM_USER_IDS).toEqual([]);
  });

  it('names every bad variable and what is wrong, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({ env: { BATCH_SIZE: 'lots', OCR_ENGINE: 'magic', ALLOWED_TELEGRAM_USER_IDS: '12,abc', PDF_PASSWORDS: '' }, dotenvPath: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const message = (error as AppError).message;
    expect(message).toContain('BATCH_SIZE');
    expect(message).toContain('"lots"');
    expect(message).toContain('OCR_ENGINE');
    expect(message).toContain('ALLOWED_TELEGRAM_USER_IDS');
  });

  it('parses lists and booleans', () => {
    const env = loadConfig({ env: { ALLOWED_TELEGRAM_USER_IDS: '1, 2,3', PDF_PASSWORDS: 'abc,ELXRTQWS', DRIVE_INCLUDE_GOOGLE_DOCS: 'yes' }, dotenvPath: false });
    expect(env.ALLOWED_TELEGRAM_USER_IDS).toEqual([1, 2, 3]);
    expect(env.PDF_PASSWORDS).toEqual(['abc', 'ELXRTQWS']);
    expect(env.DRIVE_INCLUDE_GOOGLE_DOCS).toBe(true);
  });

  it('reads .env, and the environment wins over it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'aseagi-env-'));
    writeFileSync(join(dir, '.env'), 'BATCH_SIZE=7\nOCR_LANGS=eng+spa\n');
    const env = loadConfig({ env: { BATCH_SIZE: '9' }, dotenvPath: join(dir, '.env') });
    expect(env.BATCH_SIZE).toBe(9);
    expect(env.OCR_LANGS).toBe('eng+spa');
  });
});
