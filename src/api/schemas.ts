/**
 * Schemas shared by several routes. Each is registered under a name, so the OpenAPI document refers to it once
 * (`#/components/schemas/SessionView`) instead of repeating it. Field names follow the seed's HTTP API.
 */
import { z } from 'zod';
import type { Estimate } from '../core/engine/estimate.js';
import { SESSION_STATUSES } from '../core/engine/statuses.js';
import type { SessionView } from '../core/engine/types.js';

/** Named schemas → component names in the OpenAPI document. */
export const namedSchemas: { id: string; schema: z.ZodType }[] = [];

function named<T extends z.ZodType>(id: string, schema: T): T {
  namedSchemas.push({ id, schema });
  return schema;
}

const isoTime = z.string().describe('ISO 8601 time (UTC)');

export const fieldIssueSchema = named(
  'FieldIssue',
  z.object({
    in: z.enum(['body', 'query', 'path']),
    field: z.string(),
    message: z.string(),
  }),
);

export const errorSchema = named(
  'Error',
  z
    .object({
      error: z.object({
        code: z.string().describe('stable, machine-readable'),
        message: z.string().describe('for people: what is wrong'),
        hint: z.string().optional().describe('for people: what to do'),
        fields: z.array(fieldIssueSchema).optional().describe('the inputs that failed validation'),
        request_id: z.string().optional().describe('also in the x-request-id header and the service log'),
      }),
    })
    .describe('Every error answer. Never contains a stack trace.'),
);

const workerViewSchema = z.object({
  id: z.string(),
  label: z.string(),
  status: z.string(),
  pricePerHour: z.number().nullable(),
  costUsd: z.number(),
});

const currentBatchSchema = named(
  'CurrentBatch',
  z.object({
    batch_id: z.string(),
    batch_number: z.number().int(),
    document_count: z.number().int(),
    processed_count: z.number().int(),
    status: z.literal('processing'),
    worker: z.string().nullable(),
  }),
);

export const sessionViewSchema = named(
  'SessionView',
  z
    .object({
      session_id: z.string(),
      status: z.enum(SESSION_STATUSES),
      pause_reason: z.string().nullable(),
      message: z.string().nullable(),
      source: z.string().describe('what is being processed, for people'),
      compute: z.string(),
      total_documents: z.number().int(),
      done: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
      remaining: z.number().int(),
      total_batches: z.number().int(),
      completed_batches: z.number().int(),
      failed_batches: z.number().int(),
      progress_percentage: z.number(),
      pages: z.number().int(),
      ocr_pages: z.number().int(),
      bytes_processed: z.number(),
      created_at: isoTime,
      started_at: isoTime.nullable(),
      finished_at: isoTime.nullable(),
      active_seconds: z.number(),
      documents_per_minute: z.number().nullable(),
      eta_seconds: z.number().nullable(),
      estimated_completion: isoTime.nullable(),
      compute_cost: z.number(),
      analysis_cost: z.number(),
      total_cost: z.number(),
      budget: z.number().nullable(),
      workers: z.array(workerViewSchema),
      current_batch: currentBatchSchema.nullable(),
      current_batches: z.array(currentBatchSchema),
    })
    .describe('A session as front ends show it (the seed\'s status fields, and more).'),
);

export const estimateSchema = named(
  'Estimate',
  z
    .object({
      total_documents: z.number().int(),
      batch_size: z.number().int(),
      total_batches: z.number().int(),
      seconds_per_document: z.number(),
      total_hours: z.number().describe('billed worker-hours'),
      wall_clock_hours: z.number(),
      workers: z.number().int(),
      cost_per_hour: z.number(),
      compute_cost: z.number(),
      analysis_cost: z.number(),
      total_cost: z.number(),
      bounded_by: z.enum(['gpu_time', 'download_bandwidth', 'source_quota']),
      basis: z.string().describe('where seconds_per_document comes from: measured, or the seed\'s prior'),
    })
    .describe('Time and cost. The seed\'s fields plus what bounds the run and where the figures come from.'),
);

export const offerSchema = named(
  'Offer',
  z.object({
    id: z.union([z.number().int(), z.string()]),
    gpu_name: z.string(),
    num_gpus: z.number().int(),
    gpu_ram_gb: z.number(),
    cpu_cores: z.number().nullable(),
    ram_gb: z.number().nullable(),
    cost_per_hour: z.number(),
    disk_space_gb: z.number().nullable(),
    reliability: z.number().nullable(),
    download_mbps: z.number().nullable(),
    seconds_per_document: z.number(),
    cost_per_document: z.number(),
    label: z.string(),
  }),
);

export const confirmationNeededSchema = named(
  'ConfirmationNeeded',
  errorSchema
    .extend({
      session_id: z.string().describe('repeat the request with this id, `confirm: true` and `max_total_cost`'),
      estimate: estimateSchema,
      offers: z.array(offerSchema).describe('the machines available now, best $/document first'),
      offers_error: z.string().nullable(),
    })
    .describe('Renting costs money: nothing starts before a confirmation with a budget cap.'),
);

/** Compile-time check that the schema and the engine's type agree, so one cannot change without the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const viewMatches: Same<z.output<typeof sessionViewSchema>, SessionView> = true;
const estimateMatches: Same<z.output<typeof estimateSchema>, Estimate> = true;
void viewMatches;
void estimateMatches;
