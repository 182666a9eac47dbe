import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectType } from '../../src/gpu-worker/document/detect-type.js';
import { imageSize } from '../../src/gpu-worker/image/image-size.js';
import { fitScale, rgbaToGray, upscaleFactor } from '../../src/gpu-worker/image/pixels.js';
import { corpusPath } from './helpers/corpus.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('detectType (magic bytes, never names)', () => {
  it.each<[string, Uint8Array, string | null]>([
    ['a PDF', ascii('%PDF-1.7\n'), 'application/pdf'],
    ['a PDF after some junk', ascii('garbage\r\n%PDF-1.4'), 'application/pdf'],
    ['a PNG', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), 'image/png'],
    ['a JPEG', bytes(0xff, 0xd8, 0xff, 0xe0), 'image/jpeg'],
    ['a little-endian TIFF', bytes(0x49, 0x49, 0x2a, 0x00), 'image/tiff'],
    ['a big-endian TIFF', bytes(0x4d, 0x4d, 0x00, 0x2a), 'image/tiff'],
    ['a ZIP', bytes(0x50, 0x4b, 0x03, 0x04), null],
    ['nothing', bytes(), null],
  ])('%s', (_label, input, expected) => {
    expect(detectType(input)).toBe(expected);
  });

  it('sees the PNG inside not_a_pdf.pdf', () => {
    expect(detectType(readFileSync(corpusPath('not_a_pdf.pdf')))).toBe('image/png');
  });
});

describe('imageSize', () => {
  it.each([
    ['images/clean_p1.png', 'image/png', { width: 2480, height: 3508 }],
    ['images/noisy.jpg', 'image/jpeg', { width: 1654, height: 2339 }],
    ['images/hard.jpg', 'image/jpeg', { width: 1240, height: 1754 }],
  ] as const)('reads %s', (file, type, expected) => {
    expect(imageSize(readFileSync(corpusPath(file)), type)).toEqual(expected);
  });

  it('gives up on truncated headers', () => {
    expect(imageSize(bytes(0x89, 0x50, 0x4e, 0x47), 'image/png')).toBeNull();
    expect(imageSize(bytes(0xff, 0xd8, 0xff), 'image/jpeg')).toBeNull();
  });
});

describe('pixels', () => {
  it.each([
    ['keeps the wanted scale when it fits', 612, 792, 300 / 72, 50_000_000, 300 / 72],
    ['shrinks a poster-sized page to the pixel budget', 10_000, 10_000, 300 / 72, 50_000_000, Math.sqrt(0.5)],
  ])('fitScale %s', (_label, width, height, wanted, maxPixels, expected) => {
    expect(fitScale(width, height, wanted, maxPixels)).toBeCloseTo(expected, 6);
  });

  it.each([
    ['a 300 dpi A4 scan stays', 2480, 3508, 1, 300],
    ['a 150 dpi scan doubles', 1240, 1754, 2, 300],
    ['a tiny image is enlarged at most 4 times', 100, 150, 4, 51],
  ])('upscaleFactor: %s', (_label, width, height, factor, dpi) => {
    const result = upscaleFactor(width, height, 300);
    expect(result.factor).toBeCloseTo(factor, 2);
    expect(result.dpi).toBeCloseTo(dpi, -1);
  });

  it('converts RGBA to luma', () => {
    expect([...rgbaToGray(Uint8Array.from([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255]))]).toEqual([255, 0, 76]);
  });
});
