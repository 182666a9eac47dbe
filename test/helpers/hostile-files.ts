/**
 * Hostile documents made at test time (never committed as binaries): empty files, page and pixel counts meant to
 * exhaust a reader, decompression bombs, reference loops, deep nesting, lying names. Every maker is cheap: the
 * bombs are written as hand-made deflate streams (a few MB describe gigabytes), not by compressing gigabytes.
 */
import { crc32, deflateSync } from 'node:zlib';
import { createCanvas } from '@napi-rs/canvas';

// ---------------------------------------------------------------------------------------------------------------
// Deflate streams of zeros, written directly: one literal 0, then "copy 258 bytes from 1 back" over and over.

class BitWriter {
  private readonly bytes: Uint8Array;
  private length = 0;
  private bit = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  /** `count` bits of `value`, least significant first (deflate's order for everything but Huffman codes). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i += 1) this.push((value >>> i) & 1);
  }

  /** A Huffman code, most significant bit first. */
  code(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i -= 1) this.push((value >>> i) & 1);
  }

  private push(bit: number): void {
    if (bit) this.bytes[this.length] = (this.bytes[this.length] ?? 0) | (1 << this.bit);
    this.bit += 1;
    if (this.bit === 8) {
      this.bit = 0;
      this.length += 1;
    }
  }

  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length + (this.bit > 0 ? 1 : 0));
  }
}

const FIXED_LITERAL_ZERO = { code: 0b00110000, bits: 8 };
const FIXED_LENGTH_258 = { code: 0b11000101, bits: 8 };
const FIXED_END_OF_BLOCK = { code: 0, bits: 7 };

/** Writes `count` "copy 258 bytes from 1 back" pairs (13 bits each). */
function copyPairs(writer: BitWriter, count: number): void {
  for (let i = 0; i < count; i += 1) {
    writer.code(FIXED_LENGTH_258.code, FIXED_LENGTH_258.bits);
    writer.code(0, 5); // distance code 0 = 1 byte back
  }
}

/** Eight pairs are 104 bits: 13 bytes that repeat unchanged once the stream is byte-aligned. */
function pairGroup(): Uint8Array {
  const writer = new BitWriter(13);
  copyPairs(writer, 8);
  return writer.finish();
}

/**
 * A raw deflate stream (one fixed-Huffman block) that inflates to `size` zero bytes, about size / 159 bytes long.
 * After the 3-bit block header, one literal and one pair (24 bits) the stream is byte-aligned, so the bulk is one
 * 13-byte group repeated with `Buffer.fill` — gigabytes are described in milliseconds.
 */
export function rawDeflateOfZeros(size: number): Uint8Array {
  if (size < 1) throw new Error('size must be at least 1');
  const copies = Math.floor((size - 1) / 258);
  const tail = size - 1 - copies * 258;
  const head = new BitWriter(8);
  head.bits(1, 1); // last block
  head.bits(1, 2); // fixed Huffman codes
  head.code(FIXED_LITERAL_ZERO.code, FIXED_LITERAL_ZERO.bits);
  const leading = Math.min(copies, 1);
  copyPairs(head, leading);
  const groups = leading === 1 ? Math.floor((copies - 1) / 8) : 0;
  const body = Buffer.alloc(groups * 13);
  if (groups > 0) body.fill(pairGroup());
  const end = new BitWriter(Math.ceil(((copies - leading - groups * 8) * 13 + tail * 8 + 7) / 8) + 2);
  copyPairs(end, copies - leading - groups * 8);
  for (let i = 0; i < tail; i += 1) end.code(FIXED_LITERAL_ZERO.code, FIXED_LITERAL_ZERO.bits);
  end.code(FIXED_END_OF_BLOCK.code, FIXED_END_OF_BLOCK.bits);
  // `head` ends on a byte boundary only when it wrote its pair; otherwise nothing follows it but `end`'s bits.
  if (leading === 0) {
    const whole = new BitWriter(8 + tail + 2);
    whole.bits(1, 1);
    whole.bits(1, 2);
    for (let i = 0; i <= tail; i += 1) whole.code(FIXED_LITERAL_ZERO.code, FIXED_LITERAL_ZERO.bits);
    whole.code(FIXED_END_OF_BLOCK.code, FIXED_END_OF_BLOCK.bits);
    return whole.finish();
  }
  return Buffer.concat([head.finish(), body, end.finish()]);
}

/** The zlib wrapping (what PDF's FlateDecode and PNG's IDAT hold) of {@link rawDeflateOfZeros}. */
export function zlibOfZeros(size: number): Buffer {
  const adler = Buffer.alloc(4);
  // Adler-32 of `size` zero bytes: a stays 1, b adds 1 per byte.
  adler.writeUInt32BE(((size % 65_521) * 65_536 + 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0x01]), rawDeflateOfZeros(size), adler]);
}

// ---------------------------------------------------------------------------------------------------------------
// A minimal PDF writer: numbered objects, a correct cross-reference table.

/** One indirect object: its dictionary (or value), and stream data when it is a stream. */
export interface PdfObject {
  body: string;
  stream?: Uint8Array;
}

export interface PdfLayout {
  objects: readonly PdfObject[];
  /** Extra trailer entries (e.g. a `/Prev` that points somewhere it should not). */
  trailer?: string;
}

/** Objects are numbered from 1 in order; object 1 must be the catalog. */
export function buildPdf(layout: PdfLayout): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  const add = (part: Buffer): void => {
    parts.push(part);
    offset += part.length;
  };
  layout.objects.forEach((object, index) => {
    offsets.push(offset);
    if (object.stream) {
      add(Buffer.from(`${index + 1} 0 obj\n${object.body}\nstream\n`, 'latin1'));
      add(Buffer.from(object.stream));
      add(Buffer.from('\nendstream\nendobj\n', 'latin1'));
    } else {
      add(Buffer.from(`${index + 1} 0 obj\n${object.body}\nendobj\n`, 'latin1'));
    }
  });
  const xrefAt = offset;
  const rows = offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`).join('');
  const trailer = `trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R ${(layout.trailer ?? '').replace('{xref}', String(xrefAt))} >>\n`;
  add(Buffer.from(`xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n${rows}${trailer}startxref\n${xrefAt}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

const CATALOG: PdfObject = { body: '<< /Type /Catalog /Pages 2 0 R >>' };
const HELVETICA = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';

/** A one-page PDF whose page (object 3) has the given extra entries and content stream (object 4). */
function onePage(pageExtra: string, content: Uint8Array, contentDict = '', more: readonly PdfObject[] = []): Buffer {
  return buildPdf({
    objects: [
      CATALOG,
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R ${pageExtra} >>` },
      { body: `<< /Length ${content.byteLength} ${contentDict} >>`, stream: content },
      ...more,
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The hostile documents.

/** `count` blank pages sharing one empty content stream: a few hundred KB for 10,000 pages. */
export function blankPagesPdf(count: number): Buffer {
  const firstPage = 4;
  const kids = Array.from({ length: count }, (_, i) => `${firstPage + i} 0 R`).join(' ');
  const pages: PdfObject[] = Array.from({ length: count }, () => ({
    body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>',
  }));
  return buildPdf({
    objects: [CATALOG, { body: `<< /Type /Pages /Kids [${kids}] /Count ${count} >>` }, { body: '<< /Length 0 >>', stream: new Uint8Array(0) }, ...pages],
  });
}

/**
 * A page whose content stream is compressed twice (`/Filter [/FlateDecode /FlateDecode]`): a ~100 KB file that
 * inflates to `inflatedBytes` of whitespace (NUL is whitespace in PDF syntax) — the classic decompression bomb.
 */
export function flateBombPdf(inflatedBytes: number): Buffer {
  const inner = zlibOfZeros(inflatedBytes);
  const outer = deflateSync(inner, { level: 9 });
  return onePage('', outer, '/Filter [/FlateDecode /FlateDecode]');
}

/** A page that draws a `size`×`size` 1-bit image (all black, flate-compressed): the pixels exist, in a small file. */
export function hugeImagePdf(size: number): Buffer {
  const rowBytes = Math.ceil(size / 8);
  const image = zlibOfZeros(size * rowBytes);
  const content = Buffer.from(`q 612 0 0 792 0 0 cm /Im1 Do Q`, 'latin1');
  return onePage('/Resources << /XObject << /Im1 5 0 R >> >>', content, '', [
    {
      body: `<< /Type /XObject /Subtype /Image /Width ${size} /Height ${size} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode /Length ${image.length} >>`,
      stream: image,
    },
  ]);
}

/** The page's content stream is an indirect reference to itself: following it never ends. */
export function selfReferencePdf(): Buffer {
  return buildPdf({
    objects: [
      CATALOG,
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources 5 0 R >>' },
      { body: '5 0 R' },
      { body: '4 0 R' },
    ],
  });
}

/** The cross-reference table names itself as its predecessor (`/Prev`), so reading xref sections never ends. */
export function xrefLoopPdf(): Buffer {
  return buildPdf({
    objects: [
      CATALOG,
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>' },
    ],
    trailer: '/Prev {xref}',
  });
}

/** Arrays nested `depth` deep, in the page's content stream (the content parser) or the page dictionary. */
export function nestedArraysPdf(depth: number, where: 'content' | 'object'): Buffer {
  const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (where === 'content') return onePage(`/Resources << /Font << /F1 5 0 R >> >>`, Buffer.from(`BT /F1 12 Tf 72 700 Td ${nested} TJ ET`, 'latin1'), '', [{ body: HELVETICA }]);
  return onePage(`/Nested ${nested}`, Buffer.from('', 'latin1'));
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.byteLength, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/**
 * A complete, valid 1-bit grayscale PNG of `width`×`height` black pixels. 30,000 × 30,000 is ~700 KB on disk and
 * 3.6 GB as the RGBA a decoder would allocate; 100,000 × 100,000 is the PNG bomb (~8 MB → 40 GB).
 */
export function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, no filter method, no interlace
  const raw = height * (1 + Math.ceil(width / 8)); // each row: filter byte 0, then zero bits
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlibOfZeros(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A JPEG that declares `width`×`height` in its frame header and then ends: only the claim, no pixels. */
export function jpegHeaderOnly(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, 0, 0, 0, 0, 0x01, 0x01, 0x11, 0x00]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]);
}

/** A real JPEG showing `text` in large letters (for "a JPEG named .pdf": read by content, OCR finds the text). */
export async function jpegWithText(text: string): Promise<Buffer> {
  const canvas = createCanvas(1700, 400);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000000';
  context.font = '72px sans-serif';
  context.fillText(text, 80, 220);
  return canvas.encode('jpeg', 95);
}

/**
 * A file name with what terminals and chat clients mis-render: escape sequences, a bell, a newline, tabs,
 * right-to-left marks and an override that makes "fdp.exe" display as "exe.pdf", and HTML (no '/': it would be a folder).
 */
export const HOSTILE_NAME = 'evil\u001b[31mred\u0007\tname\nline2\u200f\u202efdp.exe <b>&amp;<i>.pdf';
