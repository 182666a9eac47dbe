/**
 * OCR by a vision-language model behind an OpenAI-compatible server (olmOCR-2 under vLLM on the rented GPU),
 * asked the way olmOCR's own pipeline asks:
 *
 * - the page as a PNG whose longest side is 1288 px, with olmOCR's prompt, `max_tokens` 8000;
 * - an answer counts only when it finished (`finish_reason: stop`; `length` means the model looped) and starts
 *   with a complete front matter block; otherwise the page is asked again, hotter each time (temperature
 *   0.1 … 1.0, at most 8 tries), which breaks repetition loops;
 * - a page the model says is not upright is turned by its `rotation_correction` and asked again;
 * - an unreachable or overloaded server is waited for with backoff, not counted as a try; after a few waits, or
 *   while a circuit breaker says the server is down, the page goes to the fallback engine (tesseract), as it
 *   does when the tries are spent. The reading says which engine produced it.
 *
 * Requests in flight are bounded (`concurrency`) across every document of the worker.
 */
import type { Logger } from '../../../logger.js';
import { DocumentError } from '../../../core/errors.js';
import { backoffDelay, type BackoffPolicy } from '../../../core/engine/backoff.js';
import { sleepFor } from '../../../core/retry.js';
import type { VlmSettings } from '../../config.js';
import { ResourcePool } from '../../resource-pool.js';
import type { GrayImage, OcrEngine, OcrImage, OcrOutput, OcrRequest } from '../ocr-engine.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { FrontMatterError, parsePageReading } from './front-matter.js';
import { pageDataUri, type Rotation } from './page-image.js';
import { VlmCallError, postCompletion, requestBody, type CompletionAnswer } from './vlm-request.js';

export const VLM_ENGINE_NAME = 'vlm';

export interface VlmRetryPolicy {
  /** One try per temperature, in order (olmOCR's ladder). */
  temperatures: readonly number[];
  /** Waits for an unreachable or overloaded server per page before it goes to the fallback. */
  unreachableWaits: number;
  backoff: BackoffPolicy;
  /** A server's retry-after longer than this sends the page to the fallback instead. */
  maxRetryAfterMs: number;
  /** Unreachable calls in a row that open the circuit, and how long it stays open. */
  circuitThreshold: number;
  circuitCooldownMs: number;
  /** Longest side of the page image sent, in pixels. */
  longestSide: number;
}

export const OLMOCR_RETRY_POLICY: VlmRetryPolicy = {
  temperatures: [0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0],
  unreachableWaits: 3,
  backoff: { baseMs: 2_000, maxMs: 30_000, jitter: 0.5 },
  maxRetryAfterMs: 60_000,
  circuitThreshold: 3,
  circuitCooldownMs: 30_000,
  longestSide: 1288,
};

export interface VlmEngineOptions {
  settings: VlmSettings;
  /** The engine that reads a page the VLM cannot; null for none (the page then fails). Created on first need. */
  fallback: () => OcrEngine | null;
  logger: Logger;
  policy?: Partial<VlmRetryPolicy>;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** The VLM gave up on a page; the reason goes to the log and, without a fallback, into the page error. */
class VlmGaveUp extends Error {
  override readonly name = 'VlmGaveUp';
}

interface PageAttempts {
  image: GrayImage;
  request: OcrRequest;
  rotation: Rotation;
  tries: number;
  waits: number;
  lastProblem: string;
  uris: Map<Rotation, string>;
}

export function createVlmEngine(options: VlmEngineOptions): OcrEngine {
  const policy: VlmRetryPolicy = { ...OLMOCR_RETRY_POLICY, ...options.policy };
  const { settings } = options;
  const log = options.logger.child({ ocrEngine: VLM_ENGINE_NAME });
  const sleep = options.sleep ?? sleepFor;
  const slots = new ResourcePool<number>(settings.concurrency, { create: async () => 0, destroy: () => undefined });
  const breaker = new CircuitBreaker({ threshold: policy.circuitThreshold, cooldownMs: policy.circuitCooldownMs, ...(options.now ? { now: options.now } : {}) });
  let closed = false;

  async function pageUri(page: PageAttempts): Promise<string> {
    let uri = page.uris.get(page.rotation);
    if (!uri) {
      uri = (await pageDataUri(page.image, policy.longestSide, page.rotation)).uri;
      page.uris.set(page.rotation, uri);
    }
    return uri;
  }

  async function ask(page: PageAttempts, temperature: number): Promise<CompletionAnswer> {
    const body = requestBody(settings.model, await pageUri(page), temperature);
    const slot = await slots.acquire(page.request.signal);
    try {
      return await postCompletion(settings, body, page.request.signal, options.fetch);
    } finally {
      slots.release(slot);
    }
  }

  /** Waits out an unreachable server, or gives the page up when it has waited enough. */
  async function waitForServer(page: PageAttempts, error: VlmCallError): Promise<void> {
    breaker.failed();
    const tooLong = error.retryAfterMs !== null && error.retryAfterMs > policy.maxRetryAfterMs;
    if (page.waits >= policy.unreachableWaits || breaker.open || tooLong) throw new VlmGaveUp(error.message);
    page.waits += 1;
    await sleep(error.retryAfterMs ?? backoffDelay(page.waits, policy.backoff), page.request.signal);
  }

  /** Handles a failed call: wait (not a try), count a try, or give up. */
  async function onCallError(page: PageAttempts, error: unknown): Promise<void> {
    page.request.signal?.throwIfAborted();
    if (!(error instanceof VlmCallError)) throw error;
    if (error.kind === 'refused') throw new VlmGaveUp(error.message);
    if (error.kind === 'unreachable') return waitForServer(page, error);
    breaker.succeeded();
    page.tries += 1;
    page.lastProblem = error.message;
    await sleep(backoffDelay(page.tries, policy.backoff), page.request.signal);
  }

  /** A valid reading, or null after recording why this answer is not one. */
  function judge(page: PageAttempts, answer: CompletionAnswer): OcrOutput | null {
    page.tries += 1;
    if (answer.finishReason !== 'stop') {
      page.lastProblem = `the answer did not finish (finish_reason ${answer.finishReason ?? 'none'})`;
      return null;
    }
    let reading;
    try {
      reading = parsePageReading(answer.content);
    } catch (error) {
      if (!(error instanceof FrontMatterError)) throw error;
      page.lastProblem = error.message;
      return null;
    }
    if (!reading.facts.is_rotation_valid && page.tries < policy.temperatures.length) {
      page.rotation = ((page.rotation + reading.facts.rotation_correction) % 360) as Rotation;
      page.lastProblem = `the page was not upright (turned to ${page.rotation}°)`;
      return null;
    }
    return { text: reading.text, confidence: answer.confidence, engine: VLM_ENGINE_NAME };
  }

  async function readWithVlm(image: GrayImage, request: OcrRequest): Promise<OcrOutput> {
    const page: PageAttempts = { image, request, rotation: 0, tries: 0, waits: 0, lastProblem: '', uris: new Map() };
    while (page.tries < policy.temperatures.length) {
      let answer: CompletionAnswer;
      try {
        answer = await ask(page, policy.temperatures[page.tries] as number);
      } catch (error) {
        await onCallError(page, error);
        continue;
      }
      breaker.succeeded();
      const output = judge(page, answer);
      if (output) return output;
      log.debug({ tries: page.tries, problem: page.lastProblem }, 'page answer not usable; asking again');
    }
    throw new VlmGaveUp(`no valid answer in ${page.tries} tries; last: ${page.lastProblem}`);
  }

  async function readWithFallback(image: OcrImage, request: OcrRequest, reason: string): Promise<OcrOutput> {
    const fallback = options.fallback();
    if (!fallback) throw new DocumentError('internal', `the VLM could not read the page: ${reason}`);
    log.info({ reason, fallback: fallback.name }, 'page read by the fallback engine');
    const output = await fallback.recognize(image, request);
    return { ...output, engine: output.engine ?? fallback.name };
  }

  return {
    name: VLM_ENGINE_NAME,
    async recognize(image, request) {
      if (closed) throw new Error('the VLM engine is closed');
      if (image.kind !== 'gray') return readWithFallback(image, request, `it reads rendered pages, not ${image.mimeType} files`);
      if (!breaker.allows()) return readWithFallback(image, request, 'its server is down');
      try {
        return await readWithVlm(image, request);
      } catch (error) {
        if (!(error instanceof VlmGaveUp)) throw error;
        return readWithFallback(image, request, error.message);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await slots.close();
    },
  };
}
