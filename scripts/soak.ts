/**
 * `npm run soak [-- --docs 2000 --kills 20 --worker-kills 10 --seed N --keep]`: a local session over many documents
 * through the real CLI, SIGKILLed at random moments and resumed each time; then worker processes killed mid-batch.
 * Prints the figures; exits 1 on any lost or duplicated document, unfinished session or process left behind.
 */
import { parseArgs } from 'node:util';
import { printReport } from './soak/print-report.js';
import { runSoak } from './soak/run-soak.js';

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`soak: --${name} must be a whole number (got "${value}")`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    docs: { type: 'string' },
    kills: { type: 'string' },
    'worker-kills': { type: 'string' },
    seed: { type: 'string' },
    'no-real': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const options = {
  docs: Math.max(2, count(values.docs, 2_000, 'docs')),
  kills: count(values.kills, 20, 'kills'),
  workerKills: count(values['worker-kills'], 10, 'worker-kills'),
  seed: count(values.seed, Math.floor(Math.random() * 2 ** 31), 'seed'),
  realPages: !values['no-real'],
  keep: values.keep,
  log: (line: string) => console.error(`[soak] ${line}`),
};

const report = await runSoak(options);
console.log(printReport(report));
process.exit(report.violations.length === 0 ? 0 : 1);
