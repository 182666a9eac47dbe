import { describe, expect, it } from 'vitest';
import { parseTesseractTsv } from '../../src/gpu-worker/ocr/tesseract-tsv.js';

const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';
const page = '1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t';
const word = (block: number, paragraph: number, line: number, conf: number, text: string): string =>
  `5\t1\t${block}\t${paragraph}\t${line}\t1\t0\t0\t10\t10\t${conf}\t${text}`;

describe('parseTesseractTsv', () => {
  it.each<[string, string[], { text: string; confidence: number } | null]>([
    ['words on a line, lines in a paragraph', [page, word(1, 1, 1, 90, 'Hello'), word(1, 1, 1, 80, 'world'), word(1, 1, 2, 70, 'again')], { text: 'Hello world\nagain', confidence: 80 }],
    ['a blank line between paragraphs and blocks', [page, word(1, 1, 1, 90, 'a'), word(1, 2, 1, 90, 'b'), word(2, 1, 1, 90, 'c')], { text: 'a\n\nb\n\nc', confidence: 90 }],
    ['rows without text and negative confidences are ignored', [page, word(1, 1, 1, -1, ' '), word(1, 1, 1, 60, 'x')], { text: 'x', confidence: 60 }],
    ['a blank page', [page], { text: '', confidence: 0 }],
    ['no page row: the image was not read', [], null],
  ])('%s', (_label, rows, expected) => {
    const parsed = parseTesseractTsv([HEADER, ...rows, ''].join('\n'));
    if (expected === null) expect(parsed).toBeNull();
    else expect(parsed).toMatchObject(expected);
  });

  it('measures the layout: words, lines, and letters in confidently read words of two or more', () => {
    const rows = [page, word(1, 1, 1, 95, 'Total:'), word(1, 1, 1, 90, '$12.50'), word(1, 1, 2, 99, 'a'), word(1, 1, 2, 50, 'blurry'), word(2, 1, 1, 80, '|')];
    expect(parseTesseractTsv([HEADER, ...rows].join('\n'))?.layout).toEqual({ words: 5, lines: 3, confidentChars: 5 + 4 });
  });
});
