/**
 * The batch endpoints end to end: real HTTP requests to the running service, a real engine on SQLite, real local
 * worker processes turning small text PDFs into text.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, fakeDriveSource, startApiFixture, waitFor, waitForEnd, whenPauseRequested, writePdfs } from './helpers/api-fixture.js';
import type { ApiFixture } from './helpers/api-fixture.js';

const TOKEN = 'test-token-0123456789abcdef';
let fixture: ApiFixture | null = null;

afterEach(async () => {
  await fixture?.close();
  fixture = null;
});

describe('POST /batch/start → GET /batch/status → search, failures, checkpoints', { timeout: 120_000 }, () => {
  it('processes a local folder in the background and reports with the seed\'s field names', async () => {
    fixture = await startApiFixture({ token: TOKEN });
    const folder = join(fixture.dir, 'cases');
    await writePdfs(folder, 4, 'case');
    writeFileSync(join(folder, 'broken.pdf'), '%PDF-1.7\nthis is not really a PDF at all\n%%EOF\n');

    const started = await fixture.request('POST', '/batch/start', { body: { folder_id: folder, batch_size: 2, max_documents: null, mime_types: ['application/pdf'] } });
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ status: 'running', total_documents: 5, total_batches: 3, completed_batches: 0, failed_batches: 0, progress_percentage: 0 });
    expect(started.json.session_id).toMatch(/^batch_session_\d+_[0-9a-f]{4}$/);
    expect(started.json.started_at).not.toBeNull();

    const end = await waitForEnd(fixture, started.json.session_id);
    expect(end).toMatchObject({ status: 'completed', total_documents: 5, done: 4, failed: 1, total_batches: 3, progress_percentage: 100, total_cost: 0, current_batch: null });

    const latest = await fixture.request('GET', '/batch/status');
    expect(latest.json.session_id).toBe(started.json.session_id);

    const search = await fixture.request('GET', '/documents/search?q=markercase3');
    expect(search.status).toBe(200);
    expect(search.json).toMatchObject({ query: 'markercase3', total: 1, results: [{ name: 'case-3.pdf', session_id: started.json.session_id }] });
    expect(search.json.results[0].snippet).toContain('[markercase3]');
    const everything = await fixture.request('GET', '/documents/search?q=custody&limit=2&offset=1');
    expect(everything.json).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(everything.json.results).toHaveLength(2);

    const failed = await fixture.request('GET', '/documents/failed');
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ session_id: started.json.session_id, total_failed: 1, documents: [{ name: 'broken.pdf' }] });
    expect(Object.values(failed.json.by_code)).toEqual([1]);
    expect(failed.json.documents[0].error_code).toBe(Object.keys(failed.json.by_code)[0]);

    const checkpoints = await fixture.request('GET', `/checkpoints?session_id=${started.json.session_id}`);
    expect(checkpoints.json.checkpoints.map((c: { file: string }) => c.file).sort()).toEqual(['checkpoint_1.json', 'checkpoint_2.json', 'checkpoint_3.json']);

    const estimate = await fixture.request('GET', `/batch/estimate?session_id=${started.json.session_id}`);
    expect(estimate.json).toMatchObject({ total_documents: 0, cost_per_hour: 0, total_cost: 0 });
  });

  it('retries the failed documents in a new session', async () => {
    fixture = await startApiFixture({ token: TOKEN });
    const folder = join(fixture.dir, 'mixed');
    await writePdfs(folder, 1, 'ok');
    writeFileSync(join(folder, 'broken.pdf'), '%PDF-1.4\ngarbage\n');
    const first = await fixture.request('POST', '/batch/start', { body: { folder } });
    await waitForEnd(fixture, first.json.session_id);

    const retry = await fixture.request('POST', '/documents/failed/retry', { body: { session_id: first.json.session_id } });
    expect(retry.status).toBe(200);
    expect(retry.json.session_id).not.toBe(first.json.session_id);
    expect(retry.json).toMatchObject({ total_documents: 1 });
    const end = await waitForEnd(fixture, retry.json.session_id);
    expect(end).toMatchObject({ status: 'completed', failed: 1, done: 0 });

    const nothing = await fixture.request('POST', '/documents/failed/retry', { body: { session_id: retry.json.session_id, code: 'no_such_code' } });
    expect(nothing.status).toBe(404);
    expect(nothing.json.error.code).toBe('nothing_to_retry');
  });

  it('reads the inbox when no folder is given, and answers 422 for a missing or empty folder', async () => {
    fixture = await startApiFixture({ token: TOKEN });
    const empty = await fixture.request('POST', '/batch/start', { body: {} });
    expect(empty.status).toBe(422);
    expect(empty.json.error.code).toBe('no_documents');

    const missing = await fixture.request('POST', '/batch/start', { body: { folder: join(fixture.dir, 'nope') } });
    expect(missing.status).toBe(422);
    expect(missing.json.error).toMatchObject({ code: 'folder_not_found' });
    expect(missing.text).not.toMatch(/\n\s+at /);

    await writePdfs(fixture.inbox, 2, 'inbox');
    const started = await fixture.request('POST', '/batch/start', { body: { folder_id: null } });
    expect(started.status).toBe(200);
    expect(started.json.source).toContain(fixture.inbox);
    await waitForEnd(fixture, started.json.session_id);
  });
});

describe('POST /batch/stop and POST /batch/resume/{checkpoint}', { timeout: 120_000 }, () => {
  it('pauses a running session, refuses a second start meanwhile, and resumes from a checkpoint to completion', async () => {
    fixture = await startApiFixture({ token: TOKEN, env: { BATCH_SIZE: '1' } });
    await writePdfs(fixture.inbox, 4, 'held');
    const held = deferred();
    // The first batch goes through; the second waits in `locate` until released: the session is caught running.
    fixture.gate = (dispatch) => (dispatch >= 2 ? held.promise : null);
    const started = await fixture.request('POST', '/batch/start', { body: {} });
    const id = started.json.session_id as string;
    await waitFor('checkpoint_1', async () => ((await fixture!.request('GET', `/checkpoints?session_id=${id}`)).json.total >= 1 ? true : undefined));
    const running = await fixture.request('GET', '/batch/status');
    expect(running.json).toMatchObject({ session_id: id, status: 'running', completed_batches: 1 });
    const health = await fixture.request('GET', '/health', { token: null });
    expect(health.json.current_session).toBe(id);

    const second = await fixture.request('POST', '/batch/start', { body: {} });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('session_running');

    const pauseRequested = whenPauseRequested(fixture.app);
    const stopping = fixture.request('POST', '/batch/stop');
    await pauseRequested;
    fixture.gate = null;
    held.resolve();
    const stopped = await stopping;
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ session_id: id, status: 'paused' });
    expect(stopped.json.message).toContain('Session stopped successfully');
    const paused = await fixture.request('GET', `/batch/status?session_id=${id}`);
    expect(paused.json).toMatchObject({ status: 'paused', pause_reason: 'user', done: 1, completed_batches: 1 });

    const notRunning = await fixture.request('POST', '/batch/stop', { body: { session_id: id } });
    expect(notRunning.status).toBe(409);
    expect(notRunning.json.error.code).toBe('not_running');

    const resumed = await fixture.request('POST', '/batch/resume/checkpoint_1.json');
    expect(resumed.status).toBe(200);
    expect(resumed.json).toMatchObject({ message: 'Session resumed successfully', session_id: id, completed_batches: 1, total_batches: 4 });
    const end = await waitForEnd(fixture, id);
    expect(end).toMatchObject({ status: 'completed', done: 4 });

    const again = await fixture.request('POST', '/batch/resume/checkpoint_1');
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('session_finished');
  });

  it('stops a paused session for good with final: true', async () => {
    fixture = await startApiFixture({ token: TOKEN });
    await writePdfs(fixture.inbox, 2, 'final');
    const held = deferred();
    fixture.gate = () => held.promise;
    const started = await fixture.request('POST', '/batch/start', { body: {} });
    const id = started.json.session_id as string;
    const pauseRequested = whenPauseRequested(fixture.app);
    const pausing = fixture.request('POST', '/batch/stop');
    await pauseRequested;
    held.resolve();
    expect((await pausing).json).toMatchObject({ session_id: id, status: 'paused' });
    const stopped = await fixture.request('POST', '/batch/stop', { body: { session_id: id, final: true } });
    expect(stopped.json).toMatchObject({ session_id: id, status: 'stopped' });
    expect(stopped.json.message).toContain('for good');
    const resume = await fixture.request('POST', `/batch/resume/${id}`);
    expect(resume.status).toBe(409);
    expect(resume.json.error.code).toBe('session_finished');
  });
});

describe('Google Drive, when configured', { timeout: 120_000 }, () => {
  it('lists a folder for preview and starts a session on a Drive folder id', async () => {
    const names = ['case_document_001.pdf', 'case_document_002.pdf', 'case_document_003.pdf'];
    const opened: (string | null)[] = [];
    fixture = await startApiFixture({
      token: TOKEN,
      drive: ({ inbox }) => ({
        access: {
          spec: (folderId) => ({ kind: 'gdrive', folderId: folderId ?? 'DEFAULT_FOLDER' }),
          open: (folderId) => fakeDriveSource(inbox, folderId ?? 'DEFAULT_FOLDER', names),
        },
        open: (spec) => {
          if (spec.kind !== 'gdrive') return null;
          opened.push(spec.folderId as string | null);
          return fakeDriveSource(inbox, spec.folderId as string | null, names);
        },
      }),
    });
    for (const [i, name] of names.entries()) await writePdfs(fixture.inbox, 1, `drive${i}`).then(() => renameInto(fixture!.inbox, `drive${i}-1.pdf`, name));

    const preview = await fixture.request('GET', '/drive/documents?max_results=2&folder_id=1FoLdEr');
    expect(preview.status).toBe(200);
    expect(preview.json.total_documents).toBe(2);
    expect(preview.json.source).toContain('1FoLdEr');
    expect(preview.json.documents[0]).toEqual({
      id: '1DrIvE0000',
      name: 'case_document_001.pdf',
      mime_type: 'application/pdf',
      size_mb: 2.5,
      modified_time: '2025-11-01T10:00:00.000Z',
      web_view_link: 'https://drive.google.com/file/d/1DrIvE0000/view',
    });

    const started = await fixture.request('POST', '/batch/start', { body: { folder_id: '1FoLdEr' } });
    expect(started.status).toBe(200);
    expect(opened).toContain('1FoLdEr');
    const end = await waitForEnd(fixture, started.json.session_id);
    expect(end).toMatchObject({ status: 'completed', done: 3, source: 'Google Drive folder 1FoLdEr' });
  });
});

/** writePdfs names files by prefix; the Drive fake serves them under the names Drive would list. */
function renameInto(folder: string, from: string, to: string): void {
  renameSync(join(folder, from), join(folder, to));
}
