/**
 * Notifications from a real run: progress every NOTIFY_EVERY_BATCHES (50) batches, document failures coalesced
 * (the first at once, then one message per 30-second window with counts by code and the first names), the
 * completion summary last; a lost worker, and the budget cap, each told plainly with what happens next.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, BOB, createHarness, destroyHarness, writeJunk, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';
import { Gate, createGatedCompute } from './gated-compute.js';
import { createRentalCompute } from './rental-compute.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

const TEAM = -1_001_234;

describe('notifications', () => {
  it('tells progress every 50 batches, coalesces failures, and ends with the summary', async () => {
    h = await createHarness({ env: { BATCH_SIZE: '1', NOTIFY_CHAT_IDS: String(TEAM) } });
    await writePdfs(h.inbox, 100);
    // Not documents, placed by name (the folder is listed in name order): three before batch 50, three after.
    for (const n of ['010', '020', '030', '070', '080', '090']) writeJunk(h.inbox, `notice-${n}x.pdf`);
    // Half-way, 30 seconds pass: the failures collected so far are told as one message.
    const clock = h.clock;
    h.app.engine.events.on('batch.completed', (e) => {
      if (e.completedBatches === 50) clock.advance(30_000);
    });
    const ended = h.nextEvent('session.completed');
    await h.send(`/start_batch ${h.inbox}`);
    const { sessionId } = await ended;
    await h.settle();

    const team = h.texts(TEAM);
    expect(h.texts(BOB)).toEqual([]); // NOTIFY_CHAT_IDS replaces the default (the allowed users)
    expect(h.texts(ALICE).every((t) => !t.startsWith('<b>Progress'))).toBe(true);

    const progress = team.filter((t) => t.startsWith('<b>Progress</b>'));
    expect(progress.map((t) => /(\d+) of 106 batches/.exec(t)?.[1])).toEqual(['50', '100']);
    expect(progress[0]).toMatch(/\d+ documents done, \d+ could not be read, \d+ left\./);

    const failedBatches = h.db.prepare(`SELECT batch_no FROM documents WHERE session_id = ? AND status = 'failed' ORDER BY batch_no`).all(sessionId);
    expect(failedBatches.map((r) => (r as { batch_no: number }).batch_no)).toEqual([11, 22, 33, 74, 85, 96]);
    const failureMessages = team.filter((t) => /could not be read: /.test(t) && !t.startsWith('<b>'));
    expect(failureMessages).toHaveLength(3);
    // The first at once; the next two grouped when the 30 seconds passed; the last three at the end.
    expect(failureMessages[0]).toMatch(/^One document could not be read: notice-010x\.pdf — unsupported_type \(not a PDF or image\)\./);
    expect(failureMessages[1]).toMatch(/^2 more documents could not be read: unsupported_type \(not a PDF or image\): 2\.\nFirst ones: notice-020x\.pdf, notice-030x\.pdf\./);
    expect(failureMessages[2]).toMatch(/^3 more documents could not be read: unsupported_type \(not a PDF or image\): 3\.\nFirst ones: notice-070x\.pdf, notice-080x\.pdf, notice-090x\.pdf\./);
    expect(team.indexOf(failureMessages[1]!)).toBeGreaterThan(team.indexOf(progress[0]!)); // told at the 50th batch

    const summary = team.at(-1)!;
    expect(summary).toMatch(/^<b>Finished<\/b>/);
    expect(summary).toContain('106 documents: 100 done, 6 could not be read, 0 skipped');
    expect(summary).toContain('100 pages, 0 of them read by OCR.');
    expect(summary).toContain('Not read: unsupported_type (not a PDF or image): 6.');
    expect(summary).toMatch(/Took \d+(s|m \d\ds)\. Cost: \$0\.00\./);
    expect(team.indexOf(failureMessages[2]!)).toBe(team.length - 2); // the last failures just before the summary
  });

  it('tells when a worker is lost, and the work goes on', async () => {
    const gate = new Gate();
    h = await createHarness({ env: { BATCH_SIZE: '1' }, compute: (env, logger) => createGatedCompute(env, logger, gate) });
    await writePdfs(h.inbox, 3);
    gate.close();
    const ready = h.nextEvent('worker.ready');
    await h.send(`/start_batch ${h.inbox}`);
    await ready;
    await h.fake.waitFor(() => gate.waiting === 1, 30_000, 'the first batch at the gate');
    // Our own worker process (a child of this test process, started by the engine): ended by its pid.
    const pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'gpu-worker'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
    expect(pids).toHaveLength(1);
    const lost = h.nextEvent('worker.lost');
    const ended = h.nextEvent('session.completed', 'session.paused');
    process.kill(pids[0]!, 'SIGKILL');
    gate.open(); // the batch now meets the dead worker; it goes back to the queue and a new worker takes it
    await lost;
    expect((await ended).type).toBe('session.completed');
    await h.settle();
    const notice = h.texts(ALICE).find((t) => t.startsWith('A machine stopped working'))!;
    expect(notice).toContain('local #1');
    expect(notice).toContain('Its unfinished documents go back to the queue: nothing is lost, nothing is paid twice.');
    expect(h.texts(ALICE)).toContain('A replacement machine is working: local #2. The work continues.');
    expect(h.texts(ALICE).at(-1)).toContain('3 documents: 3 done');
  });

  it('tells the team when the service shuts down mid-run; the session waits, paused, for the night or /resume', async () => {
    const gate = new Gate();
    h = await createHarness({ env: { BATCH_SIZE: '1' }, compute: (env, logger) => createGatedCompute(env, logger, gate) });
    await writePdfs(h.inbox, 2);
    gate.close();
    const started = h.nextEvent('session.started');
    await h.send(`/start_batch ${h.inbox}`);
    const { sessionId } = await started;
    await h.fake.waitFor(() => gate.waiting === 1, 30_000, 'the first batch at the gate');
    await h.close();
    expect(h.texts(BOB).at(-1)).toMatch(/^The service is shutting down: folder .* pauses now, with 0 documents done and kept\. It resumes by itself at (\S+ )?02:00, or with \/resume once the service is back\.$/);
    h.open();
    expect(h.app.engine.view(sessionId)).toMatchObject({ status: 'paused', pause_reason: 'shutdown' });
    await h.send('/resume');
    expect((await h.message(/Batches you can continue/)).text).toContain('the service was shut down');
  });

  it('tells when the budget cap is reached; the session then waits for a higher cap', async () => {
    h = await createHarness({ env: { BATCH_SIZE: '1' }, compute: (env, logger, clock) => createRentalCompute(env, logger, () => clock.now()) });
    await writePdfs(h.inbox, 4);
    const clock = h.clock;
    h.app.engine.events.on('batch.completed', (e) => {
      if (e.completedBatches === 1) clock.advance(5 * 3_600_000); // five hours at $0.40/h: $2 of a $1 cap
    });
    await h.send('/start_batch');
    await h.tap(await h.message(/Which documents\?/), 'Use the default');
    await h.tap(await h.message(/Machines available now/), /^RTX 4090/);
    const paused = h.nextEvent('session.paused');
    await h.tap(await h.message(/Please confirm/), 'Confirm');
    const { reason, sessionId } = await paused;
    expect(reason).toBe('budget');
    await h.settle();
    const notice = h.texts(BOB).find((t) => t.startsWith('<b>Budget reached</b>'))!;
    expect(notice).toMatch(/\$2\.\d\d spent of the \$1\.00 cap/);
    expect(notice).toContain('nothing more is spent');
    expect(notice).toContain('/resume and set a higher budget');
    expect(h.texts(BOB).some((t) => t.startsWith('<b>Paused</b>'))).toBe(false); // one message, not two
    expect(h.app.engine.view(sessionId)!.done).toBe(1);

    await h.send('/resume');
    await h.tap(await h.message(/Batches you can continue/), /^Resume: /);
    const offers = await h.message(/It paused at its budget cap/);
    await h.tap(offers, /^RTX 4090/);
    const confirm = await h.message(/Please confirm/);
    expect(confirm.text).toMatch(/plus \$2\.\d\d already spent/);
    expect(Number(/Budget cap: <b>\$(\d+)\.00<\/b>/.exec(confirm.text)![1])).toBeGreaterThanOrEqual(3);
    const ended = h.nextEvent('session.completed');
    await h.tap(confirm, 'Confirm');
    await ended;
    expect(h.app.engine.view(sessionId)!.done).toBe(4);
  });
});
