/**
 * `npm run bench`: every benchmark, one table, each figure beside its same-run baseline.
 * `npm run bench -- engine` runs one. Results: bench/results/<name>.json.
 */
import { runDriveListingBench } from './drive-listing.js';
import { runE2eOverheadBench } from './e2e-overhead.js';
import { runEngineBench } from './engine.js';
import { runWorkerBench } from './worker.js';
import type { Figure } from './report.js';
import { printTable, writeResults } from './report.js';

const BENCHES: Record<string, () => Promise<Figure[]>> = {
  engine: runEngineBench,
  'drive-listing': runDriveListingBench,
  worker: runWorkerBench,
  'e2e-overhead': runE2eOverheadBench,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
const all: Figure[] = [];
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  console.error(`running ${name} …`);
  const figures = await bench();
  writeResults(name, figures);
  all.push(...figures);
}
console.log(printTable(all));
