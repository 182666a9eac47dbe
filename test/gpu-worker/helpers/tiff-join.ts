/**
 * Joins single-page little-endian TIFFs into one multi-page TIFF, the way a fax server appends pages: each file
 * is copied whole and its offsets are moved by where it landed. Enough for test fixtures (e.g. the corpus's CCITT
 * G4 fax page inside a bundle); not a general TIFF tool.
 */
import { TIFF_TYPE_SIZES } from '../../../src/gpu-worker/image/tiff-pages.js';

const STRIP_OR_TILE_OFFSETS = new Set([273, 324]);

export function joinTiffs(files: readonly Uint8Array[]): Uint8Array {
  const bases: number[] = [];
  let length = 8;
  for (const file of files) {
    if (file[0] !== 0x49 || file[1] !== 0x49) throw new Error('joinTiffs takes little-endian TIFFs only');
    bases.push(length);
    length += file.length + (file.length % 2);
  }
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  files.forEach((file, index) => out.set(file, bases[index]!));

  const ifds = files.map((file, index) => new DataView(file.buffer, file.byteOffset).getUint32(4, true) + bases[index]!);
  view.setUint32(4, ifds[0]!, true);
  ifds.forEach((ifd, index) => {
    const base = bases[index]!;
    const count = view.getUint16(ifd, true);
    for (let slot = 0; slot < count; slot += 1) {
      const at = ifd + 2 + 12 * slot;
      const tag = view.getUint16(at, true);
      const type = view.getUint16(at + 2, true);
      const size = view.getUint32(at + 4, true) * (TIFF_TYPE_SIZES[type] ?? 1);
      if (size > 4) view.setUint32(at + 8, view.getUint32(at + 8, true) + base, true);
      if (!STRIP_OR_TILE_OFFSETS.has(tag)) continue;
      if (type !== 4) throw new Error('joinTiffs needs LONG strip offsets');
      const values = size > 4 ? view.getUint32(at + 8, true) : at + 8;
      for (let value = 0; value < size / 4; value += 1) view.setUint32(values + 4 * value, view.getUint32(values + 4 * value, true) + base, true);
    }
    view.setUint32(ifd + 2 + 12 * count, ifds[index + 1] ?? 0, true);
  });
  return out;
}
