/**
 * The shapes Vast.ai answers with (../shared/reference/vastai-api.md), as lenient zod schemas: only the fields we
 * use, most nullable, unknown fields ignored. An offer or instance that does not parse is dropped, not fatal.
 */
import { z } from 'zod';

const num = z.number().nullable().optional().transform((v) => v ?? null);
const str = z.string().nullable().optional().transform((v) => v ?? null);

/** One machine on offer (`POST /api/v0/bundles/`). RAM figures are MB, `disk_space` GB, `dph_total` $/hour. */
export const vastOfferSchema = z.object({
  id: z.number().int(),
  gpu_name: z.string(),
  num_gpus: z.number().int().positive().default(1),
  gpu_ram: num,
  gpu_total_ram: num,
  cpu_ram: num,
  cpu_cores: num,
  cpu_cores_effective: num,
  disk_space: num,
  dph_total: z.number().nonnegative(),
  inet_down: num,
  inet_up: num,
  reliability: num,
  reliability2: num,
  dlperf: num,
  compute_cap: num,
  cuda_max_good: num,
  direct_port_count: num,
  geolocation: str,
  machine_id: z.number().int().nullable().optional().transform((v) => v ?? null),
  verified: z.boolean().nullable().optional(),
  rentable: z.boolean().nullable().optional(),
  rented: z.boolean().nullable().optional(),
});
export type VastOffer = z.infer<typeof vastOfferSchema>;

const portBindingSchema = z.object({ HostIp: z.string().optional(), HostPort: z.union([z.string(), z.number()]).transform(String) });

/** One rented instance (`GET /api/v0/instances/{id}/`, `GET /api/v1/instances/`). */
export const vastInstanceSchema = z.object({
  id: z.number().int(),
  actual_status: str,
  cur_state: str,
  intended_status: str,
  next_state: str,
  status_msg: str,
  ports: z.record(z.string(), z.array(portBindingSchema).nullable()).nullable().optional().transform((v) => v ?? null),
  public_ipaddr: str,
  label: str,
  dph_total: num,
  start_date: num,
  gpu_name: str,
  num_gpus: num,
  machine_id: z.number().int().nullable().optional().transform((v) => v ?? null),
});
export type VastInstance = z.infer<typeof vastInstanceSchema>;

export const createResponseSchema = z.object({
  success: z.boolean().optional(),
  new_contract: z.number().int().nullable().optional(),
});

/** The account: only `credit` is read. The body also holds the account's API key, so nothing else is kept. */
export const accountSchema = z.object({ credit: z.number().nullable().optional() });

/** Vast's error bodies: `{success:false, error, msg}`, sometimes `message` or `detail`. */
export const errorBodySchema = z
  .object({
    success: z.boolean().optional(),
    error: z.string().optional(),
    msg: z.string().optional(),
    message: z.string().optional(),
    detail: z.string().optional(),
  })
  .partial();

/** Parses what parses; a malformed entry is skipped rather than failing the whole answer. */
export function parseEach<T>(schema: z.ZodType<T>, items: unknown): T[] {
  if (!Array.isArray(items)) return [];
  const out: T[] = [];
  for (const item of items) {
    const parsed = schema.safeParse(item);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}
