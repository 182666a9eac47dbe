/**
 * Adds "scanned" pages to a PDF: the page's only content is one grayscale image, so it has no text layer and a
 * worker must OCR it.
 */
import { concatTransformationMatrix, drawObject, popGraphicsState, pushGraphicsState } from 'pdf-lib';
import type { PDFDocument, PDFPage } from 'pdf-lib';
import type { GrayImage } from './raster-pages.js';

/** Adds a page the size of `image` at its dpi, filled by the image. */
export function addScannedPage(doc: PDFDocument, image: GrayImage): PDFPage {
  const widthPt = (image.width / image.dpi) * 72;
  const heightPt = (image.height / image.dpi) * 72;
  const page = doc.addPage([widthPt, heightPt]);
  // flateStream compresses with pako (pure JS), so the bytes do not vary with the zlib build Node ships.
  const stream = doc.context.flateStream(image.pixels, {
    Type: 'XObject',
    Subtype: 'Image',
    Width: image.width,
    Height: image.height,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 8,
  });
  const name = page.node.newXObject('Scan', doc.context.register(stream));
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(widthPt, 0, 0, heightPt, 0, 0),
    drawObject(name),
    popGraphicsState(),
  );
  return page;
}
