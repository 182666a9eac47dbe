import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDocument, supportedLocationKinds } from '../../src/gpu-worker/fetch/document-fetcher.js';
import { createFileFetcher } from '../../src/gpu-worker/fetch/file-fetcher.js';

describe('file fetcher', () => {
  let folder: string;
  const fetchers = { file: createFileFetcher() };
  const context = (maxBytes = 1_000) => ({ maxBytes, signal: new AbortController().signal });

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'gpu-worker-fetch-'));
    await writeFile(path.join(folder, 'ten.bin'), Buffer.alloc(10, 7));
  });

  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('reads a file', async () => {
    const bytes = await fetchDocument(fetchers, { kind: 'file', path: path.join(folder, 'ten.bin') }, context());
    expect([...bytes]).toEqual(Array(10).fill(7));
  });

  it.each([
    ['a missing file', 'nope.pdf', 1_000, 'not_found'],
    ['a folder', '.', 1_000, 'not_found'],
    ['a path through a file', 'ten.bin/x', 1_000, 'not_found'],
    ['a file over the size limit', 'ten.bin', 9, 'too_large'],
  ])('refuses %s with a coded error', async (_label, name, maxBytes, code) => {
    const location = { kind: 'file' as const, path: path.join(folder, name) };
    await expect(fetchDocument(fetchers, location, context(maxBytes))).rejects.toMatchObject({ code });
  });

  it('refuses a location kind it has no fetcher for, without retrying', async () => {
    const location = { kind: 'url' as const, url: 'https://example.org/a.pdf' };
    await expect(fetchDocument(fetchers, location, context())).rejects.toMatchObject({ code: 'fetch_failed', retryable: false });
    expect(supportedLocationKinds(fetchers)).toEqual(['file']);
  });
});
