/**
 * The fault matrix itself (fault-table.ts): every fake × every fault is exactly one cell; every cell this suite
 * runs has a file that runs it; every cell proven elsewhere names a test that exists; every N/A says why. The
 * N/A cells are listed here as skipped, so the whole matrix shows in the test output.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAKES, FAULTS, MATRIX } from './fault-table.js';
import type { Cell } from './fault-table.js';

const proven = MATRIX.filter((c): c is Cell & { kind: 'proven' } => c.kind === 'proven');
const notApplicable = MATRIX.filter((c): c is Cell & { kind: 'na' } => c.kind === 'na');

/** `file › test name` → does the file declare a test of that name? */
function declaresTest(reference: string): boolean {
  const [file, name] = reference.split(' › ');
  const source = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  return [`'${name}'`, `"${name}"`, `\`${name}\``].some((quoted) => source.includes(`it(${quoted}`));
}

describe('the fault matrix', () => {
  it('has exactly one cell for every fake × fault, and each says what must happen or why it does not apply', () => {
    for (const fake of FAKES) {
      for (const fault of FAULTS) {
        const cells = MATRIX.filter((c) => c.fake === fake && c.fault === fault);
        expect(cells, `${fake} × ${fault}`).toHaveLength(1);
        const cell = cells[0]!;
        expect(cell.kind === 'na' ? cell.why : cell.expect, `${fake} × ${fault}`).toMatch(/\w{3,}/);
      }
    }
    expect(MATRIX).toHaveLength(FAKES.length * FAULTS.length);
  });

  it('runs every "run" cell in the file of its fake', () => {
    for (const cell of MATRIX.filter((c) => c.kind === 'run')) {
      const source = readFileSync(new URL(`./${cell.fake}-faults.test.ts`, import.meta.url), 'utf8');
      expect(source, `${cell.fake}-faults.test.ts`).toContain(`runCells('${cell.fake}')`);
    }
  });

  it.each(proven.map((c) => [`${c.fake} × ${c.fault}: ${c.expect} — proven by ${c.by}`, c] as const))('%s', (_title, cell) => {
    expect(declaresTest(cell.by), cell.by).toBe(true);
  });

  it.skip.each(notApplicable.map((c) => [`${c.fake} × ${c.fault}: N/A — ${c.why}`] as const))('%s', () => undefined);
});
