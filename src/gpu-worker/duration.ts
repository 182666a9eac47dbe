/** Durations in settings: `900` (seconds), `900s`, `15m`, `1h`, `500ms`. */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or null when the text is not a duration. A bare number is seconds. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) return null;
  const unit = UNIT_MS[(match[2] ?? 's').toLowerCase()] ?? 1_000;
  return Math.round(Number(match[1]) * unit);
}
