/**
 * The HTTP server: node:http, one pipeline for every request — match the route, check the token, read and
 * validate the inputs, call the handler, validate and send its answer. No framework, no stack traces out.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EngineLogger } from '../core/engine/types.js';
import { requireBearer } from './auth.js';
import { HttpError, errorReply } from './http-errors.js';
import { InputCollector, decodeParams, parseJsonBody, queryObject, readBody } from './request-input.js';
import { Router } from './router.js';
import type { Route } from './router.js';

export interface ApiServerOptions {
  routes: readonly Route[];
  /** Bearer token every non-public route requires; undefined = none (only allowed on loopback, see service.ts). */
  token: string | undefined;
  maxBodyBytes: number;
  /** One origin allowed to call from a browser; undefined = CORS off (no CORS headers at all). */
  corsOrigin?: string | undefined;
  logger: EngineLogger;
  /** A response that breaks its own schema becomes a 500 (tests), instead of a logged warning (production). */
  strictResponses?: boolean;
}

export interface ApiServer {
  readonly server: Server;
  /** Resolves with the base URL once listening. */
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes every connection. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

export function createApiServer(options: ApiServerOptions): ApiServer {
  const router = new Router(options.routes);
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => void handle(options, router, request, response));
  // Slow clients must not hold connections open forever; handlers themselves may take long (listing a folder).
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  let closing: Promise<void> | null = null;
  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      }),
    close: (graceMs = 5_000) => (closing ??= closeServer(server, sockets, graceMs)),
  };
}

async function closeServer(server: Server, sockets: Set<Socket>, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, graceMs);
  await closed;
  clearTimeout(timer);
}

async function handle(options: ApiServerOptions, router: Router, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const url = new URL(request.url ?? '/', 'http://api.invalid');
  const method = (request.method ?? 'GET').toUpperCase();
  const log = options.logger.child({ requestId, method, path: url.pathname });
  response.setHeader('x-request-id', requestId);
  applyCors(options.corsOrigin, request, response);
  try {
    if (method === 'OPTIONS' && options.corsOrigin) {
      send(response, 204, null);
      return;
    }
    const match = router.match(method, url.pathname);
    if (match.kind === 'not_found') throw new HttpError(404, 'not_found', `There is no endpoint ${url.pathname}.`, { hint: 'See /docs for every endpoint.' });
    if (match.kind === 'wrong_method') {
      throw new HttpError(405, 'method_not_allowed', `${url.pathname} does not answer ${method}.`, { headers: { allow: match.allowed.join(', ') } });
    }
    const { route } = match;
    if (!route.public) requireBearer(request.headers, options.token);
    const input = await readInput(route, request, url, match.rawParams, options.maxBodyBytes);
    const reply = await route.handle({ ...input, request, requestId });
    sendReply(route, reply, response, log, options.strictResponses ?? false);
  } catch (error) {
    const failure = errorReply(error, requestId);
    if (failure.unexpected) log.error({ err: failure.unexpected }, 'request failed');
    else log.debug({ status: failure.status, code: failure.body.error.code }, 'request refused');
    for (const [name, value] of Object.entries(failure.headers)) response.setHeader(name, value);
    if (!response.headersSent) send(response, failure.status, failure.body);
    else response.destroy();
  }
}

async function readInput(
  route: Route,
  request: IncomingMessage,
  url: URL,
  rawParams: Record<string, string>,
  maxBodyBytes: number,
): Promise<{ params: unknown; query: unknown; body: unknown }> {
  const params = decodeParams(rawParams);
  let rawBody: unknown;
  if (route.body) rawBody = parseJsonBody(request, await readBody(request, maxBodyBytes));
  else request.resume();
  const collector = new InputCollector();
  const parsed = {
    params: collector.parse('path', route.params, params),
    query: collector.parse('query', route.query, queryObject(url.searchParams)),
    body: collector.parse('body', route.body, rawBody),
  };
  collector.throwIfAny();
  return parsed;
}

function sendReply(
  route: Route,
  reply: { status: number; body: unknown; headers?: Record<string, string> },
  response: ServerResponse,
  log: EngineLogger,
  strict: boolean,
): void {
  const spec = route.responses[reply.status];
  if (!spec) throw new Error(`${route.operationId} answered ${reply.status}, which it does not declare`);
  for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
  if (spec.contentType === 'text/html') {
    send(response, reply.status, String(reply.body), 'text/html; charset=utf-8');
    return;
  }
  const checked = spec.schema.safeParse(reply.body);
  if (checked.success) {
    send(response, reply.status, checked.data);
    return;
  }
  if (strict) throw new Error(`${route.operationId} ${reply.status} broke its schema: ${checked.error.message}`);
  log.warn({ issues: checked.error.issues }, 'a response does not match its declared schema');
  send(response, reply.status, reply.body);
}

function send(response: ServerResponse, status: number, body: unknown, contentType = 'application/json; charset=utf-8'): void {
  const payload = body === null ? '' : typeof body === 'string' && contentType.startsWith('text/') ? body : JSON.stringify(body);
  response.writeHead(status, {
    ...BASE_HEADERS,
    ...(contentType.startsWith('application/json') ? { 'content-security-policy': JSON_CSP } : {}),
    ...(payload ? { 'content-type': contentType } : {}),
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

/** CORS is off unless one origin is configured; then only that origin gets the headers. */
function applyCors(allowed: string | undefined, request: IncomingMessage, response: ServerResponse): void {
  if (!allowed || request.headers.origin !== allowed) return;
  response.setHeader('access-control-allow-origin', allowed);
  response.setHeader('vary', 'Origin');
  response.setHeader('access-control-allow-headers', 'authorization, content-type');
  response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  response.setHeader('access-control-max-age', '600');
}
