/**
 * The orchestrator's side of the worker protocol: one {@link Worker} over HTTP, for a local process or a rented
 * instance alike. Transient network failures are retried (the protocol is idempotent on batch id); a worker that
 * stays unreachable, or that its owner declares lost, ends the batch with {@link WorkerLostError}.
 */
import { z } from 'zod';
import { coerceError } from '../errors.js';
import type { Worker, WorkerBatch, WorkerTarget } from '../engine/ports.js';
import { WorkerLostError } from '../engine/ports.js';
import type { EngineLogger } from '../engine/types.js';
import { batchStateSchema, workerHealthSchema } from '../../protocol/worker-protocol.js';
import { openJson, parseSealKey, requestContext, responseContext, SEALED_CONTENT_TYPE, SealError, sealJson } from '../../protocol/sealed.js';
import type { BatchState, DocumentResult, WorkerHealth } from '../../protocol/worker-protocol.js';

export interface HttpWorkerOptions {
  id: string;
  label: string;
  baseUrl: string;
  token: string;
  /** The worker's seal key (base64url): every body is encrypted and bound to its request. Absent: plain JSON. */
  sealKey?: string | undefined;
  target: WorkerTarget;
  logger: EngineLogger;
  /** How long one long poll may wait on the worker. */
  pollWaitMs?: number;
  /** Consecutive failed requests before the worker counts as lost. */
  maxFailures?: number;
  /** First retry delay; doubles per consecutive failure. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class HttpWorker implements Worker {
  readonly id: string;
  readonly label: string;
  readonly target: WorkerTarget;
  private readonly lostController = new AbortController();
  private readonly options: Required<Omit<HttpWorkerOptions, 'fetch' | 'sealKey'>> & { fetch: typeof fetch };
  private readonly sealKey: Buffer | null;

  constructor(options: HttpWorkerOptions) {
    this.id = options.id;
    this.label = options.label;
    this.target = options.target;
    this.sealKey = options.sealKey ? parseSealKey(options.sealKey) : null;
    this.options = {
      pollWaitMs: 20_000,
      maxFailures: 5,
      retryDelayMs: 500,
      fetch: globalThis.fetch,
      ...options,
    };
  }

  /** The owner knows the worker is gone (its process exited, its instance died): fail what is in flight now. */
  markLost(reason: string): void {
    if (!this.lostController.signal.aborted) this.lostController.abort(new WorkerLostError(this.id, reason));
  }

  get isLost(): boolean {
    return this.lostController.signal.aborted;
  }

  async health(signal?: AbortSignal): Promise<WorkerHealth> {
    const json = await this.request('GET', '/v1/health', undefined, signal ?? AbortSignal.timeout(10_000), 10_000);
    return workerHealthSchema.parse(json);
  }

  async process(batch: WorkerBatch, onResult: (result: DocumentResult) => Promise<void>, signal: AbortSignal): Promise<void> {
    const combined = AbortSignal.any([signal, this.lostController.signal]);
    try {
      let state = await this.withRetries(() => this.submit(batch, combined), combined);
      let after = 0;
      for (;;) {
        for (const result of state.results) await onResult(result);
        after = state.next;
        if (state.status === 'done') return;
        if (state.status === 'cancelled') throw new WorkerLostError(this.id, 'the worker cancelled the batch');
        state = await this.withRetries(() => this.poll(batch, after, combined), combined);
      }
    } catch (error) {
      if (signal.aborted && !this.isLost) {
        void this.cancel(batch.batchId);
        throw signal.reason ?? error;
      }
      if (this.isLost) throw this.lostController.signal.reason as WorkerLostError;
      throw error;
    }
  }

  private async submit(batch: WorkerBatch, signal: AbortSignal): Promise<BatchState> {
    return batchStateSchema.parse(await this.request('POST', '/v1/batches', batch, signal, 60_000));
  }

  private async poll(batch: WorkerBatch, after: number, signal: AbortSignal): Promise<BatchState> {
    const { pollWaitMs } = this.options;
    const path = `/v1/batches/${encodeURIComponent(batch.batchId)}?after=${after}&waitMs=${pollWaitMs}`;
    try {
      return batchStateSchema.parse(await this.request('GET', path, undefined, signal, pollWaitMs + 15_000));
    } catch (error) {
      // The worker forgot the batch (restarted, evicted): submitting again is safe, the id makes it idempotent.
      if (error instanceof HttpStatusError && error.status === 404) {
        const state = await this.submit(batch, signal);
        return { ...state, results: state.results.slice(after) };
      }
      throw error;
    }
  }

  private async cancel(batchId: string): Promise<void> {
    try {
      await this.request('DELETE', `/v1/batches/${encodeURIComponent(batchId)}`, undefined, AbortSignal.timeout(5_000), 5_000);
    } catch (error) {
      this.options.logger.debug({ err: coerceError(error), workerId: this.id }, 'cancel request failed');
    }
  }

  /** Retries network failures and 5xx with doubling delays; gives up as a lost worker. */
  private async withRetries<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    let failures = 0;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof HttpStatusError && error.status < 500 && error.status !== 429) {
          throw new WorkerLostError(this.id, `the worker refused the request: ${error.message}`, { cause: error });
        }
        if (error instanceof z.ZodError || error instanceof SealError) {
          throw new WorkerLostError(this.id, 'the worker answered in a form this orchestrator does not understand', { cause: error });
        }
        failures += 1;
        if (failures >= this.options.maxFailures) {
          throw new WorkerLostError(this.id, `unreachable after ${failures} attempts: ${coerceError(error).message}`, { cause: error });
        }
        await sleep(this.options.retryDelayMs * 2 ** (failures - 1), signal);
      }
    }
  }

  private async request(method: string, path: string, body: unknown, signal: AbortSignal, timeoutMs: number): Promise<unknown> {
    const response = await this.options.fetch(new URL(path, this.options.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.options.token}`,
        ...(body === undefined ? {} : { 'content-type': this.sealKey ? SEALED_CONTENT_TYPE : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: this.encode(method, path, body) }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    const raw = Buffer.from(await response.arrayBuffer());
    const decoded = this.decode(method, path, response, raw);
    if (!response.ok) throw new HttpStatusError(response.status, `HTTP ${response.status} ${JSON.stringify(decoded).slice(0, 200)}`);
    return decoded;
  }

  private encode(method: string, path: string, body: unknown): Buffer | string {
    return this.sealKey ? sealJson(this.sealKey, body, requestContext(method, path)) : JSON.stringify(body);
  }

  /**
   * With a seal key, a successful answer must come sealed for exactly this request: a plain one means someone in
   * between, and is refused rather than believed. Refusals from before the token check (401) come plain.
   */
  private decode(method: string, path: string, response: Response, raw: Buffer): unknown {
    if (raw.length === 0) return null;
    const sealed = response.headers.get('content-type')?.startsWith(SEALED_CONTENT_TYPE) ?? false;
    if (this.sealKey && sealed) return openJson(this.sealKey, raw, responseContext(method, path, response.status));
    if (this.sealKey && response.ok) throw new SealError('the worker answered without the seal');
    try {
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      return raw.toString('utf8').slice(0, 200);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
