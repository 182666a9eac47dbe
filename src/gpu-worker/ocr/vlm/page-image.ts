/**
 * The page image a VLM sees: the rendered grayscale page scaled so its longest side is a fixed size (olmOCR was
 * trained on 1288 px), turned by a multiple of 90°, and encoded as PNG. Resampling is plain arithmetic on the
 * pixels; the PNG's deflate step runs on libuv's thread pool so the server thread stays free.
 */
import { promisify } from 'node:util';
import { crc32, deflate } from 'node:zlib';
import type { GrayImage } from '../ocr-engine.js';

const deflateAsync = promisify(deflate);

export interface Pixels {
  width: number;
  height: number;
  /** 8-bit gray, row-major. */
  pixels: Uint8Array;
}

export type Rotation = 0 | 90 | 180 | 270;

/** Area average when shrinking (every source pixel counts once), bilinear when enlarging. */
export function resizeToLongestSide(image: Pixels, longestSide: number): Pixels {
  const scale = longestSide / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  if (width === image.width && height === image.height) return image;
  return scale < 1 ? shrink(image, width, height) : enlarge(image, width, height);
}

function shrink(source: Pixels, width: number, height: number): Pixels {
  const pixels = new Uint8Array(width * height);
  const xBounds = boxBounds(source.width, width);
  const yBounds = boxBounds(source.height, height);
  for (let y = 0; y < height; y += 1) {
    const y0 = yBounds[y] as number;
    const y1 = yBounds[y + 1] as number;
    for (let x = 0; x < width; x += 1) {
      const x0 = xBounds[x] as number;
      const x1 = xBounds[x + 1] as number;
      let sum = 0;
      for (let sy = y0; sy < y1; sy += 1) {
        const row = sy * source.width;
        for (let sx = x0; sx < x1; sx += 1) sum += source.pixels[row + sx] as number;
      }
      pixels[y * width + x] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return { width, height, pixels };
}

/** Source index where each target cell starts (and, last, the end): every cell at least one source pixel wide. */
function boxBounds(sourceSize: number, targetSize: number): Int32Array {
  const bounds = new Int32Array(targetSize + 1);
  for (let i = 0; i <= targetSize; i += 1) bounds[i] = Math.floor((i * sourceSize) / targetSize);
  for (let i = 1; i <= targetSize; i += 1) bounds[i] = Math.max(bounds[i] as number, (bounds[i - 1] as number) + 1);
  bounds[targetSize] = Math.min(bounds[targetSize] as number, sourceSize);
  return bounds;
}

function enlarge(source: Pixels, width: number, height: number): Pixels {
  const pixels = new Uint8Array(width * height);
  const xRatio = (source.width - 1) / Math.max(1, width - 1);
  const yRatio = (source.height - 1) / Math.max(1, height - 1);
  for (let y = 0; y < height; y += 1) {
    const sy = y * yRatio;
    const y0 = Math.floor(sy);
    const y1 = Math.min(source.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x += 1) {
      const sx = x * xRatio;
      const x0 = Math.floor(sx);
      const x1 = Math.min(source.width - 1, x0 + 1);
      const fx = sx - x0;
      const at = (px: number, py: number): number => source.pixels[py * source.width + px] as number;
      const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
      const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
      pixels[y * width + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { width, height, pixels };
}

/**
 * Turns the image counter-clockwise by `degrees`, as PIL's `transpose(ROTATE_90/180/270)` does: olmOCR applies
 * the model's `rotation_correction` that way, so the same convention is kept here.
 */
export function rotate(image: Pixels, degrees: Rotation): Pixels {
  if (degrees === 0) return image;
  const { width: w, height: h, pixels: src } = image;
  const turned = degrees !== 180;
  const width = turned ? h : w;
  const height = turned ? w : h;
  const pixels = new Uint8Array(w * h);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sx: number;
      let sy: number;
      if (degrees === 90) [sx, sy] = [w - 1 - y, x];
      else if (degrees === 270) [sx, sy] = [y, h - 1 - x];
      else [sx, sy] = [w - 1 - x, h - 1 - y];
      pixels[y * width + x] = src[sy * w + sx] as number;
    }
  }
  return { width, height, pixels };
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit grayscale PNG (no filter per row; deflate does the work on mostly white pages). */
export async function encodeGrayPng(image: Pixels): Promise<Buffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(image.width, 0);
  header.writeUInt32BE(image.height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale; compression, filter and interlace stay 0
  const rows = Buffer.alloc((image.width + 1) * image.height);
  for (let y = 0; y < image.height; y += 1) {
    const start = y * image.width;
    rows.set(image.pixels.subarray(start, start + image.width), y * (image.width + 1) + 1);
  }
  const compressed = await deflateAsync(rows);
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', compressed), chunk('IEND', Buffer.alloc(0))]);
}

/** The page as a PNG data URI, longest side `longestSide`, turned by `rotation`. */
export async function pageDataUri(image: GrayImage, longestSide: number, rotation: Rotation): Promise<{ uri: string; width: number; height: number }> {
  const resized = resizeToLongestSide(image, longestSide);
  const turned = rotate(resized, rotation);
  const png = await encodeGrayPng(turned);
  return { uri: `data:image/png;base64,${png.toString('base64')}`, width: turned.width, height: turned.height };
}
