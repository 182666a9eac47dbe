/**
 * Writes text-layer pages with pdf-lib's standard fonts, and the fixed metadata every sample PDF carries
 * (pdf-lib otherwise stamps the current time, which would make each run's bytes different).
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { PDFFont, PDFPage } from 'pdf-lib';
import type { TextBlock } from './sample-texts.js';
import { FICTION_NOTICE } from './sample-texts.js';

/** US Letter, in points. */
export const PAGE_WIDTH_PT = 612;
export const PAGE_HEIGHT_PT = 792;
const MARGIN_PT = 72;
const TEXT_WIDTH_PT = PAGE_WIDTH_PT - 2 * MARGIN_PT;

/** The instant written into every sample's metadata. */
export const SAMPLE_DATE = new Date('2025-01-15T09:00:00Z');

interface BlockStyle {
  font: 'regular' | 'bold';
  size: number;
  /** Space below the block, in points. */
  after: number;
}

const STYLES: Record<TextBlock['kind'], BlockStyle> = {
  title: { font: 'bold', size: 15, after: 6 },
  heading: { font: 'bold', size: 12, after: 8 },
  line: { font: 'regular', size: 11, after: 3 },
  paragraph: { font: 'regular', size: 11, after: 10 },
  gap: { font: 'regular', size: 11, after: 8 },
};

export interface SampleFonts {
  regular: PDFFont;
  bold: PDFFont;
}

/** A new document whose metadata is fixed, so saving it twice gives the same bytes. */
export async function createSamplePdf(title: string): Promise<PDFDocument> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(title);
  doc.setAuthor('aseagi-batch sample generator');
  doc.setSubject(FICTION_NOTICE);
  doc.setProducer('aseagi-batch samples (pdf-lib)');
  doc.setCreator('aseagi-batch');
  doc.setCreationDate(SAMPLE_DATE);
  doc.setModificationDate(SAMPLE_DATE);
  return doc;
}

export async function embedSampleFonts(doc: PDFDocument): Promise<SampleFonts> {
  return {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
  };
}

/** Adds one page with `blocks` laid out top to bottom, and the fiction notice as a footer. */
export function addTextPage(doc: PDFDocument, fonts: SampleFonts, blocks: readonly TextBlock[]): PDFPage {
  const page = doc.addPage([PAGE_WIDTH_PT, PAGE_HEIGHT_PT]);
  let y = PAGE_HEIGHT_PT - MARGIN_PT;
  for (const textBlock of blocks) {
    const style = STYLES[textBlock.kind];
    const font = fonts[style.font];
    const lines =
      textBlock.kind === 'paragraph'
        ? wrapText(textBlock.text, TEXT_WIDTH_PT, measureWith(font, style.size))
        : [textBlock.text];
    for (const line of lines) {
      y -= style.size * 1.35;
      if (line) page.drawText(line, { x: MARGIN_PT, y, size: style.size, font, color: rgb(0, 0, 0) });
    }
    y -= style.after;
  }
  drawFooter(page, fonts.regular);
  return page;
}

/** Writes "Page i of n" on every page; called once all pages exist. */
export function numberPages(doc: PDFDocument, font: PDFFont): void {
  const pages = doc.getPages();
  pages.forEach((page, index) => {
    const label = `Page ${index + 1} of ${pages.length}`;
    const size = 9;
    page.drawText(label, { x: PAGE_WIDTH_PT - MARGIN_PT - font.widthOfTextAtSize(label, size), y: 40, size, font });
  });
}

function drawFooter(page: PDFPage, font: PDFFont): void {
  page.drawText(FICTION_NOTICE, { x: MARGIN_PT, y: 54, size: 8, font, color: rgb(0.3, 0.3, 0.3) });
}

function measureWith(font: PDFFont, size: number): (text: string) => number {
  return (text) => font.widthOfTextAtSize(text, size);
}

/** Greedy word wrap: as many words per line as fit in `maxWidth` according to `measure`. */
export function wrapText(text: string, maxWidth: number, measure: (text: string) => number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && measure(candidate) > maxWidth) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current) lines.push(current);
  return lines;
}
