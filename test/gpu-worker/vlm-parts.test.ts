/** The VLM engine's pure parts: olmOCR's front matter, the page image (resize, turn, PNG), the circuit breaker. */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/gpu-worker/ocr/vlm/circuit-breaker.js';
import { FrontMatterError, parsePageReading } from '../../src/gpu-worker/ocr/vlm/front-matter.js';
import { encodeGrayPng, resizeToLongestSide, rotate, type Pixels } from '../../src/gpu-worker/ocr/vlm/page-image.js';
import { parseDuration } from '../../src/gpu-worker/duration.js';
import { decodeGrayPng } from './helpers/vlm-fake.js';

const FRONT = 'primary_language: en\nis_rotation_valid: true\nrotation_correction: 0\nis_table: false\nis_diagram: false';

describe('parsePageReading', () => {
  it('reads the facts and the text', () => {
    expect(parsePageReading(`---\n${FRONT}\n---\n# Title\n\nBody text.\n`)).toEqual({
      facts: { primary_language: 'en', is_rotation_valid: true, rotation_correction: 0, is_table: false, is_diagram: false },
      text: '# Title\n\nBody text.',
    });
  });

  it.each([
    ['a page without text', `---\n${FRONT}\n---`, ''],
    ['Windows line ends', `---\r\n${FRONT.replace(/\n/g, '\r\n')}\r\n---\r\nText`, 'Text'],
    ['Python-style booleans and a null language', `---\nprimary_language: null\nis_rotation_valid: True\nrotation_correction: 0\nis_table: False\nis_diagram: False\n---\nx`, 'x'],
  ])('accepts %s', (_label, answer, text) => {
    expect(parsePageReading(answer).text).toBe(text);
  });

  it.each([
    ['no front matter', 'Just some text'],
    ['an unclosed block', `---\n${FRONT}\nText`],
    ['a missing field', '---\nprimary_language: en\nis_rotation_valid: true\n---\nx'],
    ['an odd rotation', `---\n${FRONT.replace('rotation_correction: 0', 'rotation_correction: 45')}\n---\nx`],
    ['a field of the wrong type', `---\n${FRONT.replace('is_table: false', 'is_table: maybe')}\n---\nx`],
    ['broken YAML', '---\nprimary_language: [en\n---\nx'],
  ])('refuses %s', (_label, answer) => {
    expect(() => parsePageReading(answer)).toThrow(FrontMatterError);
  });
});

/** 4×2: row 0 = 0 1 2 3, row 1 = 4 5 6 7. */
const grid: Pixels = { width: 4, height: 2, pixels: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };

describe('page image', () => {
  it.each([
    // Counter-clockwise, as PIL's ROTATE_90: the top row becomes the left column, read bottom-up.
    [90, 2, 4, [3, 7, 2, 6, 1, 5, 0, 4]],
    [180, 4, 2, [7, 6, 5, 4, 3, 2, 1, 0]],
    [270, 2, 4, [4, 0, 5, 1, 6, 2, 7, 3]],
    [0, 4, 2, [0, 1, 2, 3, 4, 5, 6, 7]],
  ] as const)('turns by %i°', (degrees, width, height, pixels) => {
    const turned = rotate(grid, degrees);
    expect({ width: turned.width, height: turned.height, pixels: [...turned.pixels] }).toEqual({ width, height, pixels });
  });

  it('shrinks by averaging areas and enlarges smoothly, keeping the aspect ratio', () => {
    const flat: Pixels = { width: 2480, height: 3508, pixels: new Uint8Array(2480 * 3508).fill(200) };
    const small = resizeToLongestSide(flat, 1288);
    expect([small.width, small.height]).toEqual([911, 1288]);
    expect(new Set(small.pixels)).toEqual(new Set([200]));
    const halves: Pixels = { width: 4, height: 1, pixels: Uint8Array.from([0, 0, 255, 255]) };
    expect([...resizeToLongestSide(halves, 2).pixels]).toEqual([0, 255]);
    expect([...resizeToLongestSide({ width: 2, height: 1, pixels: Uint8Array.from([0, 200]) }, 4).pixels]).toEqual([0, 67, 133, 200, 0, 67, 133, 200]);
  });

  it('encodes a PNG that decodes to the same pixels', async () => {
    const image: Pixels = { width: 3, height: 2, pixels: Uint8Array.from([0, 128, 255, 10, 20, 30]) };
    const png = await encodeGrayPng(image);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const decoded = decodeGrayPng(png);
    expect({ width: decoded.width, height: decoded.height, pixels: [...decoded.pixels] }).toEqual({ width: 3, height: 2, pixels: [...image.pixels] });
  });
});

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one probe through after the cool-down, closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 1_000, now: () => now });
    breaker.failed();
    expect(breaker.allows()).toBe(true);
    breaker.failed();
    expect([breaker.open, breaker.allows()]).toEqual([true, false]);
    now = 1_000;
    expect([breaker.allows(), breaker.allows()]).toEqual([true, false]);
    breaker.failed();
    now = 1_500;
    expect(breaker.allows()).toBe(false);
    now = 2_000;
    expect(breaker.allows()).toBe(true);
    breaker.succeeded();
    expect([breaker.open, breaker.allows()]).toEqual([false, true]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['900', 900_000],
    ['1.5', 1_500],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['250ms', 250],
    [' 30 s ', 30_000],
    ['soon', null],
    ['-5', null],
    ['', null],
  ])('%s → %s', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});
