/**
 * Claude as the engine's {@link Analyzer}: structured legal analysis of each document's extracted text (never the
 * PDF), through the Message Batches API (default, half price) or one request per document (`direct`). Usage is
 * turned into dollars per document from one price table. Runs on the orchestrator only: the key never leaves it.
 */
import Anthropic, { APIUserAbortError } from '@anthropic-ai/sdk';
import { AppError } from '../../errors.js';
import type { AnalysisInput, AnalysisResult, Analyzer } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { mapInLanes } from '../../in-lanes.js';
import { sleepFor } from '../../retry.js';
import { CHARS_PER_TOKEN, SYSTEM_PROMPT_TOKENS, messageParams } from './analysis-prompt.js';
import type { PromptSettings } from './analysis-prompt.js';
import { failedResult, isRequestError, resultFromMessage, toClaudeAppError } from './analysis-result.js';
import { analyzeInBatches } from './claude-batches.js';
import type { BatchLedger } from './claude-batches.js';
import { BATCH_DISCOUNT, priceFor } from './model-prices.js';
import type { ModelPrice } from './model-prices.js';

export type AnalysisMode = 'batch' | 'direct';

export interface ClaudeAnalyzerOptions {
  apiKey: string;
  /** ANTHROPIC_BASE_URL; default Anthropic's. */
  baseURL?: string | undefined;
  model: string;
  mode: AnalysisMode;
  /** Input budget per document, in tokens; longer texts are cut. */
  maxInputTokens: number;
  maxOutputTokens: number;
  /** Overrides the price table ($ per million input / output tokens), for models it does not list. */
  priceOverride?: { input: number; output: number } | null;
  logger: EngineLogger;
  /** Batch mode: how often to ask whether a batch has ended. Default 60 s. */
  pollIntervalMs?: number;
  /** Batch mode: batches per call (the first plus resubmissions of errored/expired requests). Default 3. */
  maxRounds?: number;
  /** Direct mode: requests in flight per call. Default 4. */
  concurrency?: number;
  /** Batch mode: Claude batches being waited on at once. Default 64. */
  batchesInFlight?: number;
  /** The SDK's retries of 408/409/429/5xx per request. Default 4. */
  maxRetries?: number;
  timeoutMs?: number;
  ledger?: BatchLedger | null;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: typeof fetch;
}

/** Output tokens assumed per document for estimates (the schema's fields, a few quotes, a summary). */
const ESTIMATED_OUTPUT_TOKENS = 1_200;

export function createClaudeAnalyzer(options: ClaudeAnalyzerOptions): Analyzer {
  const price = priceFor(options.model, options.priceOverride);
  if (!price) {
    throw new AppError('claude_price_unknown', `No price is known for the Claude model ${options.model}, so its cost could not be counted.`, {
      hint: 'Set CLAUDE_MODEL to a listed model (docs/cloud.md) or CLAUDE_PRICE_PER_MTOK="<input>,<output>" dollars per million tokens.',
    });
  }
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: options.maxRetries ?? 4,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const settings: PromptSettings = { model: options.model, maxInputTokens: options.maxInputTokens, maxOutputTokens: options.maxOutputTokens };
  const log = options.logger.child({ analyzer: 'claude', mode: options.mode });
  const batch = options.mode === 'batch';

  return {
    kind: 'claude',
    enabled: true,
    // A little over the budget, so the truncation can tell (and say) that text was left out.
    maxInputChars: Math.ceil(options.maxInputTokens * CHARS_PER_TOKEN) + 1_000,
    // A Claude batch may take an hour: many in flight keep analysis level with extraction. Direct calls already
    // run several requests each.
    concurrency: batch ? (options.batchesInFlight ?? 64) : 2,
    estimateCostPerDocument(avgChars) {
      const input = Math.min(avgChars / CHARS_PER_TOKEN, options.maxInputTokens) + 40;
      const dollars = input * price.input + SYSTEM_PROMPT_TOKENS * price.cacheRead + ESTIMATED_OUTPUT_TOKENS * price.output;
      return (dollars / 1_000_000) * (batch ? BATCH_DISCOUNT : 1);
    },
    async analyze(inputs, signal) {
      if (inputs.length === 0) return [];
      try {
        if (batch) {
          return await analyzeInBatches(inputs, {
            client,
            settings,
            price,
            maxRounds: options.maxRounds ?? 3,
            pollIntervalMs: options.pollIntervalMs ?? 60_000,
            sleep: options.sleep ?? sleepFor,
            ledger: options.ledger ?? null,
            logger: log,
          }, signal);
        }
        return await analyzeDirect(inputs, { client, settings, price, concurrency: options.concurrency ?? 4 }, signal);
      } catch (error) {
        if (signal.aborted || error instanceof APIUserAbortError) throw signal.reason ?? error;
        throw toClaudeAppError(error, options.model);
      }
    },
  };
}

interface DirectRun {
  client: Anthropic;
  settings: PromptSettings;
  price: ModelPrice;
  concurrency: number;
}

/**
 * One request per document, a few at a time. A request Claude rejects fails only its document; anything else
 * (auth, outage after the SDK's retries) stops the call, cancelling the requests still in flight.
 */
async function analyzeDirect(inputs: readonly AnalysisInput[], run: DirectRun, signal: AbortSignal): Promise<AnalysisResult[]> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const cancelOthers = (error: unknown): never => {
    controller.abort(error);
    throw error;
  };
  try {
    const analyze = (index: number): Promise<AnalysisResult> => analyzeOne(inputs[index]!, run, controller.signal).catch(cancelOthers);
    return await mapInLanes(inputs.length, run.concurrency, analyze, controller.signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function analyzeOne(input: AnalysisInput, run: DirectRun, signal: AbortSignal): Promise<AnalysisResult> {
  try {
    const message = await run.client.messages.create(messageParams(input, run.settings), { signal });
    return resultFromMessage(input.key, message, run.price, false);
  } catch (error) {
    if (isRequestError(error)) return failedResult(input.key, 'invalid_request', `Claude rejected the request: ${(error as Error).message}`, run.settings.model);
    throw error;
  }
}
