/**
 * One `POST {base}/chat/completions` to an OpenAI-compatible server (vLLM), asking it to read one page image the
 * way olmOCR's own pipeline asks, and the answer or a classified failure.
 */
import { z } from 'zod';
import { isNetworkError, parseRetryAfter } from '../../../core/retry.js';
import type { VlmSettings } from '../../config.js';

/**
 * The instruction olmOCR-2 was fine-tuned on (allenai/olmocr, `build_no_anchoring_v4_yaml_prompt`, Apache-2.0).
 * It is the model's input contract rather than code: other wording measurably degrades its answers.
 */
export const OLMOCR_PROMPT =
  'Attached is one page of a document that you must process. ' +
  'Just return the plain text representation of this document as if you were reading it naturally. ' +
  'Convert equations to LateX and tables to HTML.\n' +
  'If there are any figures or charts, label them with the following markdown syntax ' +
  '![Alt text describing the contents of the figure](page_startx_starty_width_height.png)\n' +
  'Return your output as markdown, with a front matter section on top specifying values for the ' +
  'primary_language, is_rotation_valid, rotation_correction, is_table, and is_diagram parameters.';

/** Room for the densest page; a page that needs more is looping. */
export const VLM_MAX_TOKENS = 8000;

export interface CompletionAnswer {
  content: string;
  /** `stop` is the only finish that makes a valid page; `length` means the model hit max_tokens (a loop). */
  finishReason: string | null;
  /** Mean token probability × 100 when the server sent log-probabilities, else null. */
  confidence: number | null;
}

/**
 * Why a call gave no answer. `unreachable`: the server could not be reached, timed out, or asked us to slow down
 * (worth waiting for); `server`: it failed on this request (worth another attempt); `refused`: it will refuse this
 * request again (a 4xx), so retrying cannot help.
 */
export class VlmCallError extends Error {
  override readonly name = 'VlmCallError';
  constructor(
    readonly kind: 'unreachable' | 'server' | 'refused',
    message: string,
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
        logprobs: z
          .object({ content: z.array(z.object({ logprob: z.number() })).nullable().optional() })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
});

type Choice = z.infer<typeof completionSchema>['choices'][number];

export function requestBody(model: string, imageUri: string, temperature: number): Record<string, unknown> {
  return {
    model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: OLMOCR_PROMPT },
          { type: 'image_url', image_url: { url: imageUri } },
        ],
      },
    ],
    max_tokens: VLM_MAX_TOKENS,
    temperature,
    // The sampled tokens' probabilities give the page a confidence, as tesseract's word confidences do.
    logprobs: true,
  };
}

function tokenConfidence(choice: Choice): number | null {
  const tokens = choice.logprobs?.content ?? [];
  if (tokens.length === 0) return null;
  const mean = tokens.reduce((sum, token) => sum + token.logprob, 0) / tokens.length;
  return Math.round(Math.min(1, Math.exp(mean)) * 1000) / 10;
}

function statusError(response: Response, detail: string): VlmCallError {
  const { status } = response;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const message = `the VLM server answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
  // 502–504: a proxy or a (re)starting server; 429: overloaded. Both pass.
  if (status === 429 || status === 408 || (status >= 502 && status <= 504)) return new VlmCallError('unreachable', message, retryAfter);
  if (status >= 500) return new VlmCallError('server', message);
  return new VlmCallError('refused', message);
}

async function readAnswer(response: Response): Promise<CompletionAnswer> {
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new VlmCallError('server', 'the VLM server sent an answer that is not JSON', null, { cause: error });
  }
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) throw new VlmCallError('server', 'the VLM server sent an answer without choices');
  const choice = parsed.data.choices[0] as Choice;
  return { content: choice.message.content ?? '', finishReason: choice.finish_reason ?? null, confidence: tokenConfidence(choice) };
}

function headers(settings: VlmSettings): Record<string, string> {
  const base: Record<string, string> = { 'content-type': 'application/json' };
  if (settings.apiKey) base.authorization = `Bearer ${settings.apiKey}`;
  return base;
}

/**
 * Sends one page. Rejects with {@link VlmCallError}, or with `signal`'s reason when the document gave up.
 * `fetchImpl` is the global fetch unless a test injects another.
 */
export async function postCompletion(
  settings: VlmSettings,
  body: Record<string, unknown>,
  signal: AbortSignal | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<CompletionAnswer> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetchImpl(`${settings.url}/chat/completions`, {
      method: 'POST',
      headers: headers(settings),
      body: JSON.stringify(body),
      signal: combined,
    });
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 300);
      throw statusError(response, detail);
    }
    return await readAnswer(response);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof VlmCallError) throw error;
    if (timeout.aborted) throw new VlmCallError('unreachable', `the VLM server did not answer within ${settings.timeoutMs} ms`, null, { cause: error });
    if (isNetworkError(error)) throw new VlmCallError('unreachable', `the VLM server is unreachable: ${(error as Error).message}`, null, { cause: error });
    throw error;
  }
}
