/**
 * What a file is, from its first bytes (never from its name: legal archives are full of scans saved as ".pdf"
 * that are really PNGs, and of PDFs without an extension).
 */

export type FileKind = 'pdf' | 'png' | 'jpeg' | 'tiff';

export interface DetectedType {
  kind: FileKind;
  mime: string;
}

const MIME: Record<FileKind, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
};

/** How many leading bytes {@link detectFileType} needs. */
export const SNIFF_BYTES = 1024;

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  signature.every((value, i) => bytes[offset + i] === value);

/** PDF readers accept `%PDF-` anywhere in the first kilobyte (some files carry a preamble). */
function hasPdfHeader(bytes: Uint8Array): boolean {
  const limit = Math.min(bytes.length, SNIFF_BYTES) - 5;
  for (let i = 0; i <= limit; i += 1) {
    if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d], i)) return true;
  }
  return false;
}

export function detectFileType(head: Uint8Array): DetectedType | null {
  const kind: FileKind | null = startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    ? 'png'
    : startsWith(head, [0xff, 0xd8, 0xff])
      ? 'jpeg'
      : startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])
        ? 'tiff'
        : hasPdfHeader(head)
          ? 'pdf'
          : null;
  return kind ? { kind, mime: MIME[kind] } : null;
}

export const UNKNOWN_MIME = 'application/octet-stream';
