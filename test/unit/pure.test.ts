import { describe, expect, it } from 'vitest';
import { backoffDelay, mayRetry } from '../../src/core/engine/backoff.js';
import { batchCount, checkpointName, newSessionId, normaliseCheckpointName } from '../../src/core/engine/batching.js';
import { estimate, SEED_SECONDS_PER_DOCUMENT } from '../../src/core/engine/estimate.js';
import { canTransition, isFinishedSession, isResumableSession } from '../../src/core/engine/statuses.js';
import { csvCell } from '../../src/cli/export.js';
import { formatBytes, formatDuration, oneLine, progressBar, renderProgressLine, renderTable } from '../../src/cli/format.js';
import { toFtsQuery } from '../../src/core/store/results.js';
import { countWords, joinPages, splitPages } from '../../src/protocol/worker-protocol.js';
import { detectFileType } from '../../src/protocol/file-types.js';

const policy = { baseMs: 1000, maxMs: 8000, jitter: 0.5 };

describe('backoff', () => {
  it.each([
    [1, 0, 500],
    [1, 1, 1000],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [4, 1, 8000],
    [10, 0, 4000],
    [10, 1, 8000],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, policy, () => random)).toBe(expected);
  });

  it.each([
    [1, 3, true, true],
    [2, 3, true, true],
    [3, 3, true, false],
    [1, 3, false, false],
  ])('after %i of %i attempts, retryable=%s → may retry %s', (attempts, max, retryable, expected) => {
    expect(mayRetry(attempts, max, retryable)).toBe(expected);
  });
});

describe('batching', () => {
  it.each([
    [0, 100, 0],
    [1, 100, 1],
    [100, 100, 1],
    [101, 100, 2],
    [70_000, 100, 700],
  ])('%i documents in batches of %i make %i batches', (docs, size, expected) => {
    expect(batchCount(docs, size)).toBe(expected);
  });

  it.each([
    [10, 10, 'checkpoint_10'],
    [100, 10, 'checkpoint_100'],
    [15, 10, null],
    [0, 10, null],
  ])('%i completed batches (every %i) → %s', (completed, every, expected) => {
    expect(checkpointName(completed, every)).toBe(expected);
  });

  it.each([
    ['checkpoint_100.json', 'checkpoint_100'],
    ['checkpoint_0100', 'checkpoint_100'],
    [' checkpoint_7 ', 'checkpoint_7'],
    ['../etc/passwd', null],
    ['checkpoint_x', null],
  ])('checkpoint name %j → %j', (input, expected) => {
    expect(normaliseCheckpointName(input)).toBe(expected);
  });

  it('session ids are seed-shaped and unique enough', () => {
    expect(newSessionId(1_699_358_400_000, () => 0.5)).toBe('batch_session_1699358400_8000');
  });
});

describe('estimate', () => {
  it("reproduces the seed's figures for 70,000 documents at $0.50/h", () => {
    const e = estimate({ documents: 70_000, batchSize: 100, costPerHour: 0.5 });
    expect(e).toMatchObject({ total_batches: 700, total_hours: 87.5, total_cost: 43.75, seconds_per_document: SEED_SECONDS_PER_DOCUMENT, bounded_by: 'gpu_time' });
    expect(e.basis).toContain('prior');
  });

  it('says when the Drive egress quota bounds the run, and bills the wall clock', () => {
    const e = estimate({
      documents: 70_000,
      batchSize: 100,
      costPerHour: 0.5,
      workers: 10,
      secondsPerDocument: 1,
      totalBytes: 7e12,
      sourceBytesPerDay: 1e12,
    });
    expect(e.bounded_by).toBe('source_quota');
    expect(e.wall_clock_hours).toBe(168);
    expect(e.compute_cost).toBe(840);
  });

  it('adds analysis cost per document', () => {
    const e = estimate({ documents: 1000, batchSize: 100, costPerHour: 0, analysisCostPerDocument: 0.002, secondsPerDocument: 2, basis: 'measured' });
    expect(e).toMatchObject({ compute_cost: 0, analysis_cost: 2, total_cost: 2, basis: 'measured' });
  });

  it('download bandwidth can bound the run', () => {
    const e = estimate({ documents: 100, batchSize: 10, costPerHour: 1, secondsPerDocument: 1, totalBytes: 36e9, downloadBytesPerSecond: 1e6 });
    expect(e.bounded_by).toBe('download_bandwidth');
    expect(e.wall_clock_hours).toBe(10);
  });
});

describe('statuses', () => {
  it.each([
    ['planned', 'running', true],
    ['running', 'paused', true],
    ['paused', 'running', true],
    ['completed', 'running', false],
    ['stopped', 'paused', false],
    ['planned', 'completed', false],
  ] as const)('%s → %s allowed: %s', (from, to, expected) => {
    expect(canTransition(from, to)).toBe(expected);
  });

  it('names what is finished and what can resume', () => {
    expect(isFinishedSession('completed')).toBe(true);
    expect(isFinishedSession('paused')).toBe(false);
    expect(isResumableSession('paused')).toBe(true);
    expect(isResumableSession('failed')).toBe(false);
  });
});

describe('formatting', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [61, '1m 01s'],
    [3_600, '1h 00m'],
    [90_061, '1d 1h'],
    [null, '—'],
  ])('duration %s → %s', (s, expected) => {
    expect(formatDuration(s)).toBe(expected);
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [7 * 1024 ** 4, '7.0 TB'],
  ])('bytes %i → %s', (b, expected) => {
    expect(formatBytes(b)).toBe(expected);
  });

  it.each([
    [0, '[░░░░]'],
    [0.5, '[██░░]'],
    [1, '[████]'],
    [2, '[████]'],
    [Number.NaN, '[░░░░]'],
  ])('bar %f', (f, expected) => {
    expect(progressBar(f, 4)).toBe(expected);
  });

  it('renders a progress line with rate, failures and ETA', () => {
    expect(renderProgressLine({ processed: 50, total: 200, failed: 2, docsPerSecond: 0.5, etaSeconds: 300 }, 8)).toBe(
      '[██░░░░░░]  25% 50/200 · 2 failed · 0.50 docs/s · ETA 5m 00s',
    );
  });

  it('neutralises control characters and bidi overrides in names', () => {
    expect(oneLine('evil\u202Efdp.exe\nline')).toBe('evil�fdp.exe�line');
  });

  it('aligns table columns', () => {
    expect(renderTable(['a', 'bb'], [['xxx', 1]])).toBe('a    bb\n───  ──\nxxx  1');
  });

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=SUM(A1)', "'=SUM(A1)"],
    [null, ''],
  ])('csv cell %j → %j', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });
});

describe('text helpers', () => {
  it('joins and splits pages with markers', () => {
    const text = joinPages(['first page', '', 'third']);
    expect(text).toBe('--- page 1 ---\nfirst page\n\n--- page 2 ---\n\n\n--- page 3 ---\nthird');
    expect(splitPages(text)).toEqual(['first page', '', 'third']);
  });

  it('counts words in any script, not markers', () => {
    expect(countWords('--- page 1 ---\nHello, world! 42 — مرحبا بالعالم')).toBe(5);
  });

  it.each([
    ['custody hearing', '"custody" "hearing"'],
    ['"quoted" AND OR NEAR(', '"quoted" "AND" "OR" "NEAR"'],
    ['***', null],
  ])('search %j → FTS %j', (input, expected) => {
    expect(toFtsQuery(input)).toBe(expected);
  });

  it.each([
    [[0x25, 0x50, 0x44, 0x46, 0x2d, 0x31], 'application/pdf'],
    [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
    [[0xff, 0xd8, 0xff, 0xe0], 'image/jpeg'],
    [[0x49, 0x49, 0x2a, 0x00], 'image/tiff'],
    [[0x4d, 0x4d, 0x00, 0x2a], 'image/tiff'],
    [[0x50, 0x4b, 0x03, 0x04], null],
    [[], null],
  ])('magic bytes %j → %s', (bytes, expected) => {
    expect(detectFileType(new Uint8Array(bytes))?.mime ?? null).toBe(expected);
  });

  it('finds a PDF header after a preamble', () => {
    const bytes = new Uint8Array([...Buffer.from('garbage\n'), ...Buffer.from('%PDF-1.7')]);
    expect(detectFileType(bytes)?.kind).toBe('pdf');
  });
});
