/**
 * Test helpers: open sample files with the same pdf.js build the workers use (legacy build, Node 20).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

const require = createRequire(import.meta.url);
const STANDARD_FONTS = `${path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts')}/`;

/** Opens `bytes` (copied: pdf.js takes ownership of the buffer it is given). */
export async function openPdf(bytes: Uint8Array, password?: string): Promise<PDFDocumentProxy> {
  const task = getDocument({
    data: new Uint8Array(bytes),
    password,
    verbosity: 0,
    standardFontDataUrl: STANDARD_FONTS,
    isEvalSupported: false,
  });
  return task.promise;
}

/** The text layer of one page, items joined as pdf.js orders them. */
export async function pageText(pdf: PDFDocumentProxy, pageNumber: number): Promise<string> {
  const page = await pdf.getPage(pageNumber);
  const content = await page.getTextContent();
  return content.items
    .map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ''}` : ''))
    .join('')
    .trim();
}

/** The error a promise rejects with, or a failure when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: unknown };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Renders a page as pdf.js would for OCR, with pdf.js's own canvas factory; returns PNG bytes. */
export async function renderPagePng(pdf: PDFDocumentProxy, pageNumber: number, dpi: number): Promise<Buffer> {
  const page = await pdf.getPage(pageNumber);
  const viewport = page.getViewport({ scale: dpi / 72 });
  // pdf.js bundles its own @napi-rs/canvas; mixing its canvases with another copy's crashes the process.
  const factory = (pdf as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
  const { canvas } = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
  await page.render({ canvas: canvas as never, viewport }).promise;
  return canvas.encode('png');
}

interface CanvasFactory {
  create(width: number, height: number): { canvas: { encode(format: 'png'): Promise<Buffer> } };
}
