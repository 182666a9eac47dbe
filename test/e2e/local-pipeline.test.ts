/**
 * The zero-config default end to end, in process: local folder → real worker processes → SQLite. Covers the
 * project's own samples (every outcome the manifest promises) and a worker killed in the middle of a batch.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { getResult, searchResults } from '../../src/core/store/results.js';
import { silentLogger } from '../../src/logger.js';
import { createApp } from '../../src/main.js';
import type { App } from '../../src/main.js';
import { makeSamples } from '../../src/samples/make-samples.js';
import type { SampleManifest } from '../../src/samples/make-samples.js';
import { processesMatching } from '../helpers/processes.js';
import { writeTinyPdfs } from '../helpers/tiny-pdfs.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aseagi-pipeline-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function app(name: string, env: Record<string, string>): App {
  return createApp(loadConfig({ env: { LOCAL_WORKERS: '2', ...env }, dotenvPath: false }), silentLogger(), { dbPath: join(dir, `${name}.db`) });
}

function sessionWorkers(sessionId: string): number[] {
  return processesMatching('gpu-worker')
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/environ`, 'utf8').includes(`WORKER_ID=${sessionId}`);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

function workerPid(workerId: string): number | null {
  for (const p of processesMatching('gpu-worker')) {
    try {
      if (readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(`WORKER_ID=${workerId}`)) return p.pid;
    } catch {
      // gone
    }
  }
  return null;
}

describe('zero-config pipeline', () => {
  it('processes the project samples with the outcome each one promises', async () => {
    const samples = join(dir, 'samples');
    const manifest: SampleManifest = await makeSamples(samples);
    const a = app('samples', { OCR_ENGINE: 'auto' });
    try {
      const id = await a.engine.plan({ source: { kind: 'local', path: samples }, requestedBy: 'test' });
      const view = await a.engine.run(id);
      expect(view.status).toBe('completed');
      const key = `local:${samples}`;
      for (const entry of Object.values(manifest.files)) {
        const row = getResult(a.store.db, key, entry.file);
        expect(row, entry.file).toBeDefined();
        if (entry.expected.outcome === 'error') {
          expect(row).toMatchObject({ status: 'failed', error_code: entry.expected.errorCode });
        } else {
          expect(row?.status, entry.file).toBe('completed');
          expect(row?.pages, entry.file).toBe(entry.expected.pageCount);
          expect(row?.ocr_pages, entry.file).toBe(entry.expected.ocrPages);
          if (entry.expected.snippet) expect(row?.text.replace(/\s+/g, ' '), entry.file).toContain(entry.expected.snippet);
        }
      }
      expect(searchResults(a.store.db, 'DEMO-0001', 5).length).toBeGreaterThan(0);
    } finally {
      await a.close();
    }
  }, 240_000);

  it('a worker killed as it takes a batch: its batch is requeued, a new worker starts, the session completes exactly once', async () => {
    const folder = join(dir, 'many');
    await writeTinyPdfs(folder, 80);
    const a = app('kill', { OCR_ENGINE: 'none', BATCH_SIZE: '10' });
    let id: string;
    try {
      id = await a.engine.plan({ source: { kind: 'local', path: folder }, requestedBy: 'test' });
      let killed: number | null = null;
      a.engine.events.on('batch.started', (event) => {
        if (killed !== null || event.batchNo !== 3) return;
        const pid = workerPid(event.workerId);
        if (pid) {
          process.kill(pid, 'SIGKILL');
          killed = pid;
        }
      });
      const lost: string[] = [];
      a.engine.events.on('worker.lost', (e) => lost.push(e.workerId));
      const requeued: number[] = [];
      a.engine.events.on('batch.requeued', (e) => requeued.push(e.batchNo));
      const view = await a.engine.run(id);
      expect(killed).not.toBeNull();
      expect(view).toMatchObject({ status: 'completed', done: 80, failed: 0 });
      expect(lost.length).toBeGreaterThanOrEqual(1);
      expect(requeued).toContain(3);
      const rows = a.store.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT source_id) AS d FROM results WHERE session_id = ?').get(id);
      expect(rows).toEqual({ n: 80, d: 80 });
      const workers = a.store.db.prepare('SELECT COUNT(*) AS n FROM workers WHERE session_id = ?').get(id) as { n: number };
      expect(workers.n).toBeGreaterThanOrEqual(3);
    } finally {
      await a.close();
    }
    // Closing the app stopped every worker of the session.
    expect(sessionWorkers(id)).toEqual([]);
  }, 240_000);
});
