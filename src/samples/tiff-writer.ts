/**
 * Writes grayscale pages as one multi-page bilevel TIFF (PackBits, one strip per page): what a fax server or a
 * document scanner's "one file per bundle" setting delivers. Used for the sample bundle and by tests.
 */
import type { GrayImage } from './raster-pages.js';

const TYPE_SHORT = 3;
const TYPE_LONG = 4;
const TYPE_RATIONAL = 5;
const COMPRESSION_PACKBITS = 32773;
const PHOTOMETRIC_WHITE_IS_ZERO = 0;
const RESOLUTION_UNIT_INCH = 2;

interface Entry {
  tag: number;
  type: number;
  /** SHORT/LONG: the value; RATIONAL: the numerator (denominator 1). */
  value: number;
}

/** Pixels darker than `threshold` become ink; rows packed 8 pixels per byte, most significant bit first. */
function toBilevelRows(image: GrayImage, threshold: number): Uint8Array[] {
  const rowBytes = Math.ceil(image.width / 8);
  const rows: Uint8Array[] = [];
  for (let y = 0; y < image.height; y += 1) {
    const row = new Uint8Array(rowBytes);
    const offset = y * image.width;
    for (let x = 0; x < image.width; x += 1) {
      if ((image.pixels[offset + x] ?? 255) < threshold) row[x >> 3]! |= 0x80 >> (x & 7);
    }
    rows.push(row);
  }
  return rows;
}

/** PackBits (Apple / TIFF compression 32773): runs of 2–128 equal bytes, or 1–128 literal bytes. */
export function packBits(row: Uint8Array): Uint8Array {
  const out: number[] = [];
  let index = 0;
  while (index < row.length) {
    let run = 1;
    while (index + run < row.length && run < 128 && row[index + run] === row[index]) run += 1;
    if (run >= 2) {
      out.push(257 - run, row[index]!);
      index += run;
      continue;
    }
    const start = index;
    while (index < row.length && index - start < 128 && !(index + 1 < row.length && row[index + 1] === row[index])) index += 1;
    if (index === start) index += 1;
    out.push(index - start - 1, ...row.subarray(start, index));
  }
  return Uint8Array.from(out);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface BilevelTiffOptions {
  /** Pixels darker than this are ink (default 128). */
  threshold?: number;
  /** Intel ("II", the default) or Motorola ("MM") byte order. */
  littleEndian?: boolean;
}

export function writeBilevelTiff(pages: readonly GrayImage[], options: BilevelTiffOptions = {}): Uint8Array {
  const { threshold = 128, littleEndian: le = true } = options;
  if (pages.length === 0) throw new Error('a TIFF needs at least one page');
  const strips = pages.map((page) => concat(toBilevelRows(page, threshold).map(packBits)));
  const entriesPerIfd = 12;
  const ifdBytes = 2 + entriesPerIfd * 12 + 4;
  // Layout: header, then per page [IFD, two resolution rationals (16 bytes), strip], each even-aligned.
  const pageOffsets: number[] = [];
  let cursor = 8;
  for (const strip of strips) {
    pageOffsets.push(cursor);
    cursor += ifdBytes + 16 + strip.length;
    cursor += cursor % 2;
  }
  const file = new Uint8Array(cursor);
  const view = new DataView(file.buffer);
  file.set(le ? [0x49, 0x49] : [0x4d, 0x4d]);
  view.setUint16(2, 42, le);
  view.setUint32(4, pageOffsets[0]!, le);
  pages.forEach((page, index) => {
    const ifd = pageOffsets[index]!;
    const resolution = ifd + ifdBytes;
    const stripOffset = resolution + 16;
    const strip = strips[index]!;
    const entries: Entry[] = [
      { tag: 256, type: TYPE_LONG, value: page.width },
      { tag: 257, type: TYPE_LONG, value: page.height },
      { tag: 258, type: TYPE_SHORT, value: 1 },
      { tag: 259, type: TYPE_SHORT, value: COMPRESSION_PACKBITS },
      { tag: 262, type: TYPE_SHORT, value: PHOTOMETRIC_WHITE_IS_ZERO },
      { tag: 273, type: TYPE_LONG, value: stripOffset },
      { tag: 277, type: TYPE_SHORT, value: 1 },
      { tag: 278, type: TYPE_LONG, value: page.height },
      { tag: 279, type: TYPE_LONG, value: strip.length },
      { tag: 282, type: TYPE_RATIONAL, value: resolution },
      { tag: 283, type: TYPE_RATIONAL, value: resolution + 8 },
      { tag: 296, type: TYPE_SHORT, value: RESOLUTION_UNIT_INCH },
    ];
    view.setUint16(ifd, entries.length, le);
    entries.forEach((entry, slot) => {
      const at = ifd + 2 + slot * 12;
      view.setUint16(at, entry.tag, le);
      view.setUint16(at + 2, entry.type, le);
      view.setUint32(at + 4, 1, le);
      if (entry.type === TYPE_SHORT) view.setUint16(at + 8, entry.value, le);
      else view.setUint32(at + 8, entry.value, le);
    });
    view.setUint32(ifd + 2 + entries.length * 12, pageOffsets[index + 1] ?? 0, le);
    for (const at of [resolution, resolution + 8]) {
      view.setUint32(at, page.dpi, le);
      view.setUint32(at + 4, 1, le);
    }
    file.set(strip, stripOffset);
  });
  return file;
}
