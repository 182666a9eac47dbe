/**
 * Everything pdf.js does for the worker. Runs INSIDE an isolate thread (see ../isolate), never on the server's
 * thread: a hostile PDF can spin or eat memory here and only this thread dies.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
// Must be imported before pdf.js, to capture the engine's own Array.prototype.push.
import { restoreNativePush } from './native-push.js';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy, PDFPageProxy, RenderParameters } from 'pdfjs-dist/types/src/display/api.js';
import { DocumentError } from '../../core/errors.js';
import { mapInLanes } from '../../core/in-lanes.js';
import { fitScale, rgbaToGray } from '../image/pixels.js';
import type { PageReading, ReadPagesOptions, RenderedImage } from '../isolate/isolate-messages.js';
import { countTextChars, textFromItems, type TextChunk } from './page-text.js';

restoreNativePush();

/** Operators that paint a raster image (scans are images, or 1-bit image masks for fax-style scans). */
const IMAGE_OPS: ReadonlySet<number> = new Set([
  pdfjs.OPS.paintImageXObject,
  pdfjs.OPS.paintImageXObjectRepeat,
  pdfjs.OPS.paintInlineImageXObject,
  pdfjs.OPS.paintInlineImageXObjectGroup,
  pdfjs.OPS.paintImageMaskXObject,
  pdfjs.OPS.paintImageMaskXObjectGroup,
  pdfjs.OPS.paintImageMaskXObjectRepeat,
  pdfjs.OPS.paintSolidColorImageMask,
]);

/** The part of pdf.js's (untyped) canvas factory used here. */
interface CanvasFactory {
  create(width: number, height: number): CanvasEntry;
  destroy(entry: CanvasEntry): void;
}

interface CanvasEntry {
  canvas: { width: number; height: number };
  context: { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } };
}

interface PdfjsAssets {
  cMapUrl: string;
  standardFontDataUrl: string;
  wasmUrl: string;
  iccUrl: string;
}

let assets: PdfjsAssets | undefined;

/** pdf.js reads CMaps (CID fonts), standard fonts and its wasm decoders from its own package folder. */
function pdfjsAssets(): PdfjsAssets {
  if (!assets) {
    const root = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
    const folder = (name: string): string => path.join(root, name) + path.sep;
    assets = { cMapUrl: folder('cmaps'), standardFontDataUrl: folder('standard_fonts'), wasmUrl: folder('wasm'), iccUrl: folder('iccs') };
  }
  return assets;
}

function classifyOpenError(error: unknown, passwordsExhausted: boolean): DocumentError {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException' || passwordsExhausted) {
    return new DocumentError('encrypted', 'the PDF is password-protected and no configured password opens it', {
      retryable: false,
    });
  }
  return new DocumentError('corrupt', `not a readable PDF: ${message}`, { cause: error });
}

/** Opens a PDF, trying the empty password (pdf.js does), then each configured one. */
export async function openPdf(data: Uint8Array, passwords: readonly string[]): Promise<PDFDocumentProxy> {
  const task = pdfjs.getDocument({
    data,
    ...pdfjsAssets(),
    cMapPacked: true,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  });
  let next = 0;
  let exhausted = false;
  task.onPassword = (update: (password: string | Error) => void) => {
    const password = passwords[next++];
    if (password !== undefined) return update(password);
    exhausted = true;
    update(new Error('no configured password opens this PDF'));
  };
  try {
    const doc = await task.promise;
    // pdf.js loads its worker code (with the same polyfills) on the first document.
    restoreNativePush();
    return doc;
  } catch (error) {
    await task.destroy().catch(() => undefined);
    throw classifyOpenError(error, exhausted);
  }
}

async function loadPage(doc: PDFDocumentProxy, pageNumber: number): Promise<PDFPageProxy> {
  try {
    return await doc.getPage(pageNumber);
  } catch (error) {
    // The page tree itself is broken (e.g. circular): page numbering cannot be trusted, so the whole document is.
    const message = error instanceof Error ? error.message : String(error);
    throw new DocumentError('corrupt', `page ${pageNumber} cannot be located: ${message}`, { cause: error });
  }
}

/** Values typed into AcroForm text and choice fields; they live in annotations, not in the page's text. */
async function formValues(page: PDFPageProxy): Promise<string[]> {
  const annotations = (await page.getAnnotations()) as Array<{ fieldType?: string; fieldValue?: unknown }>;
  return annotations
    .filter((annotation) => annotation.fieldType === 'Tx' || annotation.fieldType === 'Ch')
    .flatMap((annotation) => (Array.isArray(annotation.fieldValue) ? annotation.fieldValue : [annotation.fieldValue]))
    .filter((value): value is string => typeof value === 'string' && value.trim().length > 0);
}

async function pageText(page: PDFPageProxy, withForms: boolean): Promise<string> {
  const content = await page.getTextContent();
  const items = content.items.filter((item): item is TextChunk & typeof item => 'str' in item);
  const fields = withForms ? await formValues(page) : [];
  return [textFromItems(items), ...fields].filter(Boolean).join('\n');
}

/**
 * Whether the document has form fields at all. Reading every page's annotations costs about 40 % of text-layer
 * extraction, so it is done only for documents that have something to find there.
 */
async function hasFormFields(doc: PDFDocumentProxy): Promise<boolean> {
  try {
    return (await doc.getFieldObjects()) !== null;
  } catch {
    // A broken AcroForm dictionary: look at the annotations page by page, as if there were fields.
    return true;
  }
}

async function drawsImage(page: PDFPageProxy): Promise<boolean> {
  const operators = await page.getOperatorList();
  return operators.fnArray.some((op) => IMAGE_OPS.has(op));
}

function pageFailure(pageNumber: number, error: unknown): PageReading {
  const message = error instanceof Error ? error.message : String(error);
  return { page: pageNumber, text: '', chars: 0, needsOcr: false, error: { code: 'corrupt', message } };
}

/**
 * Reads one page's text layer and decides whether it needs OCR: only when it has almost no text AND paints an
 * image. Blank and vector-only pages are left alone. A broken page is reported, not fatal.
 */
async function readPage(doc: PDFDocumentProxy, pageNumber: number, options: ReadPagesOptions, withForms: boolean): Promise<PageReading> {
  const page = await loadPage(doc, pageNumber);
  let listedOperators = false;
  try {
    const text = await pageText(page, withForms);
    const chars = countTextChars(text);
    listedOperators = options.findScans && chars < options.minTextChars;
    const needsOcr = listedOperators && (await drawsImage(page));
    return { page: pageNumber, text, chars, needsOcr, error: null };
  } catch (error) {
    return pageFailure(pageNumber, error);
  } finally {
    // Only an operator list leaves much behind; cleaning up after every page would cost ~10 % of the text layer.
    if (listedOperators) page.cleanup();
  }
}

/**
 * pdf.js answers each page through its (in-thread) worker port, one message at a time: asked one page after
 * another, the thread sits idle between answers for about a quarter of the time. A few pages in flight keep it busy.
 */
const PAGES_IN_FLIGHT = 4;

export async function readPages(doc: PDFDocumentProxy, options: ReadPagesOptions): Promise<PageReading[]> {
  const withForms = await hasFormFields(doc);
  return mapInLanes(doc.numPages, PAGES_IN_FLIGHT, (index) => readPage(doc, index + 1, options, withForms));
}

/** Renders one page to grayscale at `dpi`, or lower when the page is so large it would exceed `maxPixels`. */
export async function renderPageGray(
  doc: PDFDocumentProxy,
  pageNumber: number,
  dpi: number,
  maxPixels: number,
): Promise<RenderedImage> {
  const page = await loadPage(doc, pageNumber);
  try {
    const unit = page.getViewport({ scale: 1 });
    const scale = fitScale(unit.width, unit.height, dpi / 72, maxPixels);
    const viewport = page.getViewport({ scale });
    const factory = doc.canvasFactory as CanvasFactory;
    // pdf.js ships its own @napi-rs/canvas build; its Path2D objects only work on canvases from the same build.
    const entry = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
    try {
      await page.render({ canvas: entry.canvas as RenderParameters['canvas'], viewport }).promise;
      const { width, height } = entry.canvas;
      const rgba = entry.context.getImageData(0, 0, width, height).data;
      return { width, height, dpi: Math.round(scale * 72), pixels: rgbaToGray(rgba) };
    } finally {
      factory.destroy(entry);
    }
  } finally {
    page.cleanup();
  }
}
