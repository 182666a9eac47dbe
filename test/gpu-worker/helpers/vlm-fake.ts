/**
 * A fake OpenAI-compatible server (vLLM's `POST /v1/chat/completions`) on the HTTP fake toolkit, answering like
 * olmOCR: markdown with a YAML front matter block. Each test scripts its answers; the fake records what the
 * client sent (temperature, max_tokens, model, prompt and the page image) so the client's behaviour is asserted.
 */
import { inflateSync } from 'node:zlib';
import { HttpFake, type FakeRequest, type FakeResponse } from '../../fakes/http-fake.js';
import { InFlightGauge } from '../../helpers/in-flight.js';

export interface PageFactsInput {
  primary_language?: string | null;
  is_rotation_valid?: boolean;
  rotation_correction?: number;
  is_table?: boolean;
  is_diagram?: boolean;
}

/** An olmOCR-style answer: front matter, then the text. */
export function olmocrAnswer(text: string, facts: PageFactsInput = {}): string {
  const all = { primary_language: 'en', is_rotation_valid: true, rotation_correction: 0, is_table: false, is_diagram: false, ...facts };
  const yaml = Object.entries(all).map(([key, value]) => `${key}: ${value === null ? 'null' : String(value)}`).join('\n');
  return `---\n${yaml}\n---\n${text}`;
}

/** A completion body the way vLLM sends it, with per-token log-probabilities. */
export function completion(content: string, finishReason = 'stop', tokenLogprob = -0.05): FakeResponse {
  const tokens = Math.max(1, Math.ceil(content.length / 4));
  return {
    body: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: { content: Array.from({ length: tokens }, () => ({ token: 'x', logprob: tokenLogprob })) } }],
      usage: { prompt_tokens: 1200, completion_tokens: tokens, total_tokens: 1200 + tokens },
    },
  };
}

export interface SeenRequest {
  model: string;
  temperature: number;
  maxTokens: number;
  prompt: string;
  logprobs: unknown;
  authorization: string | undefined;
  image: { width: number; height: number; pixels: Uint8Array };
}

/** Decodes the 8-bit grayscale, unfiltered PNG the worker sends (the only kind the worker makes). */
export function decodeGrayPng(png: Buffer): { width: number; height: number; pixels: Uint8Array } {
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) {
    if (raw[y * (width + 1)] !== 0) throw new Error('unexpected PNG row filter');
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, pixels };
}

function seen(request: FakeRequest): SeenRequest {
  const body = request.json as {
    model: string; temperature: number; max_tokens: number; logprobs: unknown;
    messages: Array<{ content: Array<{ type: string; text?: string; image_url?: { url: string } }> }>;
  };
  const parts = body.messages[0]?.content ?? [];
  const uri = parts.find((part) => part.type === 'image_url')?.image_url?.url ?? '';
  const png = Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64');
  return {
    model: body.model,
    temperature: body.temperature,
    maxTokens: body.max_tokens,
    logprobs: body.logprobs,
    prompt: parts.find((part) => part.type === 'text')?.text ?? '',
    authorization: request.headers.authorization,
    image: decodeGrayPng(png),
  };
}

export type Answer = (request: SeenRequest, index: number) => FakeResponse | Promise<FakeResponse>;

export class VlmFake {
  readonly http = new HttpFake('vlm');
  readonly seen: SeenRequest[] = [];
  readonly #inFlight = new InFlightGauge();
  #answer: Answer = () => completion(olmocrAnswer('fake page text'));

  constructor() {
    this.http.on('POST', '/v1/chat/completions', async (request) => {
      const parsed = seen(request);
      const index = this.seen.push(parsed) - 1;
      const leave = this.#inFlight.enter();
      try {
        return await this.#answer(parsed, index);
      } finally {
        leave();
      }
    });
  }

  /** How the next requests are answered (by their index among all requests seen). */
  answer(answer: Answer): this {
    this.#answer = answer;
    return this;
  }

  /** The most requests answered at once since the last reset. */
  get maxInFlight(): number {
    return this.#inFlight.max;
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  get baseUrl(): string {
    return `${this.http.url}/v1`;
  }

  reset(): void {
    this.seen.length = 0;
    this.#inFlight.reset();
    this.http.requests.splice(0);
    this.http.clearFaults();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
