/**
 * Encrypts a PDF with the Standard Security Handler, revision 3 (RC4, 128-bit key), as specified in
 * ISO 32000-1 §7.6.3. pdf-lib can read and write PDFs but cannot encrypt them, and the demo needs a
 * password-protected document that real readers (pdf.js, qpdf) accept.
 *
 * RC4-128 is cryptographically weak; this exists to make a realistic test document, not to protect anything.
 */
import { createHash } from 'node:crypto';
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFNumber,
  PDFRawStream,
  PDFStream,
  PDFString,
} from 'pdf-lib';
import type { PDFContext, PDFObject } from 'pdf-lib';
import { AppError } from '../core/errors.js';

/** The 32-byte padding string of ISO 32000-1 §7.6.3.3, algorithm 2 step (a). */
const PASSWORD_PADDING = Buffer.from('28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A', 'hex');
const KEY_BYTES = 16;
const REVISION = 3;
/** Every permission granted; bits 1–2 must be 0 and the reserved high bits 1 (Table 22). */
const ALL_PERMISSIONS = -4;

export interface EncryptPdfOptions {
  /** Needed to open the document. */
  userPassword: string;
  /** Grants full access; defaults to a value derived from the user password so it differs from it. */
  ownerPassword?: string;
  /** The first element of the trailer /ID (16 bytes). Fixed by the caller so the output is reproducible. */
  fileId: Uint8Array;
  /** The /P permission flags; defaults to everything allowed. */
  permissions?: number;
}

/** Returns `pdfBytes` re-written with every string and stream encrypted and an /Encrypt dictionary added. */
export async function encryptPdf(pdfBytes: Uint8Array, options: EncryptPdfOptions): Promise<Uint8Array> {
  if (options.fileId.length !== 16) {
    throw new AppError('pdf_encrypt_bad_id', `The file identifier must be 16 bytes, got ${options.fileId.length}.`);
  }
  const user = passwordBytes(options.userPassword);
  const owner = passwordBytes(options.ownerPassword ?? `${options.userPassword}#owner`);
  const permissions = options.permissions ?? ALL_PERMISSIONS;
  const fileId = Buffer.from(options.fileId);

  const ownerEntry = computeOwnerEntry(owner, user);
  const fileKey = computeFileKey(user, ownerEntry, permissions, fileId);
  const userEntry = computeUserEntry(fileKey, fileId);

  const doc = await PDFDocument.load(pdfBytes, { updateMetadata: false });
  encryptIndirectObjects(doc.context, fileKey);
  const encryptDict = doc.context.obj({
    Filter: 'Standard',
    V: 2,
    R: REVISION,
    Length: KEY_BYTES * 8,
    P: PDFNumber.of(permissions),
    O: hexString(ownerEntry),
    U: hexString(userEntry),
  });
  // Added after the walk: the /Encrypt dictionary's own strings must stay in the clear.
  doc.context.trailerInfo.Encrypt = doc.context.register(encryptDict);
  doc.context.trailerInfo.ID = doc.context.obj([hexString(fileId), hexString(fileId)]);
  return doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
}

/** Passwords are PDFDocEncoding bytes, at most 32 of them (§7.6.3.3). */
function passwordBytes(password: string): Buffer {
  if ([...password].some((char) => char.codePointAt(0)! > 0xff)) {
    throw new AppError('pdf_encrypt_bad_password', 'A revision 3 PDF password may only use Latin-1 characters.');
  }
  return Buffer.from(password, 'latin1').subarray(0, 32);
}

function padPassword(password: Buffer): Buffer {
  return Buffer.concat([password, PASSWORD_PADDING]).subarray(0, 32);
}

function md5(...parts: Uint8Array[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Revision 3 strengthens both key derivations by re-hashing the first n key bytes 50 times. */
function rehash50(digest: Buffer): Buffer {
  let current = digest;
  for (let round = 0; round < 50; round += 1) current = md5(current.subarray(0, KEY_BYTES));
  return current.subarray(0, KEY_BYTES);
}

/** Revision 3 runs RC4 20 times, the i-th time with every key byte XOR i. */
function rc4Twenty(key: Buffer, data: Buffer): Buffer {
  let current = rc4(key, data);
  for (let round = 1; round <= 19; round += 1) {
    const roundKey = Buffer.from(key.map((byte) => byte ^ round));
    current = rc4(roundKey, current);
  }
  return current;
}

/** Algorithm 3: the /O entry. */
export function computeOwnerEntry(owner: Buffer, user: Buffer): Buffer {
  const rc4Key = rehash50(md5(padPassword(owner.length > 0 ? owner : user)));
  return rc4Twenty(rc4Key, padPassword(user));
}

/** Algorithm 2: the file encryption key. */
export function computeFileKey(user: Buffer, ownerEntry: Buffer, permissions: number, fileId: Buffer): Buffer {
  const p = Buffer.alloc(4);
  p.writeInt32LE(permissions);
  return rehash50(md5(padPassword(user), ownerEntry, p, fileId));
}

/** Algorithm 5: the /U entry; its last 16 bytes are arbitrary, so padding keeps it deterministic. */
export function computeUserEntry(fileKey: Buffer, fileId: Buffer): Buffer {
  const check = rc4Twenty(fileKey, md5(PASSWORD_PADDING, fileId));
  return Buffer.concat([check, PASSWORD_PADDING.subarray(0, 16)]);
}

/** Algorithm 1: the key for one indirect object. */
export function objectKey(fileKey: Buffer, objectNumber: number, generation: number): Buffer {
  const suffix = Buffer.from([
    objectNumber & 0xff,
    (objectNumber >> 8) & 0xff,
    (objectNumber >> 16) & 0xff,
    generation & 0xff,
    (generation >> 8) & 0xff,
  ]);
  return md5(fileKey, suffix).subarray(0, Math.min(fileKey.length + 5, 16));
}

/** RC4 — not taken from node:crypto because OpenSSL 3 only offers it through the legacy provider. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i += 1) s[i] = i;
  let j = 0;
  for (let i = 0; i < 256; i += 1) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  let i = 0;
  j = 0;
  for (let n = 0; n < data.length; n += 1) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

function encryptIndirectObjects(context: PDFContext, fileKey: Buffer): void {
  for (const [ref, object] of context.enumerateIndirectObjects()) {
    const key = objectKey(fileKey, ref.objectNumber, ref.generationNumber);
    if (object instanceof PDFRawStream) {
      encryptStrings(object.dict, key);
      context.assign(ref, PDFRawStream.of(object.dict, rc4(key, object.contents)));
    } else if (object instanceof PDFDict || object instanceof PDFArray) {
      encryptStrings(object, key);
    } else if (isString(object)) {
      context.assign(ref, encryptString(object, key));
    } else if (object instanceof PDFStream) {
      // An object stream or a stream pdf-lib has not serialised yet would leave plaintext behind.
      throw new AppError('pdf_encrypt_unsupported', `Cannot encrypt a ${object.constructor.name} object.`);
    }
  }
}

function encryptStrings(container: PDFDict | PDFArray, key: Buffer): void {
  if (container instanceof PDFDict) {
    for (const [name, value] of container.entries()) {
      const encrypted = encryptValue(value, key);
      if (encrypted !== value) container.set(name, encrypted);
    }
    return;
  }
  for (let index = 0; index < container.size(); index += 1) {
    const value = container.get(index);
    const encrypted = encryptValue(value, key);
    if (encrypted !== value) container.set(index, encrypted);
  }
}

function encryptValue(value: PDFObject, key: Buffer): PDFObject {
  if (isString(value)) return encryptString(value, key);
  if (value instanceof PDFDict || value instanceof PDFArray) encryptStrings(value, key);
  return value;
}

function encryptString(value: PDFString | PDFHexString, key: Buffer): PDFHexString {
  return hexString(rc4(key, value.asBytes()));
}

function isString(value: PDFObject): value is PDFString | PDFHexString {
  return value instanceof PDFString || value instanceof PDFHexString;
}

function hexString(bytes: Uint8Array): PDFHexString {
  return PDFHexString.of(Buffer.from(bytes).toString('hex').toUpperCase());
}
