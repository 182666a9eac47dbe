/** Reading requests and writing JSON responses with node:http, without a framework; sealed when configured. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openJson, requestContext, responseContext, SEALED_CONTENT_TYPE, SealError, sealJson } from '../../protocol/sealed.js';

/** A request the worker refuses, with the status and body the client gets. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** How bodies look on the wire: plain JSON, or sealed JSON bound to this request (src/protocol/sealed.ts). */
export interface BodyCodec {
  decode(raw: Buffer, contentType: string | undefined): unknown;
  encode(status: number, body: unknown): { payload: Buffer; contentType: string };
}

export const plainCodec: BodyCodec = {
  decode: (raw) => {
    try {
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
    }
  },
  encode: (_status, body) => ({ payload: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json; charset=utf-8' }),
};

/** Requests must come sealed (a plain body is refused, never read); answers go out sealed. */
export function sealedCodec(key: Buffer, method: string, pathAndQuery: string): BodyCodec {
  return {
    decode: (raw, contentType) => {
      if (!contentType?.startsWith(SEALED_CONTENT_TYPE)) {
        throw new HttpError(415, 'sealed_body_required', `this worker only accepts ${SEALED_CONTENT_TYPE} bodies`);
      }
      try {
        return openJson(key, raw, requestContext(method, pathAndQuery));
      } catch (error) {
        if (error instanceof SealError) throw new HttpError(400, 'unsealable_body', 'the body does not open with this worker\'s key');
        throw error;
      }
    },
    encode: (status, body) => ({ payload: sealJson(key, body, responseContext(method, pathAndQuery, status)), contentType: SEALED_CONTENT_TYPE }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, codec: BodyCodec = plainCodec): void {
  const { payload, contentType } = codec.encode(status, body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': payload.length,
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}, codec: BodyCodec = plainCodec): void {
  const body = { error: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
  sendJson(res, error.status, body, headers, codec);
}

function payloadTooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `request body is over the ${limit} byte limit`);
}

/** Reads the body up to `limit` bytes (413 beyond, without reading the rest) and decodes it (400 when it does not). */
export async function readJsonBody(req: IncomingMessage, limit: number, codec: BodyCodec = plainCodec): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw payloadTooLarge(limit);
    chunks.push(chunk);
  }
  return codec.decode(Buffer.concat(chunks), req.headers['content-type']);
}
