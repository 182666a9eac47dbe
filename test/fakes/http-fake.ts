/**
 * The toolkit every fake service is built on: a real HTTP server on 127.0.0.1 with a route table, a request log,
 * and fault injection (429 with or without retry-after, 5xx, hangs/timeouts, connection resets, slow bodies),
 * so the REAL client libraries can be pointed at it and the recovery code is exercised, not assumed.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The body parsed as JSON when it is JSON, else undefined. */
  json: unknown;
  params: Record<string, string>;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
}

export type Handler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** One injected fault. `match` limits it to some requests (method + path regex); `times` defaults to 1. */
export type Fault = (
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'rate_limit'; retryAfterSeconds?: number; body?: unknown }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'slow_body'; bytesPerChunk: number; delayMs: number }
) & { match?: { method?: string; path?: RegExp }; times?: number };

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
  fault: Fault['kind'] | null;
}

export class HttpFake {
  readonly requests: LoggedRequest[] = [];
  private readonly routes: Route[] = [];
  private faults: (Fault & { remaining: number })[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private port = 0;

  constructor(readonly name: string) {}

  /** Registers a route. Path params like `/files/:id` are captured; a trailing `*` matches the rest. */
  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:([A-Za-z_]+)/g, (_, key: string) => {
        keys.push(key);
        return '([^/]+)';
      })
      .replace(/\*$/, '(.*)');
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  /** Queues a fault for the next matching request(s). */
  inject(fault: Fault): this {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
    return this;
  }

  clearFaults(): void {
    this.faults = [];
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  requestsTo(method: string, path: RegExp): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && path.test(r.path));
  }

  private takeFault(method: string, path: string): Fault | null {
    const index = this.faults.findIndex(
      (f) => f.remaining > 0 && (!f.match?.method || f.match.method.toUpperCase() === method) && (!f.match?.path || f.match.path.test(path)),
    );
    if (index < 0) return null;
    const fault = this.faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const log: LoggedRequest = { method, path: url.pathname, query: url.search, headers: req.headers, body: body.toString('utf8'), status: 0, fault: null };
    this.requests.push(log);
    const fault = this.takeFault(method, url.pathname);
    if (fault) {
      log.fault = fault.kind;
      if (await this.applyFault(fault, res, log)) return;
    }
    const route = this.routes.find((r) => r.method === method && r.pattern.test(url.pathname));
    if (!route) return send(res, log, { status: 404, body: { error: 'not_found', message: `${this.name}: no route ${method} ${url.pathname}` } });
    const match = route.pattern.exec(url.pathname)!;
    const params = Object.fromEntries(route.keys.map((key, i) => [key, decodeURIComponent(match[i + 1] ?? '')]));
    let json: unknown;
    try {
      json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      json = undefined;
    }
    try {
      const response = await route.handler({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body, json, params });
      if (fault?.kind === 'slow_body') return sendSlowly(res, log, response, fault);
      send(res, log, response);
    } catch (error) {
      send(res, log, { status: 500, body: { error: 'fake_crashed', message: (error as Error).message } });
    }
  }

  /** Returns true when the fault answered the request (the route is not called). */
  private async applyFault(fault: Fault, res: ServerResponse, log: LoggedRequest): Promise<boolean> {
    switch (fault.kind) {
      case 'status':
        send(res, log, { status: fault.status, body: fault.body ?? { error: `injected ${fault.status}` }, ...(fault.headers ? { headers: fault.headers } : {}) });
        return true;
      case 'rate_limit':
        send(res, log, {
          status: 429,
          headers: fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
          body: fault.body ?? { error: 'rate_limit_exceeded' },
        });
        return true;
      case 'hang':
        // Never answers; the client's timeout must fire. The socket is destroyed when the fake stops.
        log.status = -1;
        return true;
      case 'reset':
        log.status = -2;
        res.socket?.destroy();
        return true;
      case 'slow_body':
        return false;
    }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function encode(response: FakeResponse): { body: Buffer; contentType: string | null } {
  const { body } = response;
  if (body === undefined || body === null) return { body: Buffer.alloc(0), contentType: null };
  if (Buffer.isBuffer(body)) return { body, contentType: 'application/octet-stream' };
  if (typeof body === 'string') return { body: Buffer.from(body), contentType: 'text/plain; charset=utf-8' };
  return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
}

function send(res: ServerResponse, log: LoggedRequest, response: FakeResponse): void {
  const { body, contentType } = encode(response);
  log.status = response.status ?? 200;
  res.writeHead(log.status, { ...(contentType ? { 'content-type': contentType } : {}), 'content-length': String(body.length), ...response.headers });
  res.end(body);
}

async function sendSlowly(res: ServerResponse, log: LoggedRequest, response: FakeResponse, fault: { bytesPerChunk: number; delayMs: number }): Promise<void> {
  const { body, contentType } = encode(response);
  log.status = response.status ?? 200;
  res.writeHead(log.status, { ...(contentType ? { 'content-type': contentType } : {}), 'content-length': String(body.length), ...response.headers });
  for (let offset = 0; offset < body.length; offset += fault.bytesPerChunk) {
    if (res.destroyed) return;
    res.write(body.subarray(offset, offset + fault.bytesPerChunk));
    await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  }
  res.end();
}
