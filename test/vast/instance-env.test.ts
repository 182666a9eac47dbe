/** What may go into a rented instance's environment: worker settings, its own token, the port mapping — nothing else. */
import { describe, expect, it } from 'vitest';
import { assertSafeInstanceEnv, buildInstanceEnv } from '../../src/core/compute/vast/instance-env.js';
import { instanceProblem, sessionOfLabel, workerUrl } from '../../src/core/compute/vast/machine.js';
import { vastInstanceSchema } from '../../src/core/compute/vast/vast-schemas.js';
import { registerSecret } from '../../src/logger.js';

const TOKEN = 'worker-token-0123456789abcdef';
const SEAL_KEY = 'c2VhbC1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM';
const SECRETS = ['vast-account-key-0123456789', 'sk-ant-api03-claude-0123456789'];

describe('the instance environment', () => {
  it('carries the worker settings, its own token and seal key, and the port mapping', () => {
    const env = buildInstanceEnv({ workerId: 's.vast1', token: TOKEN, sealKey: SEAL_KEY, port: 8080, settings: { OCR_ENGINE: 'vlm', OCR_LANGS: 'eng+spa', LOG_LEVEL: 'warn', WORKER_PREFETCH_MB: '512' } }, SECRETS);
    expect(env).toEqual({ OCR_ENGINE: 'vlm', OCR_LANGS: 'eng+spa', LOG_LEVEL: 'warn', WORKER_PREFETCH_MB: '512', WORKER_ID: 's.vast1', WORKER_TOKEN: TOKEN, WORKER_SEAL_KEY: SEAL_KEY, WORKER_HOST: '0.0.0.0', WORKER_PORT: '8080', '-p 8080:8080': '1' });
  });

  registerSecret('registered-drive-refresh-token-xyz');
  it.each<{ name: string; env: Record<string, string>; message: RegExp }>([
    { name: 'an account key by name', env: { VAST_AI_API_KEY: 'x' }, message: /Refusing to send "VAST_AI_API_KEY"/ },
    { name: 'a Supabase key by name', env: { SUPABASE_KEY: 'x' }, message: /SUPABASE_KEY/ },
    { name: 'a key-like worker setting', env: { OCR_VLM_API_KEY: 'x' }, message: /OCR_VLM_API_KEY/ },
    { name: 'any name that is not a worker setting', env: { DATABASE_URL: 'postgres://x' }, message: /only worker settings/ },
    { name: 'a worker setting holding a known secret', env: { OCR_VLM_MODEL: SECRETS[1]! }, message: /its value is a secret/ },
    { name: 'a worker setting holding a registered secret', env: { OCR_LANGS: 'registered-drive-refresh-token-xyz' }, message: /its value is a secret/ },
    { name: 'a value longer than Vast allows', env: { OCR_VLM_URL: 'x'.repeat(300) }, message: /256 characters/ },
  ])('refuses $name', ({ env, message }) => {
    expect(() => assertSafeInstanceEnv({ WORKER_TOKEN: TOKEN, ...env }, SECRETS, TOKEN)).toThrow(message);
  });
});

describe('reading an instance', () => {
  const instance = (fields: Record<string, unknown>) => vastInstanceSchema.parse({ id: 1, ...fields });

  it.each([
    { fields: { actual_status: null }, starting: true, problem: null },
    { fields: { actual_status: 'loading' }, starting: true, problem: null },
    { fields: { actual_status: 'created', status_msg: 'OCI runtime create failed: runc' }, starting: true, problem: /image failed to start/ },
    { fields: { actual_status: 'exited', status_msg: 'exit 1' }, starting: false, problem: /is exited \(exit 1\)/ },
    { fields: { actual_status: 'offline' }, starting: false, problem: /offline/ },
    { fields: { actual_status: 'unknown' }, starting: true, problem: /stopped reporting/ },
    { fields: { actual_status: 'unknown' }, starting: false, problem: null },
    { fields: { actual_status: 'running', cur_state: 'stopped', intended_status: 'stopped', next_state: 'stopped' }, starting: false, problem: /interrupted/ },
  ])('$fields.actual_status (starting: $starting)', ({ fields, starting, problem }) => {
    const found = instanceProblem(instance(fields), starting);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });

  it('builds the worker URL from a trimmed IP and a string HostPort, only once running and mapped', () => {
    const ports = { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '41234' }] };
    expect(workerUrl(instance({ actual_status: 'running', public_ipaddr: '203.0.113.7\n', ports }), 8080)).toBe('http://203.0.113.7:41234');
    expect(workerUrl(instance({ actual_status: 'running', public_ipaddr: '203.0.113.7', ports: {} }), 8080)).toBeNull();
    expect(workerUrl(instance({ actual_status: 'loading', public_ipaddr: '203.0.113.7', ports }), 8080)).toBeNull();
  });

  it.each([
    ['aseagi:batch_session_1712345678_ab12:3', 'batch_session_1712345678_ab12'],
    ['aseagi:with:colons:12', 'with:colons'],
    ['aseagi:nonumber', null],
    ['ASEAGI:x:1', null],
    ['training-run', null],
    [null, null],
  ])('label %s belongs to session %s', (label, session) => {
    expect(sessionOfLabel(label)).toBe(session);
  });
});
