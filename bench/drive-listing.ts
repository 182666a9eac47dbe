/**
 * Drive listing benchmark: how many files.list calls (and how long) listing 70,000 files takes through the real
 * `@googleapis/drive` client against the fake Drive. The budget is 75 calls: 70 full pages of 1,000 plus a few
 * partial last pages (one per query of up to 50 folders). Run alone: `npx tsx bench/drive-listing.ts`.
 */
import { performance } from 'node:perf_hooks';
import { newOAuthClient } from '../src/core/sources/drive/drive-auth.js';
import { createDriveSource } from '../src/core/sources/drive/drive-source.js';
import { resolveDriveSpec } from '../src/core/sources/drive/drive-spec.js';
import { silentLogger } from '../src/logger.js';
import { DriveFake, populateArchive } from '../test/fakes/drive-fake.js';
import type { Figure } from './report.js';

const FILES = 70_000;
const CALL_BUDGET = 75;

export interface DriveListingFigures {
  files: number;
  listed: number;
  listCalls: number;
  getCalls: number;
  seconds: number;
  peakRssMb: number;
}

/** Lists a 70,000-file archive from the fake; returns what it cost. */
export async function measureDriveListing(files = FILES): Promise<DriveListingFigures> {
  const fake = await new DriveFake().start();
  try {
    const root = populateArchive(fake, { files });
    fake.addRefreshToken('bench-refresh');
    const auth = newOAuthClient({ clientId: 'bench', clientSecret: 'bench', authUri: `${fake.http.url}/auth`, tokenUri: `${fake.http.url}/token` }, undefined);
    auth.setCredentials({ refresh_token: 'bench-refresh' });
    const source = createDriveSource({
      spec: resolveDriveSpec({ kind: 'gdrive', folderId: root }, { folderId: null, driveId: null, mimeTypes: ['application/pdf'], includeGoogleDocs: false }),
      auth,
      logger: silentLogger(),
      rootUrl: fake.rootUrl,
    });
    let listed = 0;
    let peak = process.memoryUsage().rss;
    const t0 = performance.now();
    for await (const doc of source.list({})) {
      if (doc.sourceId) listed += 1;
      if (listed % 5_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const seconds = (performance.now() - t0) / 1000;
    return { files, listed, listCalls: fake.listCalls, getCalls: source.calls.get, seconds, peakRssMb: Math.round(peak / 1024 / 1024) };
  } finally {
    await fake.stop();
  }
}

export async function runDriveListingBench(): Promise<Figure[]> {
  const m = await measureDriveListing();
  return [
    { bench: 'drive-listing', metric: `files.list calls for ${m.files.toLocaleString('en')} files`, value: m.listCalls, unit: 'calls', target: `≤ ${CALL_BUDGET}`, pass: m.listCalls <= CALL_BUDGET && m.listed === m.files, note: `${m.listed.toLocaleString('en')} listed, ${m.getCalls} get call(s)` },
    { bench: 'drive-listing', metric: `time to list ${m.files.toLocaleString('en')} files (fake Drive, local HTTP)`, value: m.seconds, unit: 's', note: 'real Drive adds ~0.3–1 s per call' },
    { bench: 'drive-listing', metric: 'peak RSS while listing (fake in-process)', value: m.peakRssMb, unit: 'MB', note: 'includes the fake Drive holding 70,000 files' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await runDriveListingBench();
  for (const f of figures) console.log(`${f.metric}: ${f.value.toFixed(f.unit === 's' ? 2 : 0)} ${f.unit}${f.target ? ` (target ${f.target}: ${f.pass ? 'pass' : 'FAIL'})` : ''}${f.note ? ` — ${f.note}` : ''}`);
}
