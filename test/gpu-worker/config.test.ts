import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../src/gpu-worker/config.js';

const TOKEN = 'a-worker-token-of-24-chars';

describe('parseWorkerConfig', () => {
  it('applies defaults (cores for pools and concurrency)', () => {
    expect(parseWorkerConfig({ WORKER_TOKEN: TOKEN }, 8)).toMatchObject({
      token: TOKEN, host: '127.0.0.1', port: 0, ocrEngine: 'auto', ocrLangs: 'eng', ocrPoolSize: 8, concurrency: 8,
      documentTimeoutMs: 1_800_000, documentHeapMb: 1024, exitOnStdinClose: false, logLevel: 'info',
    });
  });

  it('reads every setting', () => {
    const env = {
      WORKER_TOKEN: TOKEN, WORKER_HOST: '0.0.0.0', WORKER_PORT: '8080', WORKER_ID: 'gpu-1', OCR_ENGINE: 'tesseract',
      OCR_LANGS: 'eng+spa', OCR_POOL_SIZE: '16', WORKER_CONCURRENCY: '4', WORKER_DOC_TIMEOUT_MS: '5000',
      WORKER_DOC_HEAP_MB: '2048', WORKER_MAX_BODY_BYTES: '1000', WORKER_EXIT_ON_STDIN_CLOSE: '1', LOG_LEVEL: 'debug',
    };
    expect(parseWorkerConfig(env, 2)).toEqual({
      token: TOKEN, host: '0.0.0.0', port: 8080, workerId: 'gpu-1', ocrEngine: 'tesseract', ocrLangs: 'eng+spa',
      ocrPoolSize: 16, concurrency: 4, documentTimeoutMs: 5000, documentHeapMb: 2048, maxBodyBytes: 1000,
      exitOnStdinClose: true, logLevel: 'debug',
    });
  });

  it('treats empty values as unset', () => {
    expect(parseWorkerConfig({ WORKER_TOKEN: TOKEN, WORKER_PORT: '', OCR_ENGINE: '' }, 2)).toMatchObject({ port: 0, ocrEngine: 'auto' });
  });

  it.each([
    [{}, 'WORKER_TOKEN: is required'],
    [{ WORKER_TOKEN: 'short' }, 'WORKER_TOKEN: must be at least 16 characters'],
    [{ WORKER_TOKEN: TOKEN, WORKER_PORT: '70000' }, 'WORKER_PORT'],
    [{ WORKER_TOKEN: TOKEN, WORKER_PORT: 'http' }, 'WORKER_PORT'],
    [{ WORKER_TOKEN: TOKEN, OCR_ENGINE: 'vlm' }, 'OCR_ENGINE'],
    [{ WORKER_TOKEN: TOKEN, OCR_LANGS: 'eng,spa' }, 'OCR_LANGS: must be tesseract language codes'],
    [{ WORKER_TOKEN: TOKEN, OCR_POOL_SIZE: '0' }, 'OCR_POOL_SIZE'],
    [{ WORKER_TOKEN: TOKEN, WORKER_CONCURRENCY: '1.5' }, 'WORKER_CONCURRENCY'],
    [{ WORKER_TOKEN: TOKEN, WORKER_DOC_HEAP_MB: '10' }, 'WORKER_DOC_HEAP_MB: must be at least 64'],
    [{ WORKER_TOKEN: TOKEN, WORKER_EXIT_ON_STDIN_CLOSE: 'yes' }, 'WORKER_EXIT_ON_STDIN_CLOSE: must be 1 or 0'],
    [{ WORKER_TOKEN: TOKEN, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => parseWorkerConfig(env, 2)).toThrow(message);
  });
});
