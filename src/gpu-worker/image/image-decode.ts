/**
 * Decodes a PNG or JPEG into grayscale pixels for OCR, enlarged towards the OCR resolution when the scan is
 * coarse. Runs inside an isolate thread, like PDF work: decoders are native code fed untrusted bytes.
 */
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { DocumentError } from '../../core/errors.js';
import type { RenderedImage } from '../isolate/isolate-messages.js';
import { imageSize } from './image-size.js';
import { fitScale, rgbaToGray, upscaleFactor } from './pixels.js';

export async function decodeImageGray(
  data: Uint8Array,
  mimeType: 'image/png' | 'image/jpeg',
  targetDpi: number,
  maxPixels: number,
): Promise<RenderedImage> {
  const size = imageSize(data, mimeType);
  if (!size || size.width === 0 || size.height === 0) throw new DocumentError('corrupt', `unreadable ${mimeType} header`);
  if (size.width * size.height > maxPixels) {
    throw new DocumentError('too_complex', `image is ${size.width}×${size.height} pixels, over the ${maxPixels} pixel limit`);
  }
  const image = await loadImage(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).catch((error: unknown) => {
    throw new DocumentError('corrupt', `cannot decode ${mimeType}: ${String(error)}`, { cause: error });
  });
  const upscale = upscaleFactor(size.width, size.height, targetDpi);
  const scale = fitScale(size.width, size.height, upscale.factor, maxPixels);
  const canvas = createCanvas(Math.round(size.width * scale), Math.round(size.height * scale));
  const context = canvas.getContext('2d');
  // Transparent pixels would otherwise turn black in grayscale.
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const dpi = Math.round((upscale.dpi * scale) / upscale.factor);
  return { width: canvas.width, height: canvas.height, dpi, pixels: rgbaToGray(rgba) };
}
