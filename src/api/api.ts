/**
 * The HTTP API assembled: every route (meta, batch, documents, integrations) on one server, and the OpenAPI
 * document built from exactly that list of routes.
 */
import type { ApiDeps } from './deps.js';
import { buildOpenApiDocument } from './openapi.js';
import type { OpenApiDocument } from './openapi.js';
import type { Route } from './router.js';
import { batchRoutes } from './routes/batch.js';
import { documentRoutes } from './routes/documents.js';
import { integrationRoutes } from './routes/integrations.js';
import { metaRoutes } from './routes/meta.js';
import { createApiServer } from './server.js';
import type { ApiServer } from './server.js';
import { SessionControl } from './session-control.js';

export interface ApiOptions {
  token: string | undefined;
  maxBodyBytes: number;
  corsOrigin?: string | undefined;
  strictResponses?: boolean;
}

export interface Api {
  server: ApiServer;
  routes: readonly Route[];
  document(): OpenApiDocument;
}

/** Every route of the API; `extra` routes (tests) are served and documented like the others. */
export function apiRoutes(deps: ApiDeps, extra: readonly Route[] = []): { routes: Route[]; document: () => OpenApiDocument } {
  const control = new SessionControl(deps);
  const routes: Route[] = [];
  let built: OpenApiDocument | null = null;
  const document = (): OpenApiDocument => (built ??= buildOpenApiDocument(routes, { version: deps.settings.version }));
  routes.push(
    ...metaRoutes(deps, document),
    ...batchRoutes(deps, control),
    ...documentRoutes(deps, control),
    ...integrationRoutes(deps),
    ...extra,
  );
  return { routes, document };
}

export function createApi(deps: ApiDeps, options: ApiOptions, extra: readonly Route[] = []): Api {
  const { routes, document } = apiRoutes(deps, extra);
  const server = createApiServer({ ...options, routes, logger: deps.logger.child({ part: 'http' }) });
  return { server, routes, document };
}
