import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../src/gpu-worker/config.js';

const TOKEN = 'a-worker-token-of-24-chars';

describe('parseWorkerConfig', () => {
  it('applies defaults (cores for pools and concurrency)', () => {
    expect(parseWorkerConfig({ WORKER_TOKEN: TOKEN }, 8)).toMatchObject({
      token: TOKEN, host: '127.0.0.1', port: 0, ocrEngine: 'auto', ocrLangs: 'eng', ocrPoolSize: 8, concurrency: 8,
      documentTimeoutMs: 1_800_000, documentHeapMb: 1024, exitOnStdinClose: false, logLevel: 'info',
      vlm: null, prefetch: { documents: 4, bytes: 1024 * 1024 ** 2 }, orphan: null,
    });
  });

  it('reads every setting', () => {
    const env = {
      WORKER_TOKEN: TOKEN, WORKER_HOST: '0.0.0.0', WORKER_PORT: '8080', WORKER_ID: 'gpu-1', OCR_ENGINE: 'tesseract',
      OCR_LANGS: 'eng+spa', OCR_POOL_SIZE: '16', WORKER_CONCURRENCY: '4', WORKER_DOC_TIMEOUT_MS: '5000',
      WORKER_DOC_HEAP_MB: '2048', WORKER_MAX_BODY_BYTES: '1000', WORKER_EXIT_ON_STDIN_CLOSE: '1', LOG_LEVEL: 'debug',
      OCR_VLM_URL: 'http://127.0.0.1:8000', OCR_VLM_MODEL: 'my/model', OCR_VLM_CONCURRENCY: '8', OCR_VLM_API_KEY: 'vlm-key-123',
      OCR_VLM_TIMEOUT_MS: '9000', WORKER_PREFETCH_DOCS: '0', WORKER_PREFETCH_MB: '64', WORKER_ORPHAN_TIMEOUT: '90s',
      CONTAINER_ID: '12345', CONTAINER_API_KEY: 'container-key-1', VAST_API_URL: 'http://vast.test/',
    };
    expect(parseWorkerConfig(env, 2)).toEqual({
      token: TOKEN, sealKey: null, host: '0.0.0.0', port: 8080, workerId: 'gpu-1', ocrEngine: 'tesseract', ocrLangs: 'eng+spa',
      ocrPoolSize: 16, concurrency: 4, documentTimeoutMs: 5000, documentHeapMb: 2048, maxBodyBytes: 1000,
      exitOnStdinClose: true, logLevel: 'debug',
      vlm: { url: 'http://127.0.0.1:8000/v1', model: 'my/model', concurrency: 8, apiKey: 'vlm-key-123', timeoutMs: 9000 },
      prefetch: { documents: 0, bytes: 64 * 1024 ** 2 },
      orphan: { containerId: '12345', apiKey: 'container-key-1', apiUrl: 'http://vast.test', timeoutMs: 90_000 },
    });
  });

  it('defaults the VLM model to olmOCR-2 FP8 and its concurrency to 64', () => {
    expect(parseWorkerConfig({ WORKER_TOKEN: TOKEN, OCR_ENGINE: 'vlm', OCR_VLM_URL: 'http://localhost:8000/v1/' }, 2).vlm).toEqual({
      url: 'http://localhost:8000/v1', model: 'allenai/olmOCR-2-7B-1025-FP8', concurrency: 64, apiKey: null, timeoutMs: 300_000,
    });
  });

  it.each([
    ['900', 900_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['250ms', 250],
  ])('reads WORKER_ORPHAN_TIMEOUT=%s as %i ms, armed only with both Vast variables', (value, ms) => {
    const vast = { CONTAINER_ID: '7', CONTAINER_API_KEY: 'container-key-7' };
    expect(parseWorkerConfig({ WORKER_TOKEN: TOKEN, WORKER_ORPHAN_TIMEOUT: value, ...vast }, 2).orphan).toMatchObject({ timeoutMs: ms, apiUrl: 'https://console.vast.ai' });
    expect(parseWorkerConfig({ WORKER_TOKEN: TOKEN, WORKER_ORPHAN_TIMEOUT: value, CONTAINER_ID: '7' }, 2).orphan).toBeNull();
  });

  it('treats empty values as unset', () => {
    expect(parseWorkerConfig({ WORKER_TOKEN: TOKEN, WORKER_PORT: '', OCR_ENGINE: '' }, 2)).toMatchObject({ port: 0, ocrEngine: 'auto' });
  });

  it.each([
    [{}, 'WORKER_TOKEN: is required'],
    [{ WORKER_TOKEN: 'short' }, 'WORKER_TOKEN: must be at least 16 characters'],
    [{ WORKER_TOKEN: TOKEN, WORKER_PORT: '70000' }, 'WORKER_PORT'],
    [{ WORKER_TOKEN: TOKEN, WORKER_PORT: 'http' }, 'WORKER_PORT'],
    [{ WORKER_TOKEN: TOKEN, OCR_ENGINE: 'gpu' }, 'OCR_ENGINE'],
    [{ WORKER_TOKEN: TOKEN, OCR_ENGINE: 'vlm' }, 'OCR_VLM_URL: is required when OCR_ENGINE=vlm'],
    [{ WORKER_TOKEN: TOKEN, OCR_VLM_URL: 'localhost:8000' }, 'OCR_VLM_URL'],
    [{ WORKER_TOKEN: TOKEN, WORKER_ORPHAN_TIMEOUT: 'soon' }, 'WORKER_ORPHAN_TIMEOUT: must be a duration'],
    [{ WORKER_TOKEN: TOKEN, WORKER_PREFETCH_DOCS: '-1' }, 'WORKER_PREFETCH_DOCS'],
    [{ WORKER_TOKEN: TOKEN, CONTAINER_ID: 'abc' }, 'CONTAINER_ID'],
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
