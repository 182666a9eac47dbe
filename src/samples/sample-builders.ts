/**
 * One function per sample file: each returns the file's bytes, the same bytes on every run.
 */
import { createHash } from 'node:crypto';
import type { PDFDocument } from 'pdf-lib';
import { encryptPdf } from './pdf-encrypt.js';
import { renderPhotoPng, renderScannedPage } from './raster-pages.js';
import { addScannedPage } from './scan-pdf.js';
import {
  LETTER_PAGES,
  MIXED_COVER_PAGE,
  FAX_PAGES_LINES,
  MIXED_SCAN_LINES,
  PHOTO_LINES,
  SCANNED_NOTICE_LINES,
  SEALED_PAGE,
  SEALED_PASSWORD,
} from './sample-texts.js';
import { seededBytes } from './seeded-random.js';
import { writeBilevelTiff } from './tiff-writer.js';
import { addTextPage, createSamplePdf, embedSampleFonts, numberPages } from './text-pdf.js';

/** Scans are made at the resolution OCR engines are tuned for. */
export const SCAN_DPI = 300;

/** Object streams off: the classic layout is what most real-world PDFs in the collection use. */
async function savePdf(doc: PDFDocument): Promise<Uint8Array> {
  return doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
}

export async function buildLetterPdf(): Promise<Uint8Array> {
  const doc = await createSamplePdf('Notice of hearing - Case No. DEMO-0001 (fictional)');
  const fonts = await embedSampleFonts(doc);
  for (const blocks of LETTER_PAGES) addTextPage(doc, fonts, blocks);
  numberPages(doc, fonts.regular);
  return savePdf(doc);
}

export async function buildScannedNoticePdf(): Promise<Uint8Array> {
  const doc = await createSamplePdf('Scanned notice (fictional)');
  addScannedPage(doc, renderScannedPage(SCANNED_NOTICE_LINES, { dpi: SCAN_DPI, seed: 1001, rotationDeg: 0.3 }));
  return savePdf(doc);
}

export async function buildPhotoPng(): Promise<Uint8Array> {
  return renderPhotoPng(PHOTO_LINES);
}

export async function buildMixedPdf(): Promise<Uint8Array> {
  const doc = await createSamplePdf('Cover letter with scanned enclosure (fictional)');
  const fonts = await embedSampleFonts(doc);
  addTextPage(doc, fonts, MIXED_COVER_PAGE);
  addScannedPage(doc, renderScannedPage(MIXED_SCAN_LINES, { dpi: SCAN_DPI, seed: 2002, rotationDeg: -0.4 }));
  return savePdf(doc);
}

/** Fax "fine" resolution is about 200 dpi; a fax server stores a transmission as one bilevel TIFF. */
export const FAX_DPI = 200;

export async function buildFaxTiff(): Promise<Uint8Array> {
  const pages = FAX_PAGES_LINES.map((lines, index) => renderScannedPage(lines, { dpi: FAX_DPI, seed: 3003 + index, rotationDeg: 0.2 }));
  return writeBilevelTiff(pages);
}

/**
 * The letter as an interrupted copy leaves it: cut off in the middle of the first page's content stream, so
 * the cross-reference table and the trailer are gone, followed by a stale `startxref` pointing past the end.
 */
export async function buildDamagedPdf(): Promise<Uint8Array> {
  const letter = await buildLetterPdf();
  const cut = letter.subarray(0, Math.floor(letter.length * 0.6));
  const staleTail = Buffer.from(`\nstartxref\n${letter.length - 300}\n%%EOF\n`, 'latin1');
  return new Uint8Array(Buffer.concat([cut, staleTail]));
}

export async function buildSealedPdf(): Promise<Uint8Array> {
  const doc = await createSamplePdf('Evaluator summary (fictional, encrypted)');
  const fonts = await embedSampleFonts(doc);
  addTextPage(doc, fonts, SEALED_PAGE);
  const plain = await savePdf(doc);
  const fileId = createHash('md5').update('aseagi-batch sample sealed.pdf').digest();
  return encryptPdf(plain, { userPassword: SEALED_PASSWORD, fileId });
}

/**
 * A few bytes that are no known document format. They start with a byte no text or image format begins with,
 * and contain NUL and invalid UTF-8, so content sniffing cannot take them for plain text either.
 */
export async function buildUnsupportedBytes(): Promise<Uint8Array> {
  const body = seededBytes(7007, 61);
  return new Uint8Array([0x00, 0xff, 0xfe, ...body.subarray(3)]);
}
