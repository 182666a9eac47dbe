/**
 * `npm run demo`: makes the project's own sample documents and processes them with the zero-config default
 * (local folder, local CPU workers, SQLite), into a database of its own so it shows everything each time.
 */
import { rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Env } from '../config.js';
import { iterateResults } from '../core/store/results.js';
import type { Logger } from '../logger.js';
import { createApp } from '../main.js';
import { makeSamples } from '../samples/make-samples.js';
import { failedDocuments } from '../core/store/documents.js';
import { oneLine, renderTable, truncate } from './format.js';
import { summaryText } from './summary.js';

export async function runDemo(env: Env, logger: Logger): Promise<number> {
  const samples = resolve(env.DATA_DIR, 'samples');
  const dbPath = resolve(env.DATA_DIR, 'demo.db');
  process.stdout.write(`Making sample documents in ${samples} …\n`);
  await makeSamples(samples);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
  const app = createApp(env, logger, { dbPath });
  try {
    process.stdout.write(`Processing them with ${app.compute.describe()} …\n`);
    const sessionId = await app.engine.plan({ source: { kind: 'local', path: samples }, requestedBy: 'demo' });
    const view = await app.engine.run(sessionId);
    process.stdout.write(`\n${summaryText(view, failedDocuments(app.store.db, sessionId, 20))}\n\n`);
    const results = [...iterateResults(app.store.db, sessionId)].sort((a, b) => a.name.localeCompare(b.name));
    const rows = results.map((r) => [
      truncate(oneLine(r.name), 28),
      r.status === 'completed' ? 'ok' : `${r.status}: ${r.error_code ?? ''}`,
      r.pages,
      r.ocr_pages,
      r.words,
      truncate(oneLine(r.text.replace(/--- page \d+ ---/g, ' ').replace(/\s+/g, ' ').trim()), 60),
    ]);
    process.stdout.write(`${renderTable(['file', 'result', 'pages', 'OCR', 'words', 'text'], rows)}\n\n`);
    process.stdout.write(
      'The failures are deliberate: a damaged PDF, a password-protected one and a file that is not a document,\n' +
        'to show how problems are reported while everything else goes on.\n\n',
    );
    process.stdout.write(`Search it:  npx aseagi --db ${relative(process.cwd(), dbPath) || dbPath} search hearing\n`);
    return view.status === 'completed' ? 0 : 3;
  } finally {
    await app.close();
  }
}
