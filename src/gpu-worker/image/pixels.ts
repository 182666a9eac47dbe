/** Pixel arithmetic shared by page rendering and image decoding. */

/**
 * The scale to draw a `width`×`height` surface at: `wanted`, or less when the result would exceed `maxPixels`
 * (a poster-sized page at 300 dpi would need gigabytes).
 */
export function fitScale(width: number, height: number, wanted: number, maxPixels: number): number {
  const pixels = width * wanted * height * wanted;
  if (pixels <= maxPixels) return wanted;
  return Math.sqrt(maxPixels / (width * height));
}

/** RGBA → 8-bit luma (ITU-R BT.601 weights in fixed point). */
export function rgbaToGray(rgba: Uint8Array | Uint8ClampedArray): Uint8Array {
  const gray = new Uint8Array(rgba.length >>> 2);
  for (let source = 0, target = 0; target < gray.length; source += 4, target += 1) {
    gray[target] = ((rgba[source] ?? 0) * 77 + (rgba[source + 1] ?? 0) * 150 + (rgba[source + 2] ?? 0) * 29) >> 8;
  }
  return gray;
}

/** A letter or A4 page's long side, in inches: what a scan without other clues is assumed to show. */
const PAGE_LONG_SIDE_INCHES = 11.69;
const MAX_UPSCALE = 4;

/**
 * How much to enlarge a scanned image so text reaches about `targetDpi`: tesseract loses much of a 150 dpi
 * scan (≈50 % character errors) that it reads well at 300 dpi. The resolution is estimated from the pixel
 * size, assuming a page-sized scan, because many scanners write no or wrong resolution metadata.
 */
export function upscaleFactor(width: number, height: number, targetDpi: number): { factor: number; dpi: number } {
  const estimatedDpi = Math.max(width, height) / PAGE_LONG_SIDE_INCHES;
  if (estimatedDpi >= targetDpi * 0.8) return { factor: 1, dpi: Math.round(estimatedDpi) };
  const factor = Math.min(MAX_UPSCALE, targetDpi / estimatedDpi);
  return { factor, dpi: Math.round(estimatedDpi * factor) };
}
