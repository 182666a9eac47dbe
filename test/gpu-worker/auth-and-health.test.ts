import { describe, expect, it } from 'vitest';
import { createBearerCheck } from '../../src/gpu-worker/http/bearer-auth.js';
import { parseNvidiaSmi } from '../../src/gpu-worker/health.js';
import { packageVersion } from '../../src/version.js';

describe('bearer check', () => {
  const check = createBearerCheck('s3cret-token-0123456789');
  it.each([
    ['Bearer s3cret-token-0123456789', true],
    ['bearer s3cret-token-0123456789', true],
    ['Bearer  s3cret-token-0123456789 ', true],
    ['Bearer s3cret-token-012345678', false],
    ['Bearer s3cret-token-0123456789x', false],
    ['Basic s3cret-token-0123456789', false],
    ['s3cret-token-0123456789', false],
    ['Bearer ', false],
    [undefined, false],
  ])('%s → %s', (header, expected) => {
    expect(check(header)).toBe(expected);
  });

  it('does not accept an empty header for an empty token', () => {
    expect(createBearerCheck('')(undefined)).toBe(false);
  });
});

describe('parseNvidiaSmi', () => {
  it.each([
    ['one GPU', 'NVIDIA H200, 143771, 7\n', { name: 'NVIDIA H200', memoryTotalMb: 143771, utilizationPct: 7 }],
    ['two GPUs', 'NVIDIA RTX 4090, 24564, 10\nNVIDIA RTX 4090, 24564, 30\n', { name: '2 × NVIDIA RTX 4090', memoryTotalMb: 24564, utilizationPct: 20 }],
    ['values not available', 'Tesla T4, [N/A], [N/A]\n', { name: 'Tesla T4', memoryTotalMb: null, utilizationPct: null }],
    ['nothing', '', null],
  ])('%s', (_label, csv, expected) => {
    expect(parseNvidiaSmi(csv)).toEqual(expected);
  });
});

it('reads the project version from package.json', () => {
  expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
});
