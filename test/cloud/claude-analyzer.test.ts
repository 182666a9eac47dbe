import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnalysisInput, Analyzer } from '../../src/core/engine/ports.js';
import { AppError } from '../../src/core/errors.js';
import { SYSTEM_PROMPT, truncateToBudget } from '../../src/core/analysis/claude/analysis-prompt.js';
import { createClaudeAnalyzer } from '../../src/core/analysis/claude/claude-analyzer.js';
import type { ClaudeAnalyzerOptions } from '../../src/core/analysis/claude/claude-analyzer.js';
import type { BatchLedger } from '../../src/core/analysis/claude/claude-batches.js';
import { MODEL_PRICES, costOf } from '../../src/core/analysis/claude/model-prices.js';
import { silentLogger } from '../../src/logger.js';
import { AnthropicFake, defaultAnalysis } from '../fakes/anthropic-fake.js';

const KEY = 'sk-ant-test-0123456789abcdef';
let fake: AnthropicFake;
const sleeps: number[] = [];

beforeEach(async () => {
  fake = await new AnthropicFake({ apiKey: KEY, pollsUntilEnded: 2 }).start();
  sleeps.length = 0;
});
afterEach(async () => {
  await fake.stop();
});

function analyzer(overrides: Partial<ClaudeAnalyzerOptions> = {}): Analyzer {
  return createClaudeAnalyzer({
    apiKey: KEY,
    baseURL: fake.url,
    model: 'claude-sonnet-4-6',
    mode: 'batch',
    maxInputTokens: 2_000,
    maxOutputTokens: 2_048,
    logger: silentLogger(),
    pollIntervalMs: 30_000,
    maxRetries: 2,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  });
}

function inputs(n: number): AnalysisInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: String(100 + i), name: `doc-${i}.pdf`, text: `--- page 1 ---\nMinute order ${i}: the court orders that visits continue. ${'Findings follow. '.repeat(20)}` }));
}

function memoryLedger(): BatchLedger & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return { entries, get: (k) => entries.get(k), set: (k, v) => void entries.set(k, v), delete: (k) => void entries.delete(k) };
}

const signal = () => new AbortController().signal;

describe('Claude analyzer: batch mode', () => {
  it('sends one batch, polls until it ends, and matches shuffled results by custom_id', async () => {
    const docs = inputs(6);
    const results = await analyzer().analyze(docs, signal());
    expect(fake.batches.size).toBe(1);
    expect(fake.messageCalls).toBe(0);
    expect(sleeps).toEqual([30_000, 30_000]);
    expect(results.map((r) => r.key)).toEqual(docs.map((d) => d.key));
    for (const r of results) {
      expect(r).toMatchObject({ status: 'ok', model: 'claude-sonnet-4-6', errorCode: null });
      expect(r.data).toMatchObject({ document_type: 'ORDR', document_date: '2024-03-15' });
      expect(r.costUsd).toBeGreaterThan(0);
    }
    // Each result carries its own document's analysis, whatever order the JSONL came in.
    expect(results.map((r) => r.data?.document_title)).toEqual(docs.map((d) => `Analysis of ${d.name}`));
  });

  it('caches the shared system prompt for an hour and bills batch results at half price', async () => {
    const [first] = await analyzer().analyze(inputs(1), signal());
    const [second] = await analyzer().analyze(inputs(2).slice(1), signal());
    const request = JSON.parse(fake.http.requestsTo('POST', /batches$/)[0]!.body) as { requests: { params: Record<string, unknown> }[] };
    const params = request.requests[0]!.params;
    expect(params.system).toEqual([{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral', ttl: '1h' } }]);
    for (const key of ['temperature', 'top_p', 'top_k']) expect(params).not.toHaveProperty(key);
    expect(second!.costUsd).toBeLessThan(first!.costUsd);
    // The figures follow the price table: recompute the second from its tokens (all cache reads).
    const price = MODEL_PRICES['claude-sonnet-4-6']!;
    const system = Math.ceil(SYSTEM_PROMPT.length / 4);
    const expected = costOf({ input_tokens: second!.inputTokens - system, output_tokens: second!.outputTokens, cache_read_input_tokens: system, cache_creation_input_tokens: 0 }, price, true);
    expect(second!.costUsd).toBeCloseTo(expected, 10);
  });

  it('sends errored and expired requests again in a new batch; invalid requests fail without a retry', async () => {
    const docs = inputs(4);
    fake.outcomes.set('100', ['errored']);
    fake.outcomes.set('101', ['expired', 'expired', 'expired']);
    fake.outcomes.set('102', ['invalid']);
    const results = await analyzer({ maxRounds: 3 }).analyze(docs, signal());
    expect(fake.batches.size).toBe(3);
    expect(results[0]).toMatchObject({ status: 'ok' });
    expect(results[1]).toMatchObject({ status: 'error', errorCode: 'expired', costUsd: 0 });
    expect(results[2]).toMatchObject({ status: 'error', errorCode: 'invalid_request' });
    expect(results[3]).toMatchObject({ status: 'ok' });
    expect([...fake.batches.values()].map((b) => b.requests.length)).toEqual([4, 2, 1]);
  });

  it('resumes a batch submitted before an interruption instead of paying for another', async () => {
    const ledger = memoryLedger();
    const controller = new AbortController();
    const interrupted = analyzer({ ledger, sleep: () => { controller.abort(new Error('paused')); return Promise.resolve(); } });
    await expect(interrupted.analyze(inputs(3), controller.signal)).rejects.toThrow('paused');
    expect(ledger.entries.size).toBe(1);
    const results = await analyzer({ ledger }).analyze(inputs(3), signal());
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(fake.batches.size).toBe(1);
    expect(ledger.entries.size).toBe(0);
  });

  it('rejects results that break the schema (ranges checked here, not by the API) but still counts their cost', async () => {
    fake.setResponder((params, text) => ({ ...defaultAnalysis(params, text), relevancy_number: 1200 }));
    const [result] = await analyzer().analyze(inputs(1), signal());
    expect(result).toMatchObject({ status: 'error', errorCode: 'invalid_output', data: null });
    expect(result!.error).toContain('relevancy_number');
    expect(result!.costUsd).toBeGreaterThan(0);
  });
});

describe('Claude analyzer: direct mode', () => {
  it('sends one request per document, retrying 429 (retry-after) and 5xx through the SDK', async () => {
    fake.http.inject({ kind: 'rate_limit', retryAfterSeconds: 0, match: { path: /^\/v1\/messages$/ } });
    fake.http.inject({ kind: 'status', status: 529, headers: { 'retry-after-ms': '5' }, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, match: { path: /^\/v1\/messages$/ } });
    const results = await analyzer({ mode: 'direct', concurrency: 2 }).analyze(inputs(3), signal());
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(fake.messageCalls).toBe(3);
    expect(fake.http.requestsTo('POST', /^\/v1\/messages$/).length).toBe(5);
    expect(fake.batches.size).toBe(0);
    expect(results[0]!.costUsd).toBeGreaterThan(0);
  });

  it('a wrong key stops the call with an error naming the variable', async () => {
    const error = await createClaudeAnalyzer({ apiKey: 'sk-ant-wrong-key-000000', baseURL: fake.url, model: 'claude-sonnet-4-6', mode: 'direct', maxInputTokens: 1000, maxOutputTokens: 1000, logger: silentLogger(), maxRetries: 0 })
      .analyze(inputs(1), signal())
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'claude_auth' });
    expect((error as AppError).hint).toContain('ANTHROPIC_API_KEY');
  });
});

describe('Claude analyzer: input and money', () => {
  it('cuts text to the token budget and says so in the request', async () => {
    const long = 'word '.repeat(40_000);
    await analyzer({ mode: 'direct', maxInputTokens: 1_000 }).analyze([{ key: '1', name: 'huge.pdf', text: long.slice(0, 5_000), totalChars: long.length }], signal());
    const body = JSON.parse(fake.http.requestsTo('POST', /^\/v1\/messages$/)[0]!.body) as { messages: { content: string }[] };
    expect(body.messages[0]!.content.length).toBeLessThan(3_400);
    expect(body.messages[0]!.content).toContain(`of ${long.length} characters are not shown`);
    expect(truncateToBudget('short text', 1_000)).toEqual({ text: 'short text', truncated: false });
  });

  it('estimates half the cost in batch mode, and refuses a model it cannot price unless given prices', () => {
    const batch = analyzer().estimateCostPerDocument(20_000);
    const direct = analyzer({ mode: 'direct' }).estimateCostPerDocument(20_000);
    expect(batch).toBeCloseTo(direct / 2, 10);
    expect(() => analyzer({ model: 'claude-unknown-9' })).toThrow(expect.objectContaining({ code: 'claude_price_unknown' }) as Error);
    expect(analyzer({ model: 'claude-unknown-9', priceOverride: { input: 2, output: 10 } }).estimateCostPerDocument(1000)).toBeGreaterThan(0);
    expect(analyzer({ model: 'claude-sonnet-4-5-20250929' }).kind).toBe('claude');
  });
});
