/**
 * Reads tesseract's TSV output (one row per layout element) into plain text, a mean word confidence and layout
 * figures, so both tesseract engines need one pass and one output format for all of it.
 */
import type { LayoutStats, OcrOutput } from './ocr-engine.js';

const PAGE_LEVEL = '1';
const WORD_LEVEL = '5';
/** Words at least this sure count as text worth keeping when two readings are compared. */
const CONFIDENT_WORD = 70;
const ALNUM = /[\p{L}\p{N}]/gu;

interface TsvWord {
  paragraphKey: string;
  lineKey: string;
  confidence: number;
  text: string;
}

function parseWordRow(row: string): TsvWord | null {
  const cells = row.split('\t');
  if (cells.length < 12 || cells[0] !== WORD_LEVEL) return null;
  const [, page, block, paragraph, line, , , , , , conf, ...rest] = cells;
  const text = rest.join('\t').trim();
  if (!text) return null;
  const paragraphKey = `${page}/${block}/${paragraph}`;
  return { paragraphKey, lineKey: `${paragraphKey}/${line}`, confidence: Number(conf), text };
}

/** Lines end with a newline; paragraphs are separated by a blank line, like tesseract's own text output. */
function assembleText(words: readonly TsvWord[]): string {
  let text = '';
  let previous: TsvWord | undefined;
  for (const word of words) {
    if (previous) {
      if (previous.paragraphKey !== word.paragraphKey) text += '\n\n';
      else if (previous.lineKey !== word.lineKey) text += '\n';
      else text += ' ';
    }
    text += word.text;
    previous = word;
  }
  return text;
}

function meanConfidence(words: readonly TsvWord[]): number {
  const scored = words.filter((word) => Number.isFinite(word.confidence) && word.confidence >= 0);
  if (scored.length === 0) return 0;
  const mean = scored.reduce((sum, word) => sum + word.confidence, 0) / scored.length;
  return Math.min(100, Math.max(0, mean));
}

/** Single letters and punctuation read from photos and noise are not text worth keeping, however sure. */
function confidentChars(words: readonly TsvWord[]): number {
  let total = 0;
  for (const word of words) {
    if (!(word.confidence >= CONFIDENT_WORD)) continue;
    const letters = word.text.match(ALNUM)?.length ?? 0;
    if (letters >= 2) total += letters;
  }
  return total;
}

function layoutOf(words: readonly TsvWord[]): LayoutStats {
  return { words: words.length, lines: new Set(words.map((word) => word.lineKey)).size, confidentChars: confidentChars(words) };
}

/**
 * Text, confidence and layout from TSV output, or null when there is no page row: tesseract could not read the
 * image (it still exits 0 then, with the reason only on stderr).
 */
export function parseTesseractTsv(tsv: string): OcrOutput | null {
  const rows = tsv.split(/\r?\n/);
  if (!rows.some((row) => row.startsWith(`${PAGE_LEVEL}\t`))) return null;
  const words = rows
    .map(parseWordRow)
    .filter((word): word is TsvWord => word !== null);
  return { text: assembleText(words), confidence: meanConfidence(words), layout: layoutOf(words) };
}
