/**
 * A fake Anthropic API for the real `@anthropic-ai/sdk`, following ../shared/reference/external-apis.md: Bearer
 * auth and `anthropic-version: 2026-10-21` required; temperature/top_p/top_k rejected (400); structured-output
 * schemas checked against the supported subset; Message Batches that stay `in_progress` for a few polls, then end
 * with results as JSONL in shuffled order; invalid batch params reported as `errored` results (not on create);
 * prompt caching reflected in `usage`. Per-request outcomes (errored, expired, canceled) can be scripted, and HTTP
 * faults come from {@link HttpFake.inject}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HttpFake } from './http-fake.js';
import type { FakeRequest, FakeResponse } from './http-fake.js';

export const API_VERSION = '2026-10-21';

type Params = Record<string, unknown> & { model: string; system?: unknown; messages: { role: string; content: unknown }[] };
export type Responder = (params: Params, userText: string) => unknown;
export type ScriptedOutcome = 'errored' | 'expired' | 'canceled' | 'overloaded' | 'invalid';

interface FakeBatch {
  id: string;
  requests: { custom_id: string; params: Params }[];
  polls: number;
  results: string | null;
  createdAt: string;
}

export interface AnthropicFakeOptions {
  apiKey: string;
  /** Polls that still say `in_progress` before a batch ends. */
  pollsUntilEnded?: number;
  responder?: Responder;
}

const FORBIDDEN_SCHEMA_KEYS = ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'oneOf'];

export class AnthropicFake {
  readonly http = new HttpFake('anthropic');
  readonly batches = new Map<string, FakeBatch>();
  /** Scripted outcomes per custom_id, consumed one per submission. */
  readonly outcomes = new Map<string, ScriptedOutcome[]>();
  messageCalls = 0;
  private readonly cache = new Set<string>();
  private responder: Responder;

  constructor(readonly options: AnthropicFakeOptions) {
    this.responder = options.responder ?? defaultAnalysis;
  }

  async start(): Promise<this> {
    this.http
      .on('POST', '/v1/messages', (req) => this.guard(req, () => this.message(req)))
      .on('POST', '/v1/messages/batches', (req) => this.guard(req, () => this.createBatch(req)))
      .on('GET', '/v1/messages/batches/:id/results', (req) => this.guard(req, () => this.results(req)))
      .on('GET', '/v1/messages/batches/:id', (req) => this.guard(req, () => this.retrieve(req)));
    await this.http.start();
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  get url(): string {
    return this.http.url;
  }

  setResponder(responder: Responder): void {
    this.responder = responder;
  }

  /** Requests sent inside batches, across all batches. */
  get batchedRequests(): number {
    return [...this.batches.values()].reduce((n, b) => n + b.requests.length, 0);
  }

  private guard(req: FakeRequest, handler: () => FakeResponse): FakeResponse {
    if (req.headers.authorization !== `Bearer ${this.options.apiKey}`) return apiError(401, 'authentication_error', 'invalid x-api-key');
    if (req.headers['anthropic-version'] !== API_VERSION) return apiError(400, 'invalid_request_error', `anthropic-version must be ${API_VERSION}`);
    return handler();
  }

  private message(req: FakeRequest): FakeResponse {
    this.messageCalls += 1;
    const params = req.json as Params;
    const invalid = validateParams(params);
    if (invalid) return apiError(400, 'invalid_request_error', invalid);
    return { status: 200, body: this.respond(params, 'standard') };
  }

  private createBatch(req: FakeRequest): FakeResponse {
    const body = req.json as { requests?: { custom_id: string; params: Params }[] };
    const requests = body.requests ?? [];
    if (requests.length === 0 || requests.length > 100_000) return apiError(400, 'invalid_request_error', 'requests: 1 to 100,000 items');
    const ids = new Set<string>();
    for (const r of requests) {
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(r.custom_id) || ids.has(r.custom_id)) return apiError(400, 'invalid_request_error', `custom_id ${r.custom_id} is invalid or repeated`);
      ids.add(r.custom_id);
    }
    const batch: FakeBatch = { id: `msgbatch_${randomBytes(8).toString('hex')}`, requests, polls: 0, results: null, createdAt: new Date().toISOString() };
    this.batches.set(batch.id, batch);
    return { status: 200, body: this.describe(batch) };
  }

  private retrieve(req: FakeRequest): FakeResponse {
    const batch = this.batches.get(req.params.id!);
    if (!batch) return apiError(404, 'not_found_error', 'batch not found');
    batch.polls += 1;
    if (batch.polls > (this.options.pollsUntilEnded ?? 1) && batch.results === null) batch.results = this.runBatch(batch);
    return { status: 200, body: this.describe(batch) };
  }

  private results(req: FakeRequest): FakeResponse {
    const batch = this.batches.get(req.params.id!);
    if (!batch?.results) return apiError(404, 'not_found_error', 'results not available');
    return { status: 200, headers: { 'content-type': 'application/binary' }, body: batch.results };
  }

  private describe(batch: FakeBatch): Record<string, unknown> {
    const ended = batch.results !== null;
    const lines = ended ? batch.results!.trim().split('\n').map((l) => (JSON.parse(l) as { result: { type: string } }).result.type) : [];
    const count = (type: string): number => lines.filter((t) => t === type).length;
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: ended ? 'ended' : 'in_progress',
      request_counts: { processing: ended ? 0 : batch.requests.length, succeeded: count('succeeded'), errored: count('errored'), canceled: count('canceled'), expired: count('expired') },
      created_at: batch.createdAt,
      expires_at: new Date(Date.parse(batch.createdAt) + 86_400_000).toISOString(),
      ended_at: ended ? new Date().toISOString() : null,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: ended ? `${this.url}/v1/messages/batches/${batch.id}/results` : null,
    };
  }

  private runBatch(batch: FakeBatch): string {
    const lines = batch.requests.map((r) => JSON.stringify({ custom_id: r.custom_id, result: this.resultFor(r) }));
    // Results come back in any order: shuffle deterministically by a hash of the custom ids.
    lines.sort((a, b) => hash(a).localeCompare(hash(b)));
    return `${lines.join('\n')}\n`;
  }

  private resultFor(request: { custom_id: string; params: Params }): Record<string, unknown> {
    const scripted = this.outcomes.get(request.custom_id)?.shift();
    if (scripted === 'expired' || scripted === 'canceled') return { type: scripted };
    if (scripted === 'errored' || scripted === 'overloaded') return { type: 'errored', error: { type: 'error', error: { type: scripted === 'overloaded' ? 'overloaded_error' : 'api_error', message: 'Internal server error' } } };
    const invalid = scripted === 'invalid' ? 'messages.0.content: scripted as invalid' : validateParams(request.params);
    if (invalid) return { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: invalid } } };
    return { type: 'succeeded', message: this.respond(request.params, 'batch') };
  }

  private respond(params: Params, tier: 'standard' | 'batch'): Record<string, unknown> {
    const system = systemText(params.system);
    const user = userText(params.messages);
    const cacheable = systemCacheControl(params.system) !== null && Math.ceil(system.length / 4) >= 1024;
    const cacheKey = createHash('sha256').update(`${params.model}|${system}`).digest('hex');
    const systemTokens = Math.ceil(system.length / 4);
    const hit = cacheable && this.cache.has(cacheKey);
    if (cacheable) this.cache.add(cacheKey);
    const written = cacheable && !hit ? systemTokens : 0;
    const oneHour = systemCacheControl(params.system) === '1h';
    const text = JSON.stringify(this.responder(params, user));
    return {
      id: `msg_${randomBytes(8).toString('hex')}`,
      type: 'message',
      role: 'assistant',
      model: params.model,
      content: [{ type: 'text', text, citations: null }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      container: null,
      usage: {
        input_tokens: Math.ceil(user.length / 4) + 12 + (cacheable ? 0 : systemTokens),
        output_tokens: Math.ceil(text.length / 4),
        cache_creation_input_tokens: written,
        cache_read_input_tokens: hit ? systemTokens : 0,
        cache_creation: { ephemeral_1h_input_tokens: oneHour ? written : 0, ephemeral_5m_input_tokens: oneHour ? 0 : written },
        server_tool_use: null,
        service_tier: tier,
        inference_geo: null,
        output_tokens_details: null,
        speed: null,
      },
    };
  }
}

/** Why the API would refuse these params, or null. */
export function validateParams(params: Params): string | null {
  if (typeof params.model !== 'string' || !params.model) return 'model: required';
  if (!Number.isInteger(params.max_tokens) || (params.max_tokens as number) <= 0) return 'max_tokens: required positive integer';
  if (!Array.isArray(params.messages) || params.messages.length === 0) return 'messages: required';
  for (const key of ['temperature', 'top_p', 'top_k']) {
    if (key in params) return `${key}: not supported with anthropic-version ${API_VERSION}`;
  }
  const format = (params.output_config as { format?: { type?: string; schema?: unknown } } | undefined)?.format;
  if (format) {
    if (format.type !== 'json_schema') return 'output_config.format.type: must be json_schema';
    const problem = schemaProblem(format.schema, 'schema');
    if (problem) return `output_config.format.${problem}`;
  }
  return null;
}

function schemaProblem(schema: unknown, path: string): string | null {
  if (!schema || typeof schema !== 'object') return null;
  const node = schema as Record<string, unknown>;
  for (const key of FORBIDDEN_SCHEMA_KEYS) if (key in node) return `${path}.${key}: not supported`;
  if (node.type === 'object' && node.additionalProperties !== false) return `${path}: objects need additionalProperties: false`;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) {
        const problem = schemaProblem(child, `${path}.properties.${name}`);
        if (problem) return problem;
      }
    } else if (key === 'items' || key === 'anyOf') {
      const children = Array.isArray(value) ? value : [value];
      for (const child of children) {
        const problem = schemaProblem(child, `${path}.${key}`);
        if (problem) return problem;
      }
    }
  }
  return null;
}

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((b: { text?: string }) => b.text ?? '').join('');
  return '';
}

function systemCacheControl(system: unknown): string | null {
  if (!Array.isArray(system)) return null;
  const block = (system as { cache_control?: { ttl?: string } }[]).find((b) => b.cache_control);
  return block ? (block.cache_control!.ttl ?? '5m') : null;
}

function userText(messages: Params['messages']): string {
  return messages
    .map((m) => (typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((c: { text?: string }) => c.text ?? '').join('') : ''))
    .join('\n');
}

function hash(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

function apiError(status: number, type: string, message: string): FakeResponse {
  return { status, body: { type: 'error', error: { type, message }, request_id: `req_${randomBytes(6).toString('hex')}` } };
}

/** A plausible, schema-valid analysis derived from the document text, so tests can check what was stored. */
export function defaultAnalysis(_params: Params, text: string): Record<string, unknown> {
  const lower = text.toLowerCase();
  const type = lower.includes('order') ? 'ORDR' : lower.includes('declaration') ? 'DECL' : lower.includes('transcript') ? 'TRNS' : 'OTHER';
  const relevancy = 500 + (parseInt(hash(text).slice(0, 4), 16) % 500);
  const importance = relevancy >= 900 ? 'CRITICAL' : relevancy >= 800 ? 'HIGH' : relevancy >= 700 ? 'MEDIUM' : relevancy >= 600 ? 'LOW' : 'REFERENCE';
  const name = /File name: (.*)/.exec(text)?.[1] ?? 'document';
  return {
    document_type: type,
    document_date: '2024-03-15',
    document_title: `Analysis of ${name}`,
    executive_summary: `A ${type} document. ${text.length} characters were read.`,
    micro_number: relevancy,
    macro_number: relevancy,
    legal_number: relevancy,
    category_number: relevancy,
    relevancy_number: relevancy,
    importance,
    key_quotes: [{ quote: text.slice(0, 40), page: 1, significance: 'opening' }],
    smoking_guns: [],
    parties: [{ name: 'County agency', role: 'petitioner' }],
    keywords: [type.toLowerCase(), 'custody'],
    fraud_indicators: [],
    perjury_indicators: [],
    w388_relevance: 40,
    ccp473_relevance: 10,
    criminal_relevance: 0,
  };
}
