/**
 * Vast's filter language as the fake applies it: `{ field: { op: value } }` with ops eq neq gt lt gte lte in
 * notin, plus `order: [[field, "asc"|"desc"]]` and `limit` (../shared/reference/vastai-api.md).
 */

export type Row = Record<string, unknown>;

const OPS: Record<string, (actual: unknown, expected: unknown) => boolean> = {
  eq: (a, e) => a === e,
  neq: (a, e) => a !== e,
  gt: (a, e) => typeof a === 'number' && typeof e === 'number' && a > e,
  lt: (a, e) => typeof a === 'number' && typeof e === 'number' && a < e,
  gte: (a, e) => typeof a === 'number' && typeof e === 'number' && a >= e,
  lte: (a, e) => typeof a === 'number' && typeof e === 'number' && a <= e,
  in: (a, e) => Array.isArray(e) && e.includes(a),
  notin: (a, e) => Array.isArray(e) && !e.includes(a),
};

export class FilterError extends Error {}

/** Keys of a search body that are not filters. */
const NOT_FILTERS = new Set(['order', 'type', 'limit', 'allocated_storage']);

/** Applies every filter in `body` except those named in `ignored` (a server that does not apply some). */
export function applyFilters<T extends Row>(rows: readonly T[], body: Record<string, unknown>, ignored: ReadonlySet<string> = new Set()): T[] {
  let out = [...rows];
  for (const [field, condition] of Object.entries(body)) {
    if (NOT_FILTERS.has(field) || ignored.has(field)) continue;
    if (!condition || typeof condition !== 'object' || Array.isArray(condition)) throw new FilterError(`filter ${field} must be {op: value}`);
    for (const [op, expected] of Object.entries(condition as Record<string, unknown>)) {
      const test = OPS[op];
      if (!test) throw new FilterError(`unknown operator ${op} on ${field}`);
      out = out.filter((row) => test(row[field], expected));
    }
  }
  return out;
}

export function applyOrder<T extends Row>(rows: readonly T[], order: unknown): T[] {
  if (!Array.isArray(order)) return [...rows];
  const keys = order.filter((o): o is [string, string] => Array.isArray(o) && typeof o[0] === 'string');
  return [...rows].sort((a, b) => {
    for (const [field, direction] of keys) {
      const x = Number(a[field] ?? 0);
      const y = Number(b[field] ?? 0);
      if (x !== y) return direction === 'desc' ? y - x : x - y;
    }
    return 0;
  });
}
