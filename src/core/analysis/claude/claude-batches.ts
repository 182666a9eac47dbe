/**
 * Analysis through the Message Batches API (50 % cheaper): one Claude batch per call, polled until it ends,
 * results matched by `custom_id` (they come back in any order). Errored (other than invalid requests), expired and
 * canceled requests are sent again in a new batch, up to `maxRounds` batches. A batch's id is remembered in a
 * ledger until its results are read, so a run interrupted while polling picks the same batch up again instead of
 * paying for a second one.
 */
import { createHash } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { NotFoundError } from '@anthropic-ai/sdk';
import type { AnalysisInput, AnalysisResult } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { messageParams } from './analysis-prompt.js';
import type { PromptSettings } from './analysis-prompt.js';
import { failedResult, resultFromMessage } from './analysis-result.js';
import type { ModelPrice } from './model-prices.js';

/** Where submitted-but-unread batch ids survive a restart (the `kv` table in production). */
export interface BatchLedger {
  get(key: string): string | undefined;
  set(key: string, batchId: string): void;
  delete(key: string): void;
}

export interface BatchRun {
  client: Anthropic;
  settings: PromptSettings;
  price: ModelPrice;
  maxRounds: number;
  pollIntervalMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  ledger: BatchLedger | null;
  logger: EngineLogger;
}

/** Requests per Claude batch (the API allows 100,000 or 256 MB; engine batches are far smaller). */
const MAX_REQUESTS = 10_000;

type Outcome = { result: AnalysisResult } | { retry: { code: string; message: string } };

export async function analyzeInBatches(inputs: readonly AnalysisInput[], run: BatchRun, signal: AbortSignal): Promise<AnalysisResult[]> {
  const results = new Map<string, AnalysisResult>();
  let pending = [...inputs];
  for (let round = 1; round <= run.maxRounds && pending.length > 0; round += 1) {
    const retry: AnalysisInput[] = [];
    for (let i = 0; i < pending.length; i += MAX_REQUESTS) {
      const chunk = pending.slice(i, i + MAX_REQUESTS);
      const outcomes = await runBatch(chunk, run, signal);
      for (const input of chunk) {
        const outcome = outcomes.get(input.key) ?? { retry: { code: 'missing_result', message: 'the batch returned no result for this document' } };
        if ('result' in outcome) results.set(input.key, outcome.result);
        else if (round < run.maxRounds) retry.push(input);
        else results.set(input.key, failedResult(input.key, outcome.retry.code, `${outcome.retry.message} (after ${round} batches)`, run.settings.model));
      }
    }
    if (retry.length > 0) run.logger.warn({ round, retry: retry.length }, 'some Claude batch requests errored or expired; sending them again');
    pending = retry;
  }
  return inputs.map((input) => results.get(input.key)!);
}

async function runBatch(inputs: readonly AnalysisInput[], run: BatchRun, signal: AbortSignal): Promise<Map<string, Outcome>> {
  const ids = new Map(inputs.map((input) => [customId(input.key), input.key]));
  const ledgerKey = `claude.batch:${createHash('sha256').update(`${run.settings.model}|${[...ids.keys()].sort().join(',')}`).digest('hex').slice(0, 32)}`;
  let batchId = run.ledger?.get(ledgerKey);
  if (batchId && !(await stillThere(run, batchId, signal))) {
    run.ledger?.delete(ledgerKey);
    batchId = undefined;
  }
  if (!batchId) {
    const requests = inputs.map((input) => ({ custom_id: customId(input.key), params: messageParams(input, run.settings) }));
    batchId = (await run.client.messages.batches.create({ requests }, { signal })).id;
    run.ledger?.set(ledgerKey, batchId);
    run.logger.info({ batchId, requests: requests.length }, 'Claude batch submitted');
  } else {
    run.logger.info({ batchId }, 'resuming a Claude batch submitted before');
  }
  await waitUntilEnded(run, batchId, signal);
  const outcomes = new Map<string, Outcome>();
  for await (const line of await run.client.messages.batches.results(batchId, {}, { signal })) {
    const key = ids.get(line.custom_id);
    if (key !== undefined) outcomes.set(key, outcomeOf(key, line.result, run));
  }
  run.ledger?.delete(ledgerKey);
  return outcomes;
}

/** A remembered batch whose results are gone (deleted, or past the 29 days) must be submitted again. */
async function stillThere(run: BatchRun, batchId: string, signal: AbortSignal): Promise<boolean> {
  try {
    await run.client.messages.batches.retrieve(batchId, {}, { signal });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

async function waitUntilEnded(run: BatchRun, batchId: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    const batch = await run.client.messages.batches.retrieve(batchId, {}, { signal });
    if (batch.processing_status === 'ended') return;
    await run.sleep(run.pollIntervalMs, signal);
    signal.throwIfAborted();
  }
}

function outcomeOf(key: string, result: Anthropic.Messages.MessageBatchResult, run: BatchRun): Outcome {
  switch (result.type) {
    case 'succeeded':
      return { result: resultFromMessage(key, result.message, run.price, true) };
    case 'errored': {
      const { type, message } = result.error.error;
      // Invalid params are validated only once the batch runs; sending them again cannot help.
      if (type === 'invalid_request_error') return { result: failedResult(key, 'invalid_request', `Claude rejected the request: ${message}`, run.settings.model) };
      return { retry: { code: 'errored', message: `Claude failed on this request (${type}: ${message})` } };
    }
    case 'expired':
      return { retry: { code: 'expired', message: 'the Claude batch expired before this request ran' } };
    case 'canceled':
      return { retry: { code: 'canceled', message: 'the Claude batch was canceled' } };
  }
}

/** `custom_id` must be 1–64 characters of `[a-zA-Z0-9_-]`; other keys are hashed. */
export function customId(key: string): string {
  return /^[a-zA-Z0-9_-]{1,64}$/.test(key) ? key : `k${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}
