/**
 * The scan check (which pages are pictures of text) is made only when an OCR engine will read the scans: it
 * builds each near-empty page's operator list, which decodes every image on the page.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { Isolate } from '../../src/gpu-worker/isolate/isolate.js';
import type { PageReading } from '../../src/gpu-worker/isolate/isolate-messages.js';
import { corpusPath } from './helpers/corpus.js';

const isolate = new Isolate({ heapMb: 512, logger: silentLogger() });
afterAll(() => isolate.terminate());

async function read(file: string, findScans: boolean): Promise<PageReading[]> {
  const data = new Uint8Array(readFileSync(corpusPath(file)));
  await isolate.call('open-pdf', { data, passwords: [] }, { transfer: [data.buffer] });
  return isolate.call('read-pages', { minTextChars: 16, findScans });
}

describe('the scan check', () => {
  it('finds the scanned page of a mixed document when OCR will run', async () => {
    const pages = await read('mixed_word_plus_scan.pdf', true);
    expect(pages.map((page) => page.needsOcr)).toEqual([false, true]);
    expect(pages[0]?.chars).toBeGreaterThan(16);
  });

  it('is skipped when no OCR engine will read the scans, and the text layer is the same', async () => {
    const withCheck = await read('mixed_word_plus_scan.pdf', true);
    const without = await read('mixed_word_plus_scan.pdf', false);
    expect(without.map((page) => page.needsOcr)).toEqual([false, false]);
    expect(without.map((page) => page.text)).toEqual(withCheck.map((page) => page.text));
  });

  it('leaves near-empty pages that draw no image alone', async () => {
    const pages = await read('freeculture.pdf', true);
    const scans = pages.filter((page) => page.needsOcr).length;
    const nearEmpty = pages.filter((page) => page.chars < 16).length;
    expect(scans).toBeGreaterThan(0);
    expect(scans).toBeLessThan(nearEmpty);
  });
});
