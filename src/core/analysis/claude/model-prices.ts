/**
 * What Claude costs, in one table (USD per million tokens, from Anthropic's pricing page, Nov 2026), and the
 * arithmetic from a response's `usage` to dollars. Cache writes cost 1.25× input (5-minute TTL) or 2× (1 hour),
 * cache reads 0.1× for most models; the Message Batches API halves everything.
 */

export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

const standard = (input: number, output: number, cacheRead = input / 10): ModelPrice => ({
  input,
  output,
  cacheWrite5m: input * 1.25,
  cacheWrite1h: input * 2,
  cacheRead,
});

/** Keys are model ids or their dated-snapshot prefix ("claude-sonnet-4-5" also prices "claude-sonnet-4-5-20250929"). */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-fable-5-1': standard(10, 50, 0.25),
  'claude-mythos-5-1': standard(10, 50, 0.25),
  'claude-fable-5': standard(10, 50, 1),
  'claude-mythos-5': standard(10, 50, 1),
  'claude-opus-5': standard(5, 25),
  'claude-opus-4-8': standard(5, 25),
  'claude-opus-4-7': standard(5, 25),
  'claude-opus-4-6': standard(5, 25),
  'claude-opus-4-5': standard(5, 25),
  'claude-opus-4-1': standard(15, 75),
  'claude-sonnet-4-6': standard(3, 15),
  'claude-sonnet-4-5': standard(3, 15),
  'claude-haiku-4-5': standard(1, 5),
};

export const DEFAULT_MODEL = 'claude-sonnet-4-6';
export const BATCH_DISCOUNT = 0.5;

/** The price of `model`, or of the override ("input,output" $/MTok); null when neither is known. */
export function priceFor(model: string, override?: { input: number; output: number } | null): ModelPrice | null {
  if (override) return standard(override.input, override.output);
  const exact = MODEL_PRICES[model];
  if (exact) return exact;
  const prefix = Object.keys(MODEL_PRICES)
    .filter((id) => model.startsWith(`${id}-`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? MODEL_PRICES[prefix]! : null;
}

/** The `usage` fields we bill by (as the Messages API returns them). */
export interface BillableUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_1h_input_tokens?: number; ephemeral_5m_input_tokens?: number } | null;
}

/** Dollars for one response. Without a TTL breakdown, cache writes are priced as 1-hour ones (what we ask for). */
export function costOf(usage: BillableUsage, price: ModelPrice, batch: boolean): number {
  const written = usage.cache_creation_input_tokens ?? 0;
  const written5m = usage.cache_creation?.ephemeral_5m_input_tokens ?? 0;
  const written1h = usage.cache_creation ? (usage.cache_creation.ephemeral_1h_input_tokens ?? 0) : written;
  const dollars =
    usage.input_tokens * price.input +
    usage.output_tokens * price.output +
    written5m * price.cacheWrite5m +
    written1h * price.cacheWrite1h +
    (usage.cache_read_input_tokens ?? 0) * price.cacheRead;
  return (dollars / 1_000_000) * (batch ? BATCH_DISCOUNT : 1);
}

/** Every input token the request consumed (fresh, written to and read from the cache). */
export function inputTokensOf(usage: BillableUsage): number {
  return usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}
