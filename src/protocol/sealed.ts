/**
 * Sealed transport for the worker protocol. A rented worker is reached over the open internet, and what crosses
 * that link is legal text about a child plus short-lived Drive tokens: every body is encrypted and authenticated
 * with AES-256-GCM under a key minted per worker (never reused, never an account secret). The associated data
 * binds a body to its method, path and direction (and status for answers), so a captured body cannot be replayed
 * on another route or passed off as an answer. The bearer token still keeps strangers out before any decryption.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SEALED_CONTENT_TYPE = 'application/vnd.aseagi.sealed';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SealError extends Error {
  override readonly name = 'SealError';
}

/** A fresh key, as the text that travels in a worker's environment (43 characters of base64url). */
export function newSealKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

export function parseSealKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64url');
  if (key.length !== KEY_BYTES || key.toString('base64url') !== text) {
    throw new SealError(`a seal key is ${KEY_BYTES} bytes in base64url (43 characters)`);
  }
  return key;
}

export function requestContext(method: string, pathAndQuery: string): string {
  return `request ${method.toUpperCase()} ${pathAndQuery}`;
}

export function responseContext(method: string, pathAndQuery: string, status: number): string {
  return `response ${method.toUpperCase()} ${pathAndQuery} ${status}`;
}

/** nonce ‖ ciphertext ‖ tag. */
export function seal(key: Buffer, plaintext: Buffer, context: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

export function open(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new SealError('sealed body too short');
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealError('the sealed body does not open with this key and context (tampered, replayed elsewhere, or another key)');
  }
}

export function sealJson(key: Buffer, value: unknown, context: string): Buffer {
  return seal(key, Buffer.from(JSON.stringify(value), 'utf8'), context);
}

export function openJson(key: Buffer, sealed: Buffer, context: string): unknown {
  const text = open(key, sealed, context).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SealError('the sealed body is not JSON');
  }
}
