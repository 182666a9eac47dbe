/** Pure formatting for people: durations, sizes, progress bars, tables. Table-tested. */

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatUsd(amount: number | null | undefined): string {
  if (amount == null || !Number.isFinite(amount)) return '—';
  return `$${amount.toFixed(2)}`;
}

/** A bar of `width` cells: `[██████░░░░]`. Fractions outside 0..1 are clamped. */
export function progressBar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

export interface ProgressLine {
  processed: number;
  total: number;
  failed: number;
  docsPerSecond: number | null;
  etaSeconds: number | null;
}

/** One terminal line: bar, counts, rate and ETA. */
export function renderProgressLine(p: ProgressLine, width = 24): string {
  const fraction = p.total === 0 ? 1 : p.processed / p.total;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const rate = p.docsPerSecond == null ? '— docs/s' : `${p.docsPerSecond.toFixed(p.docsPerSecond < 10 ? 2 : 1)} docs/s`;
  const failed = p.failed > 0 ? ` · ${p.failed} failed` : '';
  return `${progressBar(fraction, width)} ${pct} ${p.processed}/${p.total}${failed} · ${rate} · ETA ${formatDuration(p.etaSeconds)}`;
}

/** A plain text table with aligned columns; cells are single-line. */
export function renderTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => oneLine(String(cell))));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Control characters and bidi overrides in file names must not rewrite the terminal. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '�');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
