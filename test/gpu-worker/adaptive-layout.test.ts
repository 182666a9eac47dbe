/**
 * Adaptive page segmentation's decisions, table-driven on the figures measured on the corpus (native tesseract
 * 5.3, 300 dpi): which PSM 3 readings get a second, single-block reading, and which reading is kept.
 */
import { describe, expect, it } from 'vitest';
import {
  estimateInk,
  preferSingleBlock,
  retryReason,
  withAdaptiveLayout,
  type RetryReason,
} from '../../src/gpu-worker/ocr/adaptive-layout.js';
import type { GrayImage, OcrEngine, OcrImage, OcrOutput, OcrRequest } from '../../src/gpu-worker/ocr/ocr-engine.js';

const reading = (words: number, lines: number, confidence: number, confidentChars: number): OcrOutput => ({
  text: 'x', confidence, layout: { words, lines, confidentChars },
});
const tiff: OcrImage = { kind: 'encoded', mimeType: 'image/tiff', bytes: new Uint8Array() };

/** A 300 dpi page with `share` of its pixels dark, in a block at the top. */
function page(share: number): GrayImage {
  const width = 400;
  const height = 500;
  const pixels = new Uint8Array(width * height).fill(255);
  pixels.fill(0, 0, Math.round(width * height * share));
  return { kind: 'gray', width, height, pixels, dpi: 300 };
}

describe('retryReason', () => {
  it.each<[string, OcrOutput, OcrImage, RetryReason | null]>([
    ['a clean page (synth_clean p1)', reading(162, 12, 96.5, 800), tiff, null],
    ['a two-column paper (tracemonkey p1): short lines, but many words per line', reading(738, 87, 94.7, 4000), tiff, null],
    ['a table read down its columns (synth_fax)', reading(85, 26, 94.3, 368), tiff, 'table_like'],
    ['a degraded scan (synth_hard)', reading(105, 6, 67.1, 234), tiff, 'low_confidence'],
    ['photos (issue5481)', reading(53, 14, 27.8, 0), tiff, 'table_like'],
    ['a page with a single word (scan-bad)', reading(1, 1, 91.1, 6), tiff, null],
    ['a blank page', reading(0, 0, 0, 0), tiff, null],
  ])('%s → %s', (_label, output, image, expected) => {
    expect(retryReason(output, image)).toBe(expected);
  });

  it('retries a page with much ink and few words, not a nearly blank one', () => {
    // 20 % ink on a 400×500 px page is 40,000 dark pixels: printed text would be ~40 words, not 3.
    expect(retryReason(reading(3, 2, 95, 12), page(0.2))).toBe('sparse_words');
    expect(retryReason(reading(30, 4, 95, 120), page(0.2))).toBeNull();
    expect(retryReason(reading(0, 0, 0, 0), page(0.005))).toBeNull();
  });

  it('estimates ink from a sample, scaled to 300 dpi', () => {
    const ink = estimateInk(page(0.25));
    expect(ink.share).toBeCloseTo(0.25, 1);
    expect(ink.inkAt300Dpi).toBeCloseTo(50_000, -4);
    expect(estimateInk({ ...page(0.25), dpi: 150 }).inkAt300Dpi).toBeCloseTo(200_000, -4);
  });
});

describe('preferSingleBlock', () => {
  it.each<[string, OcrOutput, OcrOutput, RetryReason, boolean]>([
    ['degraded scan: PSM 6 reads far more (synth_hard: 320 vs 234 confident characters)', reading(105, 6, 67.1, 234), reading(160, 9, 63.7, 320), 'low_confidence', true],
    ['Russian form, English model: PSM 3 reads more (issue7229 p1)', reading(927, 98, 33.4, 484), reading(901, 98, 33.0, 466), 'low_confidence', false],
    ['photos: PSM 6 noise is not more text (issue5481: 12 vs 0)', reading(53, 14, 27.8, 0), reading(523, 36, 34.8, 12), 'table_like', false],
    ['table: the same words, in the right order (synth_fax)', reading(85, 26, 94.3, 368), reading(85, 13, 93.6, 368), 'table_like', true],
    ['table: the single block loses a third of the text (issue7229 p2)', reading(98, 39, 41.5, 155), reading(149, 31, 31.5, 108), 'table_like', false],
  ])('%s → %s', (_label, auto, block, reason, expected) => {
    expect(preferSingleBlock(auto, block, reason)).toBe(expected);
  });
});

describe('withAdaptiveLayout', () => {
  /** An engine that answers from a table of readings per PSM, and records what it was asked. */
  function scripted(readings: Record<number, OcrOutput>): OcrEngine & { asked: number[] } {
    const asked: number[] = [];
    return {
      name: 'scripted',
      asked,
      recognize: (_image: OcrImage, request: OcrRequest) => {
        asked.push(request.psm);
        return Promise.resolve(readings[request.psm] as OcrOutput);
      },
      close: () => Promise.resolve(),
    };
  }

  it('reads a suspicious PSM 3 page again with PSM 6 and keeps the better reading', async () => {
    const inner = scripted({ 3: reading(105, 6, 67.1, 234), 6: reading(160, 9, 63.7, 320) });
    const events: unknown[] = [];
    const engine = withAdaptiveLayout(inner, { onRetry: (event) => events.push(event) });
    expect(await engine.recognize(tiff, { langs: 'eng', psm: 3 })).toEqual(reading(160, 9, 63.7, 320));
    expect(inner.asked).toEqual([3, 6]);
    expect(events).toEqual([{ reason: 'low_confidence', kept: 'single_block' }]);
    expect(engine.name).toBe('scripted');
  });

  it('leaves good pages and explicitly chosen modes alone', async () => {
    const inner = scripted({ 3: reading(162, 12, 96.5, 800), 6: reading(85, 26, 20, 0), 4: reading(85, 26, 20, 0) });
    const engine = withAdaptiveLayout(inner);
    await engine.recognize(tiff, { langs: 'eng', psm: 3 });
    await engine.recognize(tiff, { langs: 'eng', psm: 4 });
    expect(inner.asked).toEqual([3, 4]);
  });
});
