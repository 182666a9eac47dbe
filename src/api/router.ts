/**
 * Routes declare their inputs and outputs once, as zod schemas: the server validates requests and responses with
 * them, and the OpenAPI document is generated from the same objects, so the docs cannot drift from the code.
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST';

export interface ResponseSpec<S extends z.ZodType = z.ZodType> {
  description: string;
  schema: S;
  /** Default `application/json`; `text/html` sends the body (a string) as it is. */
  contentType?: 'application/json' | 'text/html';
}

export type ResponseMap = Readonly<Record<number, ResponseSpec>>;

/** What a handler answers: one of the statuses its route declares, with a body of that status's schema. */
export type Reply<R extends ResponseMap> = {
  [S in keyof R & number]: { status: S; body: z.input<R[S]['schema']>; headers?: Record<string, string> };
}[keyof R & number];

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  request: IncomingMessage;
  requestId: string;
}

/** A route as written: the types of its handler's input follow from its schemas. */
export interface RouteDefinition<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends ResponseMap> {
  method: HttpMethod;
  /** OpenAPI style: `/batch/resume/{checkpoint}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Reachable without the bearer token (only `/health` and the docs page). */
  public?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  responses: R;
  /** Error statuses this route answers besides the common ones (400, 401, 413, 500), documented with `Error`. */
  errors?: readonly number[];
  handle(input: HandlerInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<Reply<R>> | Reply<R>;
}

/** A route with its types erased, as the server and the OpenAPI generator hold it. */
export interface Route {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  description: string | undefined;
  tag: string;
  public: boolean;
  params: z.ZodType | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  responses: ResponseMap;
  errors: readonly number[];
  handle(input: HandlerInput<unknown, unknown, unknown>): Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
}

type NoInput = z.ZodUndefined;

export function defineRoute<
  R extends ResponseMap,
  P extends z.ZodType = NoInput,
  Q extends z.ZodType = NoInput,
  B extends z.ZodType = NoInput,
>(definition: RouteDefinition<P, Q, B, R>): Route {
  return {
    method: definition.method,
    path: definition.path,
    operationId: definition.operationId,
    summary: definition.summary,
    description: definition.description,
    tag: definition.tag,
    public: definition.public ?? false,
    params: definition.params,
    query: definition.query,
    body: definition.body,
    responses: definition.responses,
    errors: definition.errors ?? [],
    // The server validates every input with the route's own schemas before calling, so the types hold.
    handle: async (input) => definition.handle(input as HandlerInput<z.output<P>, z.output<Q>, z.output<B>>),
  };
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  keys: string[];
}

export type RouteMatch =
  | { kind: 'found'; route: Route; rawParams: Record<string, string> }
  | { kind: 'wrong_method'; allowed: HttpMethod[] }
  | { kind: 'not_found' };

/** Finds the route for a method and path; a path that exists under other methods is told apart (405). */
export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(readonly routes: readonly Route[]) {
    this.compiled = routes.map(compile);
    const seen = new Set<string>();
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`route declared twice: ${key}`);
      seen.add(key);
    }
  }

  match(method: string, path: string): RouteMatch {
    const candidates = this.compiled.filter((c) => c.pattern.test(path));
    if (candidates.length === 0) return { kind: 'not_found' };
    const hit = candidates.find((c) => c.route.method === method);
    if (!hit) return { kind: 'wrong_method', allowed: candidates.map((c) => c.route.method) };
    const values = hit.pattern.exec(path)!;
    const rawParams = Object.fromEntries(hit.keys.map((key, i) => [key, values[i + 1] ?? '']));
    return { kind: 'found', route: hit.route, rawParams };
  }
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), keys };
}

/** A 200 answer (keeps the status a literal, so it is checked against the route's declared responses). */
export function ok<B>(body: B): { status: 200; body: B } {
  return { status: 200, body };
}

/** An answer with another declared status. */
export function answer<S extends number, B>(status: S, body: B): { status: S; body: B } {
  return { status, body };
}
