/**
 * docs/reliability.md backs every guarantee with a test, named as `file › test name`. This keeps those names true:
 * each named file exists and declares a test of that name (literally, or through an `it.each` title template, or as
 * a fault-matrix title), and the matrix the page shows is the one the suite runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAKES, MATRIX, renderMatrix, runCells } from './fault-table.js';

const root = new URL('../../', import.meta.url);
const doc = readFileSync(new URL('docs/reliability.md', root), 'utf8');

const references = [...doc.matchAll(/`((?:test|scripts)\/[^`\s]+\.ts) › ([^`]+)`/g)].map((m) => ({ file: m[1]!, name: m[2]! }));

/** Titles the suite generates from the fault table (the per-fake files and fault-matrix.test.ts). */
const generated = new Set<string>([
  ...FAKES.flatMap((fake) => runCells(fake).map(([title]) => title)),
  ...MATRIX.flatMap((c) => (c.kind === 'proven' ? [`${c.fake} × ${c.fault}: ${c.expect} — proven by ${c.by}`] : [])),
]);

/** `it.each(…)('title', …)` title templates of a file, as patterns (`%s`, `%i`, `$name` stand for anything). */
function templates(source: string): RegExp[] {
  const literals = [...source.matchAll(/\)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1\s*,/g)].map((m) => m[2]!.replace(/\\'/g, "'"));
  return literals
    .filter((text) => /%[a-z#]|\$[A-Za-z]/.test(text) && text.replace(/%[a-z#]|\$[\w.]+/g, '').trim().length > 3)
    .map((text) => new RegExp(`^${text.split(/%[a-z#]|\$[\w.]+/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`));
}

function declares(file: string, name: string): boolean {
  if (generated.has(name)) return true;
  const source = readFileSync(new URL(file, root), 'utf8');
  if (source.replace(/\\'/g, "'").includes(name)) return true;
  return templates(source).some((pattern) => pattern.test(name));
}

describe('docs/reliability.md', () => {
  it('names tests, and enough of them to back every section', () => {
    expect(references.length).toBeGreaterThan(100);
    for (const section of ['## 1.', '## 2.', '## 3.', '## 4.', '## 5.', '## 6.', '## 7.', '## 8.', '## 9.']) expect(doc).toContain(section);
  });

  it.each(references.map((r) => [`${r.file} › ${r.name}`, r] as const))('%s exists', (_title, { file, name }) => {
    expect(existsSync(new URL(file, root)), file).toBe(true);
    expect(declares(file, name), `${file} declares no test "${name}"`).toBe(true);
  });

  it('shows the fault matrix the suite runs', () => {
    expect(doc).toContain(renderMatrix());
    const counts = { run: 0, proven: 0, na: 0 };
    for (const cell of MATRIX) counts[cell.kind] += 1;
    expect(doc).toContain(`${counts.run} cells run, ${counts.proven} are proven elsewhere, ${counts.na} do not apply`);
  });

  it('names only scripts and test files that exist', () => {
    for (const [, path] of doc.matchAll(/`((?:test|scripts|src|docs)\/[\w./-]+\.(?:ts|md))`/g)) expect(existsSync(new URL(path!, root)), path).toBe(true);
  });
});
