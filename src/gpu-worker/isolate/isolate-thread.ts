/**
 * Entry point of an isolate thread: a worker thread with its own heap limit where all PDF parsing, rendering
 * and image decoding happens. The server thread can terminate it at any moment (wall-time limit) and it dies
 * alone when it runs out of memory. It holds at most one open document.
 */
import { parentPort, resourceLimits } from 'node:worker_threads';
import type { PDFDocumentProxy } from 'pdfjs-dist/types/src/display/api.js';
import { DocumentError, coerceError } from '../../core/errors.js';
import { decodeImageGray } from '../image/image-decode.js';
import { openPdf, readPages, renderPageGray } from '../pdf/pdf-reader.js';
import { BUFFER_LIMIT_EXIT_CODE, limitBufferSizes } from './buffer-limit.js';
import type { IsolateOperations, IsolateReplyMessage, IsolateRequestMessage } from './isolate-messages.js';

type Handlers = {
  [K in keyof IsolateOperations]: (args: IsolateOperations[K]['request']) => Promise<IsolateOperations[K]['result']>;
};

let openDocument: PDFDocumentProxy | null = null;

function requireDocument(): PDFDocumentProxy {
  if (!openDocument) throw new Error('no PDF is open in this isolate');
  return openDocument;
}

async function closeDocument(): Promise<null> {
  const doc = openDocument;
  openDocument = null;
  await doc?.destroy();
  return null;
}

const handlers: Handlers = {
  'open-pdf': async ({ data, passwords }) => {
    await closeDocument();
    openDocument = await openPdf(data, passwords);
    return { pages: openDocument.numPages };
  },
  'read-pages': (options) => readPages(requireDocument(), options),
  'render-page': ({ page, dpi, maxPixels }) => renderPageGray(requireDocument(), page, dpi, maxPixels),
  'decode-image': ({ data, mimeType, targetDpi, maxPixels }) => decodeImageGray(data, mimeType, targetDpi, maxPixels),
  'close-document': closeDocument,
};

/** What @napi-rs/canvas says when a page draws an image too large to allocate (e.g. 30,000 × 30,000 pixels). */
const CANVAS_TOO_LARGE = /Create skia surface failed/;

function errorReply(id: number, thrown: unknown): IsolateReplyMessage {
  const error = coerceError(thrown);
  const code = error instanceof DocumentError ? error.code : CANVAS_TOO_LARGE.test(error.message) ? 'too_complex' : 'internal';
  return { id, ok: false, error: { code, message: error.message } };
}

/** Pixel buffers go back by transfer: a 300 dpi page is ~9 MB. */
function transferables(value: unknown): ArrayBuffer[] {
  const pixels = (value as { pixels?: unknown } | null)?.pixels;
  return pixels instanceof Uint8Array && pixels.buffer instanceof ArrayBuffer ? [pixels.buffer] : [];
}

async function handle(port: NonNullable<typeof parentPort>, message: IsolateRequestMessage): Promise<void> {
  try {
    const handler = handlers[message.op] as (args: unknown) => Promise<unknown>;
    const value = await handler(message.args);
    port.postMessage({ id: message.id, ok: true, value } satisfies IsolateReplyMessage, transferables(value));
  } catch (error) {
    port.postMessage(errorReply(message.id, error));
  }
}

// One buffer may be as large as the whole heap limit, no larger (decompression bombs; see buffer-limit.ts).
const heapMb = resourceLimits.maxOldGenerationSizeMb;
if (parentPort && heapMb) limitBufferSizes(heapMb * 1024 * 1024, () => process.exit(BUFFER_LIMIT_EXIT_CODE));

const port = parentPort;
if (port) port.on('message', (message: IsolateRequestMessage) => void handle(port, message));
