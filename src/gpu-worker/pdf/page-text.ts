/**
 * Turns pdf.js text items into readable page text. pdf.js hands items over in visual (left-to-right) order;
 * for right-to-left lines that reads backwards, so such lines are put back into reading order here. Arabic
 * presentation forms and Latin ligatures (glyph-level artefacts of how a font was embedded) become the letters
 * they stand for, so the text can be searched.
 */

/** The fields of a pdf.js TextItem this module needs. */
export interface TextChunk {
  str: string;
  dir: string;
  hasEOL: boolean;
}

const PRESENTATION_FORMS = /[\uFB00-\uFDFF\uFE70-\uFEFE]/gu;
const WHITESPACE = /\s/gu;

function splitLines(items: readonly TextChunk[]): TextChunk[][] {
  const lines: TextChunk[][] = [[]];
  for (const item of items) {
    lines[lines.length - 1]?.push(item);
    if (item.hasEOL) lines.push([]);
  }
  return lines;
}

function isRightToLeftLine(line: readonly TextChunk[]): boolean {
  let rtl = 0;
  let ltr = 0;
  for (const item of line) {
    const letters = item.str.replace(WHITESPACE, '').length;
    if (item.dir === 'rtl') rtl += letters;
    else ltr += letters;
  }
  return rtl > ltr;
}

/**
 * Visual → logical order for a right-to-left line: each RTL item is already in logical order, so the run order
 * is reversed while consecutive left-to-right items (numbers, Latin words and the spaces among them) keep
 * theirs.
 */
function toReadingOrder(line: readonly TextChunk[]): string[] {
  const runs: string[][] = [];
  let ltrRun: string[] | null = null;
  for (const item of line) {
    if (item.dir === 'rtl') {
      runs.push([item.str]);
      ltrRun = null;
    } else {
      if (!ltrRun) runs.push((ltrRun = []));
      ltrRun.push(item.str);
    }
  }
  return runs.reverse().flat();
}

function lineText(line: readonly TextChunk[]): string {
  const parts = isRightToLeftLine(line) ? toReadingOrder(line) : line.map((item) => item.str);
  return parts.join('').replace(/[ \t]+$/u, '');
}

export function normalizePresentationForms(text: string): string {
  return text.replace(PRESENTATION_FORMS, (glyph) => glyph.normalize('NFKC'));
}

export function textFromItems(items: readonly TextChunk[]): string {
  const text = splitLines(items).map(lineText).join('\n');
  return normalizePresentationForms(text).replace(/\n{3,}/g, '\n\n').trim();
}

/** Characters that count towards "this page has a text layer": whitespace does not. */
export function countTextChars(text: string): number {
  return text.replace(WHITESPACE, '').length;
}
