/** The seed's integration endpoints: Vast.ai balance and offers, Google Drive listing. 503 when not configured. */
import { z } from 'zod';
import { AppError, describeError } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-errors.js';
import { defineRoute, ok } from '../router.js';
import type { Route } from '../router.js';
import { offerSchema } from '../schemas.js';
import { offerView, round2 } from '../views.js';

const VAST_NOT_CONFIGURED = 'Vast.ai is not configured (set VAST_AI_API_KEY).';
const DRIVE_NOT_CONFIGURED =
  'Google Drive is not configured (set GOOGLE_APPLICATION_CREDENTIALS to a service account key, or GOOGLE_OAUTH_CLIENT and run `aseagi auth google`).';

function notConfigured(message: string, hint: string): HttpError {
  return new HttpError(503, 'not_configured', message, { hint });
}

/** A failure of the remote service is a 502 that says which service; our own coded errors pass through. */
async function upstream<T>(service: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError || error instanceof HttpError) throw error;
    throw new HttpError(502, 'upstream_failed', `${service} did not answer as expected: ${describeError(error)}`);
  }
}

const instancesQuery = z.object({
  min_gpu_ram: z.coerce.number().min(0).max(1_024).optional().describe('GB of GPU memory at least'),
  max_cost_per_hour: z.coerce.number().positive().max(1_000).optional().describe('$/hour at most'),
  gpu_name: z.string().min(1).max(200).optional().describe('GPU models, comma-separated ("RTX 4090,A100")'),
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('offers shown'),
});

const instancesResponse = z.object({
  total_found: z.number().int(),
  showing: z.number().int(),
  instances: z.array(offerSchema),
});

const driveQuery = z.object({
  max_results: z.coerce.number().int().min(1).max(1_000).default(100),
  folder_id: z.string().min(1).max(200).optional().describe('default: DRIVE_FOLDER_ID'),
});

const driveResponse = z.object({
  total_documents: z.number().int().describe('documents in this answer (at most max_results)'),
  source: z.string(),
  documents: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      mime_type: z.string(),
      size_mb: z.number().nullable(),
      modified_time: z.string().nullable(),
      web_view_link: z.string().nullable(),
    }),
  ),
});

export function integrationRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/vastai/balance',
      operationId: 'vastBalance',
      tag: 'vastai',
      summary: 'Spendable Vast.ai credit',
      responses: { 200: { description: 'credit', schema: z.object({ balance: z.number(), currency: z.literal('USD') }) } },
      errors: [502, 503],
      handle: async () => {
        const { compute } = deps;
        if (!compute.balance) throw notConfigured(VAST_NOT_CONFIGURED, 'Add VAST_AI_API_KEY to .env and restart.');
        const { creditUsd } = await upstream('Vast.ai', () => compute.balance!());
        return ok({ balance: round2(creditUsd), currency: 'USD' as const });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/vastai/instances',
      operationId: 'vastOffers',
      tag: 'vastai',
      summary: 'GPU machines available to rent now, best $/document first',
      query: instancesQuery,
      responses: { 200: { description: 'offers', schema: instancesResponse } },
      errors: [502, 503],
      handle: async ({ query }) => {
        const { compute } = deps;
        if (!compute.findOffers) throw notConfigured(VAST_NOT_CONFIGURED, 'Add VAST_AI_API_KEY to .env and restart.');
        const gpuNames = query.gpu_name?.split(',').map((s) => s.trim()).filter(Boolean);
        const offers = await upstream('Vast.ai', () =>
          compute.findOffers!({ maxPricePerHour: query.max_cost_per_hour, minGpuRamGb: query.min_gpu_ram, gpuNames }),
        );
        const shown = offers.slice(0, query.limit);
        return ok({ total_found: offers.length, showing: shown.length, instances: shown.map(offerView) });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/drive/documents',
      operationId: 'driveDocuments',
      tag: 'drive',
      summary: 'Preview the documents of a Google Drive folder',
      query: driveQuery,
      responses: { 200: { description: 'documents', schema: driveResponse } },
      errors: [502, 503],
      handle: async ({ query }) => {
        if (!deps.drive) throw notConfigured(DRIVE_NOT_CONFIGURED, 'See docs/cloud.md, "Google Drive".');
        const source = deps.drive.open(query.folder_id ?? null);
        try {
          const documents = await upstream('Google Drive', async () => {
            const listed = [];
            for await (const doc of source.list({ maxDocuments: query.max_results })) {
              listed.push(doc);
              if (listed.length >= query.max_results) break;
            }
            return listed;
          });
          const driveLinks = source.kind === 'gdrive';
          return ok({
            total_documents: documents.length,
            source: source.describe(),
            documents: documents.map((d) => ({
              id: d.sourceId,
              name: d.name,
              mime_type: d.mimeType,
              size_mb: d.sizeBytes == null ? null : round2(d.sizeBytes / (1024 * 1024)),
              modified_time: d.modifiedAt,
              web_view_link: driveLinks ? `https://drive.google.com/file/d/${encodeURIComponent(d.sourceId)}/view` : null,
            })),
          });
        } finally {
          await source.close?.();
        }
      },
    }),
  ];
}
