/**
 * The Vast.ai REST client (../shared/reference/vastai-api.md): bearer auth (never `?api_key=`, which ends up in
 * logs), a per-endpoint minimum gap with back-off on 429 (Vast sends no Retry-After), reads retried on network
 * failures and 5xx, and a create that is NEVER retried here — its outcome may be unknown, and only a look-up by
 * label can tell (see {@link VastAmbiguousCreateError}). The account answer carries the account's API key: only
 * `credit` is taken from it and the body is never logged or put into an error.
 */
import { backoffDelay } from '../../engine/backoff.js';
import type { Clock } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { coerceError } from '../../errors.js';
import { RateGate, VAST_GAPS_MS, VAST_PENALTY_MS } from './rate-gate.js';
import type { VastEndpoint } from './rate-gate.js';
import { VastAmbiguousCreateError, VastApiError, vastError } from './vast-errors.js';
import type { VastErrorBody } from './vast-errors.js';
import { accountSchema, createResponseSchema, errorBodySchema, parseEach, vastInstanceSchema, vastOfferSchema } from './vast-schemas.js';
import type { VastInstance, VastOffer } from './vast-schemas.js';

export interface VastClientOptions {
  apiUrl: string;
  apiKey: string;
  clock: Clock;
  logger: EngineLogger;
  fetch?: typeof fetch;
  random?: () => number;
  /** Minimum gaps per endpoint (ms on `clock`); default Vast's documented ones. */
  gaps?: Readonly<Record<VastEndpoint, number>>;
  /** Wall-time limit of one request (real ms). */
  timeoutMs?: number;
  /** 429s in a row before a call gives up. */
  maxRateLimitRetries?: number;
  /** Network failures / 5xx in a row before a read gives up. */
  maxReadRetries?: number;
}

/** What a create sends; `env` holds the worker's settings and the port mapping (`"-p 8080:8080": "1"`). */
export interface CreateInstanceRequest {
  image: string;
  diskGb: number;
  label: string;
  env: Record<string, string>;
  onstart?: string;
}

/** A Vast filter: `{ field: { op: value } }` with ops eq neq gt lt gte lte in notin. */
export type VastFilters = Record<string, Record<string, unknown>>;

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

interface CallInit {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

const READ_RETRY = { baseMs: 1_000, maxMs: 16_000, jitter: 0.5 };
/** Even an endpoint with no known gap waits at least this after a 429. */
const MIN_RATE_LIMIT_WAIT_MS = 1_000;

export class VastClient {
  private readonly gate: RateGate;
  private readonly fetch: typeof fetch;
  private readonly random: () => number;

  constructor(private readonly options: VastClientOptions) {
    this.gate = new RateGate(options.clock, options.gaps ?? VAST_GAPS_MS);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.random = options.random ?? Math.random;
  }

  /** Machines on offer matching `filters` (plus `order`, `type`, `limit`, `allocated_storage` in the same body). */
  async searchOffers(body: Record<string, unknown>, signal?: AbortSignal): Promise<VastOffer[]> {
    const answer = await this.read('search', { method: 'POST', path: '/api/v0/bundles/', body, signal });
    return parseEach(vastOfferSchema, (answer.json as { offers?: unknown } | null)?.offers);
  }

  /**
   * Rents the machine behind an offer; resolves with the new instance id. Never retried: on a lost answer this
   * throws {@link VastAmbiguousCreateError} and the caller must look the label up before doing anything else.
   */
  async createInstance(offerId: number, request: CreateInstanceRequest, signal?: AbortSignal): Promise<number> {
    const body = { client_id: 'me', image: request.image, disk: request.diskGb, label: request.label, runtype: 'args', env: request.env, ...(request.onstart ? { onstart: request.onstart } : {}) };
    let answer: Answer;
    try {
      answer = await this.gate.run('create', () => this.send({ method: 'PUT', path: `/api/v0/asks/${offerId}/`, body, signal }), signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new VastAmbiguousCreateError(request.label, `The create request got no answer (${coerceError(error).message}).`, { cause: error });
    }
    if (answer.status === 429) this.gate.penalise('create', VAST_PENALTY_MS.create ?? 12_000);
    return this.createdId(answer, request.label);
  }

  private createdId(answer: Answer, label: string): number {
    const parsed = createResponseSchema.safeParse(answer.json);
    const contract = parsed.success ? (parsed.data.new_contract ?? null) : null;
    if (answer.status >= 500) throw new VastAmbiguousCreateError(label, `Vast.ai answered HTTP ${answer.status} to the create.`);
    if (answer.status >= 200 && answer.status < 300) {
      if (contract !== null && parsed.data?.success !== false) return contract;
      if (contract === null) throw new VastAmbiguousCreateError(label, 'Vast.ai answered the create without an instance id.');
    }
    throw vastError(answer.status, errorBody(answer.json), answer.text, contract);
  }

  /** One instance, or null when it no longer exists. */
  async showInstance(id: number, signal?: AbortSignal): Promise<VastInstance | null> {
    const answer = await this.read('show', { method: 'GET', path: `/api/v0/instances/${id}/`, signal }, [404]);
    if (answer.status === 404) return null;
    const raw = (answer.json as { instances?: unknown } | null)?.instances ?? null;
    if (raw === null) return null;
    const parsed = vastInstanceSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  /** Every instance of the account matching `filters`, all pages. */
  async listInstances(filters: VastFilters = {}, signal?: AbortSignal): Promise<VastInstance[]> {
    const all: VastInstance[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const query: Record<string, string> = { limit: '25', ...(Object.keys(filters).length > 0 ? { select_filters: JSON.stringify(filters) } : {}) };
      if (after) query.after_token = after;
      const answer = await this.read('list', { method: 'GET', path: '/api/v1/instances/', query, signal });
      const json = answer.json as { instances?: unknown; next_token?: unknown } | null;
      all.push(...parseEach(vastInstanceSchema, json?.instances));
      after = typeof json?.next_token === 'string' && json.next_token ? json.next_token : null;
      if (!after) break;
    }
    return all;
  }

  /** Instances carrying exactly this label (checked here too: a server may ignore a filter it does not know). */
  async findByLabel(label: string, signal?: AbortSignal): Promise<VastInstance[]> {
    const found = await this.listInstances({ label: { eq: label } }, signal);
    return found.filter((instance) => instance.label === label);
  }

  /** Destroys an instance; one that is already gone counts as destroyed. */
  async destroyInstance(id: number, signal?: AbortSignal): Promise<'destroyed' | 'already_gone'> {
    const answer = await this.read('destroy', { method: 'DELETE', path: `/api/v0/instances/${id}/`, body: {}, signal }, [404]);
    return answer.status === 404 ? 'already_gone' : 'destroyed';
  }

  /** Spendable credit in dollars (`credit`; `balance` has no documented meaning). */
  async credit(signal?: AbortSignal): Promise<number> {
    const answer = await this.read('account', { method: 'GET', path: '/api/v0/users/current/', signal }, [], true);
    const parsed = accountSchema.safeParse(answer.json);
    const credit = parsed.success ? parsed.data.credit : null;
    if (credit == null) throw new VastApiError('vast_no_credit_figure', 'Vast.ai did not report the account credit.', answer.status, null);
    return credit;
  }

  /**
   * A call that may be repeated: 429 waits and retries on this endpoint only; network failures and 5xx retry
   * with back-off. `tolerated` statuses are returned instead of thrown. `secretBody` keeps the body out of errors.
   */
  private async read(endpoint: VastEndpoint, init: CallInit, tolerated: number[] = [], secretBody = false): Promise<Answer> {
    const { maxRateLimitRetries = 8, maxReadRetries = 4 } = this.options;
    let limited = 0;
    let failed = 0;
    for (;;) {
      let answer: Answer;
      try {
        answer = await this.gate.run(endpoint, () => this.send(init), init.signal);
      } catch (error) {
        if (init.signal?.aborted) throw error;
        failed += 1;
        if (failed > maxReadRetries) throw unreachable(error);
        await this.options.clock.sleep(backoffDelay(failed, READ_RETRY, this.random), init.signal);
        continue;
      }
      if (answer.status === 429) {
        limited += 1;
        if (limited > maxRateLimitRetries) throw vastError(429, errorBody(answer.json), answer.text);
        this.gate.penalise(endpoint, this.rateLimitDelay(endpoint, limited));
        this.options.logger.debug({ endpoint, attempt: limited }, 'Vast.ai rate limit; backing off');
        continue;
      }
      if (answer.status >= 500 && failed < maxReadRetries) {
        failed += 1;
        await this.options.clock.sleep(backoffDelay(failed, READ_RETRY, this.random), init.signal);
        continue;
      }
      if (tolerated.includes(answer.status)) return answer;
      if (answer.status >= 300 || (answer.json as { success?: unknown } | null)?.success === false) {
        throw vastError(answer.status, secretBody ? null : errorBody(answer.json), secretBody ? '' : answer.text);
      }
      return answer;
    }
  }

  /** Exponential from the larger of the gap and the endpoint's penalty, with jitter, capped at a minute. */
  private rateLimitDelay(endpoint: VastEndpoint, attempt: number): number {
    const base = Math.max(this.gate.gapOf(endpoint), VAST_PENALTY_MS[endpoint] ?? 2 * this.gate.gapOf(endpoint), MIN_RATE_LIMIT_WAIT_MS);
    return backoffDelay(attempt, { baseMs: base, maxMs: Math.max(base, 60_000), jitter: 0.5 }, this.random);
  }

  private async send(init: CallInit): Promise<Answer> {
    const url = new URL(init.path, this.options.apiUrl);
    for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value);
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    const response = await this.fetch(url, {
      method: init.method,
      headers: {
        authorization: `Bearer ${this.options.apiKey}`,
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
    });
    const text = await response.text();
    this.options.logger.debug({ method: init.method, path: init.path, status: response.status }, 'Vast.ai call');
    return { status: response.status, text, json: parseJson(text) };
  }
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function errorBody(json: unknown): VastErrorBody | null {
  const parsed = errorBodySchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

function unreachable(error: unknown): VastApiError {
  return new VastApiError('vast_unreachable', `Vast.ai could not be reached: ${coerceError(error).message}`, 0, null, {
    hint: 'Check the network (and VAST_API_URL if set); https://status.vast.ai shows outages.',
    cause: error,
  });
}
