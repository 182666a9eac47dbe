/**
 * The worker protocol's routes (see src/protocol/worker-protocol.ts) on node:http. Every /v1 route needs the
 * bearer token; bodies are size-limited and validated with the protocol's own zod schemas.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { batchRequestSchema, type BatchRequest, type WorkerHealth } from '../../protocol/worker-protocol.js';
import type { Logger } from '../../logger.js';
import { coerceError } from '../../core/errors.js';
import type { BatchRunner, Lookup } from '../batches/batch-runner.js';
import { createBearerCheck } from './bearer-auth.js';
import { HttpError, plainCodec, readJsonBody, sealedCodec, sendError, sendJson } from './http-io.js';
import type { BodyCodec } from './http-io.js';

/** Longest a client may hold a poll open. */
export const MAX_WAIT_MS = 30_000;

export interface RouteDeps {
  token: string;
  /** When set, every /v1 body is sealed (src/protocol/sealed.ts) and plain ones are refused. */
  sealKey?: Buffer | null;
  maxBodyBytes: number;
  runner: BatchRunner;
  health(): Promise<WorkerHealth>;
  /** Problems this worker has with an otherwise valid batch (a location kind or OCR engine it lacks). */
  checkBatch(request: BatchRequest): Array<{ path: PropertyKey[]; message: string }>;
  /** Called for every request with a valid token: the orchestrator is alive (the dead man's switch listens). */
  onAuthorized?: () => void;
  logger: Logger;
}

const pollQuerySchema = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  // Longer waits are cut to the maximum rather than refused: the client just polls again.
  waitMs: z.coerce.number().int().nonnegative().default(0).transform((ms) => Math.min(ms, MAX_WAIT_MS)),
});

function invalid(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>): HttpError {
  const details = issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  return new HttpError(400, 'invalid_request', 'the request is not valid', details);
}

function notFound(lookup: Lookup & { found: false }, batchId: string): HttpError {
  return lookup.expired
    ? new HttpError(410, 'batch_expired', `batch ${batchId} finished and its results have expired here`)
    : new HttpError(404, 'batch_not_found', `no batch ${batchId} on this worker`);
}

async function postBatch(req: IncomingMessage, res: ServerResponse, deps: RouteDeps, codec: BodyCodec): Promise<void> {
  const parsed = batchRequestSchema.safeParse(await readJsonBody(req, deps.maxBodyBytes, codec));
  if (!parsed.success) throw invalid(parsed.error.issues);
  const problems = deps.checkBatch(parsed.data);
  if (problems.length > 0) throw invalid(problems);
  const submission = deps.runner.submit(parsed.data);
  if (submission.outcome === 'conflict') throw new HttpError(409, 'batch_conflict', submission.message);
  if (submission.outcome === 'closed') throw new HttpError(503, 'shutting_down', 'the worker is shutting down');
  sendJson(res, 202, submission.state, {}, codec);
}

async function getBatch(url: URL, batchId: string, res: ServerResponse, deps: RouteDeps, codec: BodyCodec): Promise<void> {
  const query = pollQuerySchema.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success) throw invalid(query.error.issues);
  const { after, waitMs } = query.data;
  const closed = new AbortController();
  // The client may give up on a long poll; stop waiting for it then.
  res.once('close', () => closed.abort());
  await deps.runner.waitForUpdate(batchId, after, waitMs, closed.signal);
  const lookup = deps.runner.lookup(batchId, after);
  if (!lookup.found) throw notFound(lookup, batchId);
  if (!res.writableEnded && !closed.signal.aborted) sendJson(res, 200, lookup.state, {}, codec);
}

function deleteBatch(batchId: string, res: ServerResponse, deps: RouteDeps, codec: BodyCodec): void {
  const lookup = deps.runner.cancel(batchId);
  if (!lookup.found) throw notFound(lookup, batchId);
  sendJson(res, 200, lookup.state, {}, codec);
}

const BATCH_PATH = /^\/v1\/batches\/([^/]+)$/;

function decodeBatchId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(404, 'batch_not_found', 'no such batch');
  }
}

async function routeV1(url: URL, req: IncomingMessage, res: ServerResponse, deps: RouteDeps, codec: BodyCodec): Promise<void> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/v1/health') {
    if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET');
    return sendJson(res, 200, await deps.health(), {}, codec);
  }
  if (url.pathname === '/v1/batches') {
    if (method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST');
    return postBatch(req, res, deps, codec);
  }
  const match = BATCH_PATH.exec(url.pathname);
  if (!match) throw new HttpError(404, 'not_found', `no route ${url.pathname}`);
  const batchId = decodeBatchId(match[1] as string);
  if (method === 'GET') return getBatch(url, batchId, res, deps, codec);
  if (method === 'DELETE') return deleteBatch(batchId, res, deps, codec);
  throw new HttpError(405, 'method_not_allowed', 'use GET or DELETE');
}

async function route(req: IncomingMessage, res: ServerResponse, deps: RouteDeps, isAuthorized: (h?: string) => boolean): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://worker.invalid');
  if (url.pathname === '/livez') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (!url.pathname.startsWith('/v1/')) throw new HttpError(404, 'not_found', `no route ${url.pathname}`);
  if (!isAuthorized(req.headers.authorization)) throw new HttpError(401, 'unauthorized', 'a valid bearer token is required');
  deps.onAuthorized?.();
  const method = req.method ?? 'GET';
  const codec = deps.sealKey ? sealedCodec(deps.sealKey, method, `${url.pathname}${url.search}`) : plainCodec;
  try {
    await routeV1(url, req, res, deps, codec);
  } catch (error) {
    // Past the token check, errors are answered under the seal too: they can carry batch details.
    respondWithError(res, error, deps.logger, codec);
  }
}

function respondWithError(res: ServerResponse, thrown: unknown, logger: Logger, codec: BodyCodec = plainCodec): void {
  const error = thrown instanceof HttpError ? thrown : new HttpError(500, 'internal', 'internal error');
  if (!(thrown instanceof HttpError)) logger.error({ err: coerceError(thrown) }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (error.status === 401) headers['www-authenticate'] = 'Bearer';
  // The rest of an oversized body is not worth reading: close the connection instead.
  if (error.status === 413) headers.connection = 'close';
  sendError(res, error, headers, codec);
}

/** The request listener for the worker's HTTP server. */
export function createRequestHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const isAuthorized = createBearerCheck(deps.token);
  return (req, res) => {
    route(req, res, deps, isAuthorized).catch((error: unknown) => respondWithError(res, error, deps.logger));
  };
}
