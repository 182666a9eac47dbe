/**
 * Reading what a request carries: the body (bounded), the query string, path parameters, and validating each
 * against its route's schema. Every failure is an {@link HttpError} naming the fields at fault.
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { HttpError } from './http-errors.js';
import type { FieldIssue } from './http-errors.js';

/** Reads the whole body, refusing (413) past `limitBytes` without buffering more than that. */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limitBytes) throw tooLarge(limitBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, 'body_too_large', `The request body is larger than ${Math.round(limitBytes / 1024)} KB.`, {
    hint: 'Send less, or raise API_MAX_BODY_KB.',
    headers: { connection: 'close' },
  });
}

/** A JSON body, or `{}` when there is none (the seed's `curl -X POST /batch/stop` sends nothing). */
export function parseJsonBody(request: IncomingMessage, raw: Buffer): unknown {
  if (raw.length === 0) return {};
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'unsupported_media_type', 'The request body must be JSON.', {
      hint: 'Send the header "Content-Type: application/json".',
    });
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Query string as an object: a key given once is a string, given several times an array. */
export function queryObject(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

export function decodeParams(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      throw new HttpError(400, 'invalid_request', `The path segment for ${key} is not valid URL encoding.`, {
        fields: [{ in: 'path', field: key, message: 'invalid URL encoding' }],
      });
    }
  }
  return out;
}

/** Every issue of every input, so a client can fix them all at once. */
export class InputCollector {
  readonly issues: FieldIssue[] = [];

  parse<T extends z.ZodType>(where: FieldIssue['in'], schema: T | undefined, value: unknown): z.output<T> | undefined {
    if (!schema) return undefined;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      this.issues.push({ in: where, field: issue.path.map(String).join('.') || '(whole)', message: issue.message });
    }
    return undefined;
  }

  throwIfAny(): void {
    if (this.issues.length === 0) return;
    const summary = this.issues.map((i) => `${i.in}.${i.field}: ${i.message}`).join('; ');
    throw new HttpError(400, 'invalid_request', `Invalid request — ${summary}.`, { fields: this.issues });
  }
}
