/**
 * Draws typed pages as pixels with @napi-rs/canvas: the "scanned" pages (grayscale, 300 dpi, a little seeded
 * noise) and the "photo" of a page. The fonts come from pdfjs-dist's bundled standard fonts, not from the
 * system, so the pixels do not depend on which fonts a machine happens to have.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { GlobalFonts, createCanvas } from '@napi-rs/canvas';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { AppError } from '../core/errors.js';
import type { RandomSource } from './seeded-random.js';
import { seededRandom } from './seeded-random.js';

const FONT_REGULAR = 'AseagiSampleSerif';
const FONT_BOLD = 'AseagiSampleSerifBold';

/** An 8-bit grayscale raster, one byte per pixel, rows top to bottom. */
export interface GrayImage {
  width: number;
  height: number;
  dpi: number;
  pixels: Uint8Array;
}

export interface ScanOptions {
  dpi: number;
  seed: number;
  /** A slight tilt, as a page fed into a scanner by hand. */
  rotationDeg: number;
}

let fontsRegistered = false;

/**
 * Font files tried in order, all shipped inside pdfjs-dist. The serif comes first: in a sans face a capital
 * "I" is a bare stroke that OCR reads as "|". Its Type 1 files load wherever Skia uses FreeType (Linux); the
 * TrueType sans is the fallback elsewhere.
 */
const FONT_CHOICES = [
  { regular: 'FoxitSerif.pfb', bold: 'FoxitSerifBold.pfb' },
  { regular: 'LiberationSans-Regular.ttf', bold: 'LiberationSans-Bold.ttf' },
] as const;

/** Registers the bundled fonts with the canvas once per process. */
export function registerSampleFonts(): void {
  if (fontsRegistered) return;
  const require = createRequire(import.meta.url);
  const fontDir = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts');
  fontsRegistered = FONT_CHOICES.some(
    (choice) =>
      GlobalFonts.registerFromPath(path.join(fontDir, choice.regular), FONT_REGULAR) !== null &&
      GlobalFonts.registerFromPath(path.join(fontDir, choice.bold), FONT_BOLD) !== null,
  );
  if (!fontsRegistered) {
    throw new AppError('samples_font_missing', `Could not load the sample fonts from ${fontDir}.`, {
      hint: 'Reinstall dependencies: pdfjs-dist ships the fonts the samples are drawn with.',
    });
  }
}

/**
 * A US Letter page with `lines` typed on it, as a scanner would deliver it: grayscale at `dpi`, slightly
 * tilted, with dust specks. The first line is set in bold as a heading.
 */
export function renderScannedPage(lines: readonly string[], options: ScanOptions): GrayImage {
  registerSampleFonts();
  const width = Math.round(8.5 * options.dpi);
  const height = Math.round(11 * options.dpi);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  rotateAboutCentre(ctx, width, height, options.rotationDeg);
  const pointPx = options.dpi / 72;
  drawLines(ctx, lines, { x: options.dpi, y: options.dpi, sizePx: 12 * pointPx, lineHeight: 1.6, ink: '#141414' });
  const pixels = toGray(ctx.getImageData(0, 0, width, height).data);
  addScannerNoise(pixels, width, height, seededRandom(options.seed));
  return { width, height, dpi: options.dpi, pixels };
}

/**
 * A phone photo of a short typed note: tilted paper with a soft shadow on a desk. Flat colours on purpose:
 * Skia dithers gradients, and that noise would quadruple the PNG's size. Returns PNG bytes.
 */
export async function renderPhotoPng(lines: readonly string[]): Promise<Uint8Array> {
  registerSampleFonts();
  const width = 1400;
  const height = 760;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#75675a';
  ctx.fillRect(0, 0, width, height);
  rotateAboutCentre(ctx, width, height, -1.2);
  ctx.shadowColor = 'rgba(20, 15, 10, 0.55)';
  ctx.shadowBlur = 18;
  ctx.shadowOffsetX = 10;
  ctx.shadowOffsetY = 12;
  ctx.fillStyle = '#ebe7df';
  ctx.fillRect(60, 60, width - 120, height - 120);
  ctx.shadowColor = 'rgba(0, 0, 0, 0)';
  drawLines(ctx, lines, { x: 130, y: 150, sizePx: 44, lineHeight: 1.55, ink: '#26231f', plainFirstLine: true });
  return new Uint8Array(await canvas.encode('png'));
}

interface LineLayout {
  x: number;
  /** Top of the first line. */
  y: number;
  sizePx: number;
  lineHeight: number;
  ink: string;
  plainFirstLine?: boolean;
}

function drawLines(ctx: SKRSContext2D, lines: readonly string[], layout: LineLayout): void {
  ctx.fillStyle = layout.ink;
  ctx.textBaseline = 'alphabetic';
  lines.forEach((line, index) => {
    const family = index === 0 && !layout.plainFirstLine ? FONT_BOLD : FONT_REGULAR;
    ctx.font = `${layout.sizePx}px ${family}`;
    const baseline = layout.y + layout.sizePx + index * layout.sizePx * layout.lineHeight;
    if (line) ctx.fillText(line, layout.x, baseline);
  });
}

function rotateAboutCentre(ctx: SKRSContext2D, width: number, height: number, degrees: number): void {
  ctx.translate(width / 2, height / 2);
  ctx.rotate((degrees * Math.PI) / 180);
  ctx.translate(-width / 2, -height / 2);
}

/** The canvas is RGBA; the page was drawn in grays only, so the red channel is the gray level. */
function toGray(rgba: Uint8ClampedArray): Uint8Array {
  const gray = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < gray.length; i += 1) gray[i] = rgba[i * 4]!;
  return gray;
}

/**
 * A little grain on the ink and sparse dust specks on the paper. Sparse on purpose: grain on the white paper
 * would make the page compress badly and the sample set heavy. Specks stay clear of the ink, so the page
 * looks scanned while OCR can still read it back exactly.
 */
function addScannerNoise(pixels: Uint8Array, width: number, height: number, random: RandomSource): void {
  const clean = pixels.slice();
  for (let i = 0; i < pixels.length; i += 1) {
    const value = pixels[i]!;
    if (value < 250) pixels[i] = clampByte(value + Math.round((random() - 0.5) * 24));
  }
  const specks = Math.round((width * height) / 4000);
  for (let n = 0; n < specks; n += 1) {
    const x = Math.floor(random() * (width - 2));
    const y = Math.floor(random() * (height - 2));
    const size = 1 + Math.floor(random() * 2);
    const shade = 165 + Math.floor(random() * 60);
    if (inkNear(clean, width, height, x, y, SPECK_CLEARANCE_PX)) continue;
    for (let dy = 0; dy < size; dy += 1) {
      for (let dx = 0; dx < size; dx += 1) pixels[(y + dy) * width + x + dx] = shade;
    }
  }
}

const SPECK_CLEARANCE_PX = 60;

function inkNear(pixels: Uint8Array, width: number, height: number, x: number, y: number, radius: number): boolean {
  for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy += 1) {
    for (let xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius); xx += 1) {
      if (pixels[yy * width + xx]! < 200) return true;
    }
  }
  return false;
}

function clampByte(value: number): number {
  return Math.max(0, Math.min(255, value));
}
