/** The seed's batch endpoints: start, status, stop, estimate, resume, checkpoints. */
import { resolve } from 'node:path';
import { z } from 'zod';
import { estimate } from '../../core/engine/estimate.js';
import type { SourceSpec } from '../../core/engine/types.js';
import { AppError } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-errors.js';
import { answer, defineRoute, ok } from '../router.js';
import type { Route } from '../router.js';
import { confirmationNeededSchema, errorSchema, estimateSchema, sessionViewSchema } from '../schemas.js';
import type { Money, SessionControl } from '../session-control.js';
import { confirmationNeeded, toIso } from '../views.js';

const SUPPORTED_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/tiff'] as const;

const money = {
  max_cost_per_hour: z.number().positive().max(1_000).nullable().optional().describe('the most one rented machine may cost, $/hour'),
  max_total_cost: z.number().positive().max(1_000_000).nullable().optional().describe('budget cap for the whole session, $; required with confirm'),
  confirm: z.boolean().default(false).describe('agree to the estimate (renting compute answers 409 without it)'),
};

const startBody = z
  .strictObject({
    folder_id: z
      .string()
      .min(1)
      .max(4_096)
      .nullable()
      .optional()
      .describe('Google Drive folder id when Drive is configured, else a local folder path; null = DRIVE_FOLDER_ID or INBOX_DIR'),
    folder: z.string().min(1).max(4_096).optional().describe('a local folder path (alias of folder_id for local folders)'),
    mime_types: z.array(z.enum(SUPPORTED_TYPES)).min(1).nullable().optional().describe('file types to process; absent = the source\'s default (Drive: PDF), null = every supported type'),
    max_documents: z.number().int().positive().nullable().optional().describe('stop after this many documents; null = all'),
    batch_size: z.number().int().min(1).max(10_000).optional().describe('documents per batch (default BATCH_SIZE)'),
    ...money,
    session_id: z.string().min(1).max(200).optional().describe('confirm and start this planned session instead of planning a new one'),
  })
  .refine((b) => !(b.folder !== undefined && b.folder_id != null), { message: 'give folder or folder_id, not both', path: ['folder'] });

const moneyBody = z.strictObject(money);

const stopBody = z.strictObject({
  session_id: z.string().min(1).max(200).optional().describe('default: the running session'),
  final: z.boolean().default(false).describe('stop for good instead of pausing (a stopped session cannot be resumed)'),
});

const sessionQuery = z.object({ session_id: z.string().min(1).max(200).optional().describe('default: the running, else the newest session') });

const estimateQuery = z.object({
  total_documents: z.coerce.number().int().min(0).max(100_000_000).optional().describe('default: what is left of the session'),
  batch_size: z.coerce.number().int().min(1).max(10_000).optional(),
  cost_per_hour: z.coerce.number().min(0).max(1_000).optional().describe('$/hour of one worker; default 0 with local compute'),
  workers: z.coerce.number().int().min(1).max(1_024).optional().describe('workers in parallel'),
  session_id: z.string().min(1).max(200).optional(),
});

const stopResponse = z.object({ message: z.string(), session_id: z.string(), status: sessionViewSchema.shape.status });
const resumeResponse = stopResponse.extend({ completed_batches: z.number().int(), total_batches: z.number().int() });

const checkpointsResponse = z.object({
  total: z.number().int(),
  checkpoints: z.array(
    z.object({
      name: z.string(),
      file: z.string().describe('the seed\'s name for it; POST /batch/resume/{file} accepts both'),
      session_id: z.string(),
      completed_batches: z.number().int(),
      docs_done: z.number().int(),
      created_at: z.string(),
    }),
  ),
});

/** 409 is either "confirm first" (with the estimate) or a plain conflict (a session already runs). */
const conflict = z.union([confirmationNeededSchema, errorSchema]);

const confirmHint = (sessionId: string): string =>
  `To start it, repeat the request with {"session_id": "${sessionId}", "confirm": true, "max_total_cost": <dollars>}.`;

function moneyOf(body: { confirm: boolean; max_total_cost?: number | null | undefined; max_cost_per_hour?: number | null | undefined }): Money {
  return { confirm: body.confirm, maxTotalCost: body.max_total_cost ?? null, maxCostPerHour: body.max_cost_per_hour ?? null };
}

/** folder_id is a Drive id when Drive is configured, else a path; `folder` is always a path. */
function sourceSpec(deps: ApiDeps, body: z.output<typeof startBody>): SourceSpec {
  // Absent: the source's default types; null: every type the workers read (see the Drive source's spec).
  const types = body.mime_types === undefined ? {} : { mimeTypes: body.mime_types };
  if (body.folder === undefined && deps.drive) return { ...deps.drive.spec(body.folder_id ?? null), ...types };
  const path = body.folder ?? body.folder_id ?? deps.settings.inboxDir;
  return { kind: 'local', path: resolve(path), ...types };
}

export function batchRoutes(deps: ApiDeps, control: SessionControl): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/batch/start',
      operationId: 'startBatch',
      tag: 'batch',
      summary: 'Plan and start a processing session',
      description:
        'Lists the folder into a new session and starts it in the background; the answer comes once the listing is done. ' +
        'With rented compute, a request without "confirm": true plans the session and answers 409 with the estimate; ' +
        'repeat it with the session_id, "confirm": true and "max_total_cost" to start.',
      body: startBody,
      responses: {
        200: { description: 'started', schema: sessionViewSchema },
        409: { description: 'a confirmation is needed (rented compute), or a session is already running', schema: conflict },
      },
      errors: [404, 422, 502, 503],
      handle: async ({ body, requestId }) => {
        const outcome = await control.start({
          ...moneyOf(body),
          source: sourceSpec(deps, body),
          batchSize: body.batch_size ?? null,
          maxDocuments: body.max_documents ?? null,
          sessionId: body.session_id ?? null,
        });
        if (outcome.kind === 'needs_confirmation') {
          return answer(409, confirmationNeeded(outcome.quote, requestId, confirmHint(outcome.quote.sessionId)));
        }
        return ok(outcome.view);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/batch/status',
      operationId: 'batchStatus',
      tag: 'batch',
      summary: 'Progress of the running (else the newest) session',
      query: sessionQuery,
      responses: { 200: { description: 'the session', schema: sessionViewSchema } },
      errors: [404],
      handle: ({ query }) => {
        const view = control.currentView(query.session_id ?? null);
        if (!view) throw new AppError('no_session', query.session_id ? `There is no session ${query.session_id}.` : 'There is no session yet.');
        return ok(view);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/batch/stop',
      operationId: 'stopBatch',
      tag: 'batch',
      summary: 'Stop the running session (it pauses and can be resumed), or stop one for good',
      description: 'Work in flight goes back to the queue and workers are released; results already in are kept.',
      body: stopBody,
      responses: { 200: { description: 'stopped', schema: stopResponse } },
      errors: [404, 409],
      handle: async ({ body }) => {
        const { view, message } = await control.stop(body.session_id ?? null, body.final);
        return ok({ message, session_id: view.session_id, status: view.status });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/batch/estimate',
      operationId: 'estimateBatch',
      tag: 'batch',
      summary: 'Estimate time and cost before starting',
      description: 'Seconds per document are measured from earlier sessions when there are enough, else the seed\'s 4.5 s prior (see basis).',
      query: estimateQuery,
      responses: { 200: { description: 'the estimate', schema: estimateSchema } },
      errors: [404],
      handle: ({ query }) => ok(estimateFor(deps, query)),
    }),
    defineRoute({
      method: 'POST',
      path: '/batch/resume/{checkpoint}',
      operationId: 'resumeBatch',
      tag: 'batch',
      summary: 'Resume the session of a checkpoint (checkpoint_100.json, checkpoint_100) or a session id',
      params: z.object({ checkpoint: z.string().min(1).max(200).describe('checkpoint name or file, or a session id') }),
      body: moneyBody,
      responses: {
        200: { description: 'resumed, running in the background', schema: resumeResponse },
        409: { description: 'a confirmation is needed, the session is finished, or another one runs', schema: conflict },
      },
      errors: [404, 502, 503],
      handle: async ({ params, body, requestId }) => {
        const outcome = await control.resume(params.checkpoint, moneyOf(body));
        if (outcome.kind === 'needs_confirmation') {
          const hint = `To start it, repeat the request with {"confirm": true, "max_total_cost": <dollars>}.`;
          return answer(409, confirmationNeeded(outcome.quote, requestId, hint));
        }
        const { view } = outcome;
        return ok({
          message: 'Session resumed successfully',
          session_id: view.session_id,
          status: view.status,
          completed_batches: view.completed_batches,
          total_batches: view.total_batches,
        });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/checkpoints',
      operationId: 'listCheckpoints',
      tag: 'batch',
      summary: 'Checkpoints (every CHECKPOINT_EVERY finished batches), newest first',
      query: sessionQuery.extend({ limit: z.coerce.number().int().min(1).max(1_000).default(100) }),
      responses: { 200: { description: 'checkpoints', schema: checkpointsResponse } },
      handle: ({ query }) => {
        const rows = deps.engine.checkpoints(query.session_id, query.limit);
        const checkpoints = rows.map((c) => ({ ...c, file: `${c.name}.json`, created_at: toIso(c.created_at) }));
        return ok({ total: checkpoints.length, checkpoints });
      },
    }),
  ];
}

function estimateFor(deps: ApiDeps, query: z.output<typeof estimateQuery>): z.input<typeof estimateSchema> {
  const { engine, compute, settings } = deps;
  const renting = compute.requiresConfirmation;
  const costPerHour = query.cost_per_hour ?? (renting ? null : 0);
  if (costPerHour === null) {
    throw new HttpError(400, 'invalid_request', 'cost_per_hour is required with rented compute (GET /vastai/instances shows prices).', {
      fields: [{ in: 'query', field: 'cost_per_hour', message: 'required with rented compute' }],
    });
  }
  const workers = query.workers ?? (renting ? 1 : settings.localWorkers);
  if (query.total_documents === undefined) {
    const view = engine.view(query.session_id ?? engine.runningSessionId() ?? undefined);
    if (!view) throw new AppError('no_session', 'There is no session to estimate; give total_documents.');
    return engine.estimateSession(view.session_id, { costPerHour, workers });
  }
  const measured = engine.measuredSecondsPerDocument();
  return estimate({
    documents: query.total_documents,
    batchSize: query.batch_size ?? settings.batchSize,
    costPerHour,
    workers,
    secondsPerDocument: measured?.seconds ?? null,
    basis: measured?.basis ?? null,
  });
}
