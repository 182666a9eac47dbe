import { describe, expect, it } from 'vitest';
import { countTextChars, normalizePresentationForms, textFromItems, type TextChunk } from '../../src/gpu-worker/pdf/page-text.js';

const ltr = (str: string, hasEOL = false): TextChunk => ({ str, dir: 'ltr', hasEOL });
const rtl = (str: string, hasEOL = false): TextChunk => ({ str, dir: 'rtl', hasEOL });

describe('textFromItems', () => {
  it.each<[string, TextChunk[], string]>([
    ['joins items and breaks lines at hasEOL', [ltr('Hello'), ltr(' '), ltr('world', true), ltr('next')], 'Hello world\nnext'],
    ['trims trailing spaces of a line', [ltr('a  ', true), ltr('b')], 'a\nb'],
    ['keeps at most one blank line', [ltr('a', true), ltr('', true), ltr('', true), ltr('', true), ltr('b')], 'a\n\nb'],
    // pdf.js gives RTL items in visual order; reading order is the reverse.
    ['reverses the item order of a right-to-left line', [rtl('ج'), ltr(' '), rtl('ب'), ltr(' '), rtl('ا')], 'ا ب ج'],
    ['keeps a left-to-right run inside a right-to-left line in order', [rtl('بيت'), ltr(' 12 34 '), rtl('الدار')], 'الدار 12 34 بيت'],
    ['leaves a left-to-right line with an Arabic word alone', [ltr('see '), rtl('ا'), ltr(' here')], 'see ا here'],
    ['turns Arabic presentation forms into letters', [rtl('\uFEDF\uFECC\uFEAE\uFE91\uFEF4\uFE94')], 'لعربية'],
    ['turns ligatures into letters', [ltr('\uFB01le')], 'file'],
  ])('%s', (_label, items, expected) => {
    expect(textFromItems(items)).toBe(expected);
  });
});

describe('helpers', () => {
  it('counts characters without whitespace', () => {
    expect(countTextChars(' a b\n\tc ')).toBe(3);
    expect(countTextChars('')).toBe(0);
  });

  it('normalises only presentation forms, not other compatibility characters', () => {
    expect(normalizePresentationForms('x² ½ ﬀ')).toBe('x² ½ ff');
  });
});
