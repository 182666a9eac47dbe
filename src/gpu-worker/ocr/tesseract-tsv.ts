/**
 * Reads tesseract's TSV output (one row per layout element) into plain text and a mean word confidence, so the
 * native engine needs one pass and one output format for both.
 */
import type { OcrOutput } from './ocr-engine.js';

const PAGE_LEVEL = '1';
const WORD_LEVEL = '5';

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

/**
 * Text and confidence from TSV output, or null when there is no page row: tesseract could not read the image
 * (it still exits 0 then, with the reason only on stderr).
 */
export function parseTesseractTsv(tsv: string): OcrOutput | null {
  const rows = tsv.split(/\r?\n/);
  if (!rows.some((row) => row.startsWith(`${PAGE_LEVEL}\t`))) return null;
  const words = rows
    .map(parseWordRow)
    .filter((word): word is TsvWord => word !== null);
  return { text: assembleText(words), confidence: meanConfidence(words) };
}
