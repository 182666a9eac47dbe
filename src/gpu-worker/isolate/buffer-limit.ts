/**
 * A ceiling on single binary buffers inside an isolate thread. The thread's heap limit does not cover
 * ArrayBuffer memory, so without this a ~80 KB PDF whose stream inflates to gigabytes (a decompression bomb)
 * grows pdf.js's decode buffers until the whole worker process holds over 10 GB. In the isolate thread only,
 * typed-array and ArrayBuffer constructors and `DecompressionStream` (pdf.js inflates content streams with it,
 * collecting every chunk before it allocates the result) are wrapped, so that a buffer or a decompressed stream
 * over the limit ends the thread the way running out of heap would: the server thread then reports the document
 * as `too_complex`.
 */

/** The exit code of an isolate thread that asked for a buffer over its limit. */
export const BUFFER_LIMIT_EXIT_CODE = 86;

const CONSTRUCTORS = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

type BufferConstructor = new (a?: unknown, b?: unknown, c?: unknown) => object;

/**
 * `original` behind a length check. A plain function rather than a Proxy: pdf.js allocates typed arrays all the
 * time, and a Proxy's construct trap made text extraction ~60 % slower; this costs one comparison. `instanceof`
 * and the statics (`from`, `of`, `BYTES_PER_ELEMENT`) keep working through the shared prototype objects.
 */
function limited(original: BufferConstructor, bytesPerElement: number, maxBytes: number, onExceeded: (bytes: number) => never): BufferConstructor {
  const maxLength = Math.floor(maxBytes / bytesPerElement);
  function Limited(this: unknown, a?: unknown, b?: unknown, c?: unknown): object {
    if (typeof a === 'number' && a > maxLength) onExceeded(a * bytesPerElement);
    // A subclass (none in pdf.js, but possible) must get its own prototype.
    return new.target === Limited ? new original(a, b, c) : (Reflect.construct(original, [a, b, c], new.target ?? original) as object);
  }
  Limited.prototype = original.prototype as object;
  Object.setPrototypeOf(Limited, original);
  return Limited as unknown as BufferConstructor;
}

/** `DecompressionStream`, counting what comes out: past `maxBytes` in one stream, `onExceeded`. */
function limitDecompression(maxBytes: number, onExceeded: (bytes: number) => never): void {
  const Original = globalThis.DecompressionStream;
  if (!Original) return;
  class LimitedDecompressionStream {
    readonly writable: DecompressionStream['writable'];
    readonly readable: ReadableStream<Uint8Array>;

    constructor(format: ConstructorParameters<typeof DecompressionStream>[0]) {
      const inner = new Original(format);
      let total = 0;
      const count = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          total += chunk.byteLength;
          if (total > maxBytes) onExceeded(total);
          controller.enqueue(chunk);
        },
      });
      this.writable = inner.writable;
      this.readable = inner.readable.pipeThrough(count);
    }
  }
  globalThis.DecompressionStream = LimitedDecompressionStream as unknown as typeof DecompressionStream;
}

/**
 * Replaces the global buffer constructors with ones that call `onExceeded` (which must not return) for any
 * allocation over `maxBytes`, and `DecompressionStream` with one that does so past `maxBytes` of output.
 */
export function limitBufferSizes(maxBytes: number, onExceeded: (bytes: number) => never): void {
  const globals = globalThis as unknown as Record<string, BufferConstructor & { BYTES_PER_ELEMENT?: number }>;
  for (const name of CONSTRUCTORS) {
    const original = globals[name];
    if (original) globals[name] = limited(original, original.BYTES_PER_ELEMENT ?? 1, maxBytes, onExceeded);
  }
  limitDecompression(maxBytes, onExceeded);
}
