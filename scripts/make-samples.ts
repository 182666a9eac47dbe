/**
 * Writes the sample documents and prints what each should produce.
 *
 *   tsx scripts/make-samples.ts [dir] [--force]     (default dir: data/samples)
 */
import path from 'node:path';
import { makeSamples } from '../src/samples/make-samples.js';
import type { SampleEntry } from '../src/samples/make-samples.js';

function expectedSummary(entry: SampleEntry): string {
  const { expected } = entry;
  const result = expected.outcome === 'error' ? `error ${expected.errorCode}` : expected.outcome;
  const pages = expected.pageCount > 0 ? ` (${expected.textPages} text + ${expected.ocrPages} OCR pages)` : '';
  const password = entry.withPassword ? `; with password "${entry.withPassword.password}": ${entry.withPassword.expected.outcome}` : '';
  return `${result}${pages}${password}`;
}

function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const dir = args.find((arg) => !arg.startsWith('--')) ?? path.join('data', 'samples');
  const manifest = await makeSamples(dir, { force });
  const rows = Object.values(manifest.files).map((entry) => ({
    file: entry.file,
    size: formatKiB(entry.bytes),
    action: entry.written ? 'written' : 'kept',
    expected: expectedSummary(entry),
    snippet: entry.expected.snippet ?? entry.withPassword?.expected.snippet ?? '',
  }));
  console.log(`Samples in ${manifest.dir}`);
  console.table(rows);
  const total = Object.values(manifest.files).reduce((sum, entry) => sum + entry.bytes, 0);
  console.log(`Total ${formatKiB(total)} in ${rows.length} files.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
