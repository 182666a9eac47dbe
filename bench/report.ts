/** Shared shape and printing for benchmark figures: every figure next to its same-run baseline. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Figure {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  /** The same-run baseline this figure is compared with, if any. */
  baseline?: { label: string; value: number } | undefined;
  /** value / baseline (or baseline / value when lower is better). */
  ratio?: number | undefined;
  target?: string | undefined;
  pass?: boolean | undefined;
  note?: string | undefined;
}

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    at: new Date().toISOString(),
  };
}

export function writeResults(name: string, figures: readonly Figure[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ machine: machine(), figures }, null, 2)}\n`);
  return path;
}

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));

export function printTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.bench,
    f.metric,
    `${fmt(f.value)} ${f.unit}`,
    f.baseline ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.label})` : '—',
    f.ratio === undefined ? '—' : `${f.ratio.toFixed(2)}×`,
    f.target ?? '—',
    f.pass === undefined ? '' : f.pass ? 'ok' : 'MISS',
  ]);
  const headers = ['bench', 'metric', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
