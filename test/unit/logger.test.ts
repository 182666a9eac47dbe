import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { maskSecrets, registerSecret } from '../../src/logger.js';

describe('logger redaction', () => {
  it('masks registered secrets wherever they appear', () => {
    registerSecret('vast-key-0123456789abcdef');
    expect(maskSecrets('error: key vast-key-0123456789abcdef rejected')).toBe('error: key [REDACTED] rejected');
    registerSecret('short');
    expect(maskSecrets('short')).toBe('short');
  });

  it('the production logger redacts secret fields and registered values', async () => {
    const { createLogger } = await import('../../src/logger.js');
    registerSecret('sk-ant-PLANTED-SECRET-9999');
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger({ pretty: false, destination });
    logger.info({ token: 'abc', nested: { token: 'def' }, headers: { authorization: 'Bearer x' } }, 'using sk-ant-PLANTED-SECRET-9999');
    logger.child({ sessionId: 's1' }).error({ err: new Error('401 for key sk-ant-PLANTED-SECRET-9999') }, 'failed');
    const out = lines.join('');
    expect(out).toContain('"sessionId":"s1"');
    expect(out).not.toContain('sk-ant-PLANTED-SECRET-9999');
    expect(out).not.toContain('"abc"');
    expect(out).not.toContain('"def"');
    expect(out).not.toContain('Bearer x');
  });
});
