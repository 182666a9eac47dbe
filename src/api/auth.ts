/**
 * Bearer-token authentication for the HTTP API, and the rule that decides when a token is mandatory.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './http-errors.js';

/**
 * Compares two secrets in time independent of where they differ. Hashing first gives equal-length inputs, so
 * neither the content nor the length of the expected token leaks through timing.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="aseagi"' };

/** Throws 401 unless the request carries `Authorization: Bearer <token>`. No token configured: everything passes. */
export function requireBearer(headers: IncomingHttpHeaders, token: string | undefined): void {
  if (!token) return;
  const header = headers.authorization;
  if (!header) {
    throw new HttpError(401, 'unauthorized', 'This endpoint needs the API token.', {
      hint: 'Send the header "Authorization: Bearer <API_TOKEN>".',
      headers: CHALLENGE,
    });
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match || !secretsEqual(match[1]!, token)) {
    throw new HttpError(401, 'invalid_token', 'The API token is not valid.', { headers: CHALLENGE });
  }
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}
