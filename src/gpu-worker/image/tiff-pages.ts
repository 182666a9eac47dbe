/**
 * Multi-page TIFFs (fax bundles, scanner batches) cut into one single-page TIFF per page, without decoding
 * anything. tesseract.js reads only the first page of a TIFF and silently drops the rest; the native binary reads
 * them all but as one page. Cut apart, every page is read, counted and reported on its own.
 *
 * Each page is rebuilt from its IFD: the entries are kept in the file's byte order, out-of-line values and image
 * data are copied behind the new IFD, and data offsets are rewritten. Pointers to other IFDs (sub-images, EXIF,
 * GPS) are dropped: OCR needs none of them. Only classic TIFF is cut; BigTIFF goes to the engine whole.
 */
import { DocumentError } from '../../core/errors.js';

export interface TiffLayout {
  littleEndian: boolean;
  /** Where each page's IFD starts, in page order. */
  pages: number[];
  /** Why the chain of pages ended early (a pointer out of the file), else null. */
  brokenAfterLastPage: string | null;
}

/** More pages than any real bundle has; a longer chain is a hostile file (each page costs seconds of OCR). */
export const MAX_TIFF_PAGES = 5_000;
/** libtiff's own sanity limit on entries in one IFD is of this order. */
const MAX_IFD_ENTRIES = 4_096;
const CLASSIC_MAGIC = 42;
const BIGTIFF_MAGIC = 43;

/** Bytes per value of each field type (TIFF 6.0, plus type 13, IFD). */
export const TIFF_TYPE_SIZES: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
const TYPE_IFD = 13;
/** SubIFDs, EXIF, GPS and interoperability IFD pointers. */
const IFD_POINTER_TAGS: ReadonlySet<number> = new Set([330, 34665, 34853, 40965]);
/** Data offset tag → the tag holding the byte count of each piece (strips, tiles, old-style JPEG). */
const DATA_TAGS: ReadonlyMap<number, number> = new Map([[273, 279], [324, 325], [513, 514]]);

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Where the value is: inside the entry (≤ 4 bytes) or at an offset in the file. */
  valueAt: number;
  size: number;
}

function corrupt(message: string): DocumentError {
  return new DocumentError('corrupt', `not a readable TIFF: ${message}`);
}

class Reader {
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fits(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= this.bytes.length;
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, this.littleEndian);
  }

  /** The `index`th value of a SHORT or LONG field. */
  integer(entry: Entry, index: number): number {
    return entry.type === TYPE_SHORT ? this.u16(entry.valueAt + 2 * index) : this.u32(entry.valueAt + 4 * index);
  }
}

function byteOrder(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x49 && bytes[1] === 0x49) return true;
  if (bytes[0] === 0x4d && bytes[1] === 0x4d) return false;
  throw corrupt('no byte-order mark');
}

/** The pages of a classic TIFF, or null for a BigTIFF (read whole by the engine). */
export function readTiffLayout(bytes: Uint8Array): TiffLayout | null {
  if (bytes.length < 8) throw corrupt('shorter than its header');
  const reader = new Reader(bytes, byteOrder(bytes));
  const magic = reader.u16(2);
  if (magic === BIGTIFF_MAGIC) return null;
  if (magic !== CLASSIC_MAGIC) throw corrupt(`unknown version ${magic}`);
  const pages: number[] = [];
  const seen = new Set<number>();
  let next = reader.u32(4);
  let broken: string | null = null;
  while (next !== 0 && !seen.has(next)) {
    const fits = reader.fits(next, 2) && reader.fits(next, 2 + 12 * reader.u16(next) + 4);
    if (!fits) {
      if (pages.length === 0) throw corrupt('its first page lies outside the file');
      broken = `the file ends before page ${pages.length + 1}`;
      break;
    }
    if (pages.length >= MAX_TIFF_PAGES) {
      throw new DocumentError('too_complex', `the TIFF has more than ${MAX_TIFF_PAGES} pages`, { retryable: false });
    }
    seen.add(next);
    pages.push(next);
    next = reader.u32(next + 2 + 12 * reader.u16(next));
  }
  if (pages.length === 0) throw corrupt('it has no pages');
  return { littleEndian: reader.littleEndian, pages, brokenAfterLastPage: broken };
}

function readEntries(reader: Reader, ifd: number): Entry[] {
  const count = reader.u16(ifd);
  if (count > MAX_IFD_ENTRIES) throw corrupt(`a page has ${count} fields`);
  const entries: Entry[] = [];
  for (let slot = 0; slot < count; slot += 1) {
    const at = ifd + 2 + 12 * slot;
    const tag = reader.u16(at);
    const type = reader.u16(at + 2);
    const typeSize = TIFF_TYPE_SIZES[type];
    // Unknown types are skipped, as libtiff does; pointers to other IFDs lead to images OCR does not need.
    if (typeSize === undefined || type === TYPE_IFD || IFD_POINTER_TAGS.has(tag)) continue;
    const values = reader.u32(at + 4);
    const size = values * typeSize;
    const valueAt = size <= 4 ? at + 8 : reader.u32(at + 8);
    if (!reader.fits(valueAt, size)) throw corrupt(`field ${tag} points outside the file`);
    entries.push({ tag, type, count: values, valueAt, size });
  }
  return entries;
}

/** Output under construction: appended pieces start on even offsets, as TIFF requires. */
class Builder {
  readonly parts: Uint8Array[] = [];
  length: number;

  constructor(start: number) {
    this.length = start;
  }

  append(piece: Uint8Array): number {
    if (this.length % 2 === 1) this.push(new Uint8Array(1));
    const offset = this.length;
    this.push(piece);
    return offset;
  }

  private push(piece: Uint8Array): void {
    this.parts.push(piece);
    this.length += piece.length;
  }
}

/** The image data pieces of a data tag: each piece's new offset, written as LONGs in the file's byte order. */
function copyPieces(reader: Reader, offsets: Entry, counts: Entry | undefined, out: Builder, limit: number): Uint8Array {
  if (!counts || counts.count !== offsets.count || (counts.type !== TYPE_SHORT && counts.type !== TYPE_LONG)) {
    throw corrupt(`field ${offsets.tag} has no matching byte counts`);
  }
  const written = new DataView(new ArrayBuffer(4 * offsets.count));
  for (let index = 0; index < offsets.count; index += 1) {
    const from = reader.integer(offsets, index);
    const length = reader.integer(counts, index);
    if (!reader.fits(from, length)) throw corrupt(`image data of field ${offsets.tag} lies outside the file`);
    if (out.length + length > limit) throw new DocumentError('too_complex', 'a TIFF page refers to more image data than the file holds', { retryable: false });
    written.setUint32(4 * index, out.append(reader.bytes.subarray(from, from + length)), reader.littleEndian);
  }
  return new Uint8Array(written.buffer);
}

/** Page `index` (0-based) of a multi-page TIFF as a TIFF file of its own. */
export function tiffPage(bytes: Uint8Array, layout: TiffLayout, index: number): Uint8Array {
  const ifd = layout.pages[index];
  if (ifd === undefined) throw new RangeError(`the TIFF has no page ${index + 1}`);
  const reader = new Reader(bytes, layout.littleEndian);
  const entries = readEntries(reader, ifd);
  const byTag = new Map(entries.map((entry) => [entry.tag, entry]));
  const ifdLength = 2 + 12 * entries.length + 4;
  const out = new Builder(8 + ifdLength);
  // Shared strips would let one small file expand into many large pages.
  const limit = 2 * bytes.length + 1024 * 1024;

  const ifdBytes = new Uint8Array(ifdLength);
  const ifdView = new DataView(ifdBytes.buffer);
  ifdView.setUint16(0, entries.length, layout.littleEndian);
  entries.forEach((entry, slot) => {
    const at = 2 + 12 * slot;
    const countsTag = DATA_TAGS.get(entry.tag);
    let type = entry.type;
    let value = reader.bytes.subarray(entry.valueAt, entry.valueAt + entry.size);
    if (countsTag !== undefined && (entry.type === TYPE_SHORT || entry.type === TYPE_LONG)) {
      type = TYPE_LONG;
      value = copyPieces(reader, entry, byTag.get(countsTag), out, limit);
    }
    ifdView.setUint16(at, entry.tag, layout.littleEndian);
    ifdView.setUint16(at + 2, type, layout.littleEndian);
    ifdView.setUint32(at + 4, entry.count, layout.littleEndian);
    if (value.length <= 4) ifdBytes.set(value, at + 8);
    else ifdView.setUint32(at + 8, out.append(value), layout.littleEndian);
  });
  // The next-IFD pointer stays 0: this file has one page.

  const file = new Uint8Array(out.length);
  file.set(bytes.subarray(0, 4));
  new DataView(file.buffer).setUint32(4, 8, layout.littleEndian);
  file.set(ifdBytes, 8);
  let offset = 8 + ifdLength;
  for (const part of out.parts) {
    file.set(part, offset);
    offset += part.length;
  }
  return file;
}
