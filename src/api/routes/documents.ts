/** Search over everything processed, and the documents that failed (with a way to try them again). */
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { failedDocuments, failureCountsByCode } from '../../core/store/documents.js';
import { countSearchResults } from '../../core/store/results.js';
import type { ApiDeps } from '../deps.js';
import { answer, defineRoute, ok } from '../router.js';
import type { Route } from '../router.js';
import { confirmationNeededSchema, errorSchema, sessionViewSchema } from '../schemas.js';
import type { SessionControl } from '../session-control.js';
import { confirmationNeeded } from '../views.js';

const searchQuery = z.object({
  q: z.string().trim().min(1).max(500).describe('words to find (all must match); quotes and operators are taken literally'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

const searchResponse = z.object({
  query: z.string(),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  results: z.array(
    z.object({
      id: z.number().int(),
      source_id: z.string(),
      name: z.string(),
      session_id: z.string(),
      pages: z.number().int(),
      snippet: z.string().describe('matches are marked with [ and ]'),
      rank: z.number(),
    }),
  ),
});

const failedQuery = z.object({
  session_id: z.string().min(1).max(200).optional().describe('default: the newest session'),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

const failedResponse = z.object({
  session_id: z.string(),
  total_failed: z.number().int(),
  by_code: z.record(z.string(), z.number().int()).describe('failed documents per error code'),
  documents: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      source_id: z.string(),
      error_code: z.string().nullable(),
      error_message: z.string().nullable(),
      attempts: z.number().int(),
    }),
  ),
});

const retryBody = z.strictObject({
  session_id: z.string().min(1).max(200).optional().describe('whose failures; default the newest session'),
  code: z.string().min(1).max(100).optional().describe('only failures with this error code'),
  max_cost_per_hour: z.number().positive().max(1_000).nullable().optional(),
  max_total_cost: z.number().positive().max(1_000_000).nullable().optional(),
  confirm: z.boolean().default(false),
});

export function documentRoutes(deps: ApiDeps, control: SessionControl): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/documents/search',
      operationId: 'searchDocuments',
      tag: 'documents',
      summary: 'Full-text search over every processed document',
      query: searchQuery,
      responses: { 200: { description: 'ranked hits', schema: searchResponse } },
      handle: ({ query }) => {
        const results = deps.engine.search(query.q, query.limit, query.offset);
        const total = countSearchResults(deps.db, query.q);
        return ok({ query: query.q, total, limit: query.limit, offset: query.offset, results });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/documents/failed',
      operationId: 'failedDocuments',
      tag: 'documents',
      summary: 'Documents that could not be processed, grouped by reason',
      query: failedQuery,
      responses: { 200: { description: 'failures', schema: failedResponse } },
      errors: [404],
      handle: ({ query }) => {
        const view = deps.engine.view(query.session_id);
        if (!view) throw new AppError('no_session', query.session_id ? `There is no session ${query.session_id}.` : 'There is no session yet.');
        const byCode: Record<string, number> = {};
        for (const row of failureCountsByCode(deps.db, view.session_id)) byCode[row.code] = row.n;
        const documents = failedDocuments(deps.db, view.session_id, query.limit).map((d) => ({
          id: d.id,
          name: d.name,
          source_id: d.source_id,
          error_code: d.last_error_code,
          error_message: d.last_error_message,
          attempts: d.attempts,
        }));
        return ok({ session_id: view.session_id, total_failed: view.failed, by_code: byCode, documents });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/documents/failed/retry',
      operationId: 'retryFailedDocuments',
      tag: 'documents',
      summary: 'Start a new session for the failed documents of a session',
      body: retryBody,
      responses: {
        200: { description: 'the new session, started', schema: sessionViewSchema },
        409: { description: 'a confirmation is needed (rented compute), or a session is already running', schema: z.union([confirmationNeededSchema, errorSchema]) },
      },
      errors: [404, 502, 503],
      handle: async ({ body, requestId }) => {
        const money = { confirm: body.confirm, maxTotalCost: body.max_total_cost ?? null, maxCostPerHour: body.max_cost_per_hour ?? null };
        const outcome = await control.retryFailed(body.session_id ?? null, body.code ?? null, money);
        if (outcome.kind === 'needs_confirmation') {
          const hint = `To start it, call POST /batch/start with {"session_id": "${outcome.quote.sessionId}", "confirm": true, "max_total_cost": <dollars>}.`;
          return answer(409, confirmationNeeded(outcome.quote, requestId, hint));
        }
        return ok(outcome.view);
      },
    }),
  ];
}
