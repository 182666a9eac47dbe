/**
 * Messages between the server thread and an isolate thread. One request at a time per isolate; replies carry
 * the request's id. Errors cross as coded {@link DocumentErrorCode}s because Error objects lose their class.
 */
import type { DocumentErrorCode } from '../../core/errors.js';

export interface PageReading {
  page: number;
  /** Text-layer text (plus form field values). */
  text: string;
  /** Non-whitespace characters in `text`. */
  chars: number;
  /** Almost no text, and the page paints an image: a scan. */
  needsOcr: boolean;
  error: { code: DocumentErrorCode; message: string } | null;
}

export interface ReadPagesOptions {
  /** A page with fewer non-whitespace characters than this is a scan if it paints an image. */
  minTextChars: number;
  /**
   * Whether to look for scans at all. Finding out whether a page paints an image means building its operator
   * list, which decodes every image on it; with no OCR engine to hand the scans to, that work would be wasted.
   */
  findScans: boolean;
}

/** Grayscale pixels as they cross the thread boundary (the buffer is transferred, not copied). */
export interface RenderedImage {
  width: number;
  height: number;
  dpi: number;
  pixels: Uint8Array;
}

/** Each operation's request fields and result. */
export interface IsolateOperations {
  'open-pdf': { request: { data: Uint8Array; passwords: string[] }; result: { pages: number } };
  'read-pages': { request: ReadPagesOptions; result: PageReading[] };
  'render-page': { request: { page: number; dpi: number; maxPixels: number }; result: RenderedImage };
  'decode-image': {
    request: { data: Uint8Array; mimeType: 'image/png' | 'image/jpeg'; targetDpi: number; maxPixels: number };
    result: RenderedImage;
  };
  'close-document': { request: Record<string, never>; result: null };
}

export type IsolateOperation = keyof IsolateOperations;

export interface IsolateRequestMessage<K extends IsolateOperation = IsolateOperation> {
  id: number;
  op: K;
  args: IsolateOperations[K]['request'];
}

export type IsolateReplyMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: DocumentErrorCode; message: string } };
