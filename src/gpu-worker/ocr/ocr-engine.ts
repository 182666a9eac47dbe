/**
 * The one interface every OCR engine implements (tesseract.js, the native tesseract binary, a VLM server).
 * The document pipeline only ever sees this: it hands over an image and gets text plus a confidence back.
 */

/** 8-bit grayscale pixels, row-major, one byte per pixel (0 = black). */
export interface GrayImage {
  readonly kind: 'gray';
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  /** Resolution the pixels were rendered at; engines use it to size their text models. */
  readonly dpi: number;
}

/**
 * An image file the worker cannot (or need not) decode itself, e.g. a CCITT G4 TIFF. Engines based on
 * leptonica read these formats natively.
 */
export interface EncodedImage {
  readonly kind: 'encoded';
  readonly mimeType: 'image/tiff' | 'image/png' | 'image/jpeg';
  readonly bytes: Uint8Array;
}

export type OcrImage = GrayImage | EncodedImage;

export interface OcrRequest {
  /** Tesseract language codes joined by '+'. */
  readonly langs: string;
  /** Tesseract page segmentation mode (3 = automatic layout, 6 = one block: tables, forms). */
  readonly psm: number;
  /** Aborts a queued or running recognition (document timeout, shutdown). */
  readonly signal?: AbortSignal;
}

/** How a reading is laid out, for judging whether another segmentation mode would read more (tesseract). */
export interface LayoutStats {
  readonly words: number;
  readonly lines: number;
  /** Letters and digits in words read with confidence ≥ 70 that have at least two of them: text worth keeping. */
  readonly confidentChars: number;
}

export interface OcrOutput {
  readonly text: string;
  /** Mean word (or token) confidence, 0–100; null when the engine reports none. */
  readonly confidence: number | null;
  /** The engine that produced this reading, when it is not the one asked (a fallback). */
  readonly engine?: string;
  readonly layout?: LayoutStats;
}

export interface OcrEngine {
  /** Reported in results as `ocrEngine`. */
  readonly name: string;
  recognize(image: OcrImage, request: OcrRequest): Promise<OcrOutput>;
  /** Stops every thread or process the engine started. Idempotent. */
  close(): Promise<void>;
}

/** Turns `eng+spa` into `['eng', 'spa']`. */
export function splitLangs(langs: string): string[] {
  return langs.split('+').filter((lang) => lang.length > 0);
}

/** Writes a binary PGM (P5): the cheapest format both tesseract builds read without a PNG round trip. */
export function encodePgm(image: GrayImage): Buffer {
  const header = Buffer.from(`P5\n${image.width} ${image.height}\n255\n`, 'ascii');
  const pixels = Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength);
  return Buffer.concat([header, pixels]);
}
