/** The service itself: health (no token), the OpenAPI document, and the page that renders it. */
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { DOCS_CSP, docsPage } from '../docs-page.js';
import type { OpenApiDocument } from '../openapi.js';
import { defineRoute, ok } from '../router.js';
import type { Route } from '../router.js';

const healthResponse = z.object({
  status: z.literal('healthy'),
  timestamp: z.string(),
  batch_manager_initialized: z.boolean().describe('the engine is up (the seed\'s name)'),
  current_session: z.string().nullable().describe('the running session, if any'),
  version: z.string(),
});

/** `document()` is called per request; the document itself is built once, after every route is known. */
export function metaRoutes(deps: ApiDeps, document: () => OpenApiDocument): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      operationId: 'health',
      tag: 'service',
      summary: 'Is the service up? (no token needed)',
      public: true,
      responses: { 200: { description: 'up', schema: healthResponse } },
      handle: () =>
        ok({
          status: 'healthy' as const,
          timestamp: new Date().toISOString(),
          batch_manager_initialized: true,
          current_session: deps.engine.runningSessionId(),
          version: deps.settings.version,
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openapi',
      tag: 'service',
      summary: 'This API, as an OpenAPI 3.1 document',
      responses: { 200: { description: 'the document', schema: z.record(z.string(), z.unknown()) } },
      handle: () => ok(document() as unknown as Record<string, unknown>),
    }),
    defineRoute({
      method: 'GET',
      path: '/docs',
      operationId: 'docs',
      tag: 'service',
      summary: 'This documentation, as a web page (it asks for the token when one is needed)',
      public: true,
      responses: { 200: { description: 'an HTML page', schema: z.string(), contentType: 'text/html' } },
      handle: () => ({ status: 200 as const, body: docsPage(), headers: { 'content-security-policy': DOCS_CSP } }),
    }),
  ];
}
