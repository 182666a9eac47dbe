import { describe, expect, it } from 'vitest';
import { newSealKey, open, openJson, parseSealKey, requestContext, responseContext, seal, SealError, sealJson } from '../../src/protocol/sealed.js';

describe('sealed transport', () => {
  const key = parseSealKey(newSealKey());

  it('round-trips JSON and hides it', () => {
    const body = { text: 'custody hearing transcript', token: 'ya29.drive-token' };
    const sealed = sealJson(key, body, requestContext('POST', '/v1/batches'));
    expect(sealed.toString('latin1')).not.toContain('custody');
    expect(sealed.toString('latin1')).not.toContain('ya29');
    expect(openJson(key, sealed, requestContext('POST', '/v1/batches'))).toEqual(body);
  });

  it('uses a fresh nonce every time', () => {
    const a = seal(key, Buffer.from('same'), 'c');
    const b = seal(key, Buffer.from('same'), 'c');
    expect(a.equals(b)).toBe(false);
  });

  it.each([
    ['another route', requestContext('POST', '/v1/other')],
    ['another method', requestContext('DELETE', '/v1/batches')],
    ['passed off as an answer', responseContext('POST', '/v1/batches', 202)],
  ])('refuses a body moved to %s', (_label, context) => {
    const sealed = seal(key, Buffer.from('{}'), requestContext('POST', '/v1/batches'));
    expect(() => open(key, sealed, context)).toThrow(SealError);
  });

  it('refuses a tampered body, a truncated one, and another key', () => {
    const sealed = seal(key, Buffer.from('{"a":1}'), 'c');
    const tampered = Buffer.from(sealed);
    tampered[14] = tampered[14]! ^ 0xff;
    expect(() => open(key, tampered, 'c')).toThrow(SealError);
    expect(() => open(key, sealed.subarray(0, 10), 'c')).toThrow(SealError);
    expect(() => open(parseSealKey(newSealKey()), sealed, 'c')).toThrow(SealError);
  });

  it.each(['', 'short', `${newSealKey()}x`, 'B'.repeat(43), '+'.repeat(43)])('rejects the malformed key %j', (text) => {
    expect(() => parseSealKey(text)).toThrow(SealError);
  });
});
