/** From a Claude response (or a failure) to the engine's {@link AnalysisResult}, with its tokens and dollars. */
import { APIError } from '@anthropic-ai/sdk';
import type Anthropic from '@anthropic-ai/sdk';
import { AppError } from '../../errors.js';
import type { AnalysisResult } from '../../engine/ports.js';
import { analysisSchema } from './analysis-schema.js';
import { costOf, inputTokensOf } from './model-prices.js';
import type { ModelPrice } from './model-prices.js';

/** Parses and checks the structured output; usage and cost are recorded whatever the outcome (they were billed). */
export function resultFromMessage(key: string, message: Anthropic.Message, price: ModelPrice, batch: boolean): AnalysisResult {
  const billed = {
    inputTokens: inputTokensOf(message.usage),
    outputTokens: message.usage.output_tokens,
    costUsd: costOf(message.usage, price, batch),
    model: message.model,
  };
  const fail = (errorCode: string, error: string): AnalysisResult => ({ key, status: 'error', data: null, error, errorCode, ...billed });
  if (message.stop_reason === 'refusal') return fail('refused', 'the model declined to analyse this document');
  if (message.stop_reason === 'max_tokens') return fail('output_truncated', 'the analysis did not fit in the output token limit');
  const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('invalid_output', 'the model did not return JSON');
  }
  const parsed = analysisSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail('invalid_output', `the analysis breaks its schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return { key, status: 'ok', data: parsed.data as Record<string, unknown>, error: null, errorCode: null, ...billed };
}

/** A document that was never analysed (not billed). */
export function failedResult(key: string, errorCode: string, error: string, model: string): AnalysisResult {
  return { key, status: 'error', data: null, error, errorCode, inputTokens: 0, outputTokens: 0, costUsd: 0, model };
}

/** Whether an API error concerns one request (bad params, too large) rather than the whole integration. */
export function isRequestError(error: unknown): boolean {
  return error instanceof APIError && (error.status === 400 || error.status === 413 || error.status === 422);
}

/** An integration failure (after the SDK's own retries), as a message a person can act on. */
export function toClaudeAppError(error: unknown, model: string): AppError {
  if (error instanceof AppError) return error;
  const status = error instanceof APIError ? error.status : undefined;
  const detail = (error as Error)?.message ?? String(error);
  if (status === 401 || status === 403) {
    return new AppError('claude_auth', `Anthropic refused the API key (${detail}).`, { hint: 'Check ANTHROPIC_API_KEY (or CLAUDE_API_KEY).', cause: error });
  }
  if (status === 404) {
    return new AppError('claude_model', `Anthropic does not know the model ${model} (${detail}).`, { hint: 'Set CLAUDE_MODEL to a current model id.', cause: error });
  }
  if (status === 402) {
    return new AppError('claude_billing', `Anthropic refused the request for billing reasons (${detail}).`, { hint: 'Check the Anthropic account’s credit.', cause: error });
  }
  return new AppError('claude_failed', `Claude analysis failed: ${detail}`, { cause: error });
}
