/**
 * The rest of the commands against a real engine: the menu, /start and /help, /estimate (start or discard what it
 * counted), /failed with Retry, /search, /docs, /checkpoints, /balance and /offers with and without a renting
 * provider. File names from the folder are shown escaped, without control or bidi characters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getSession } from '../../src/core/store/sessions.js';
import { COMMANDS } from '../../src/bot/commands/help.js';
import { FAKE_TOKEN } from '../fakes/telegram-bot-api.js';
import { ALICE, createHarness, destroyHarness, writeJunk, writePdfs } from './harness.js';
import type { BotHarness } from './harness.js';
import { createRentalCompute } from './rental-compute.js';

let h: BotHarness | undefined;
afterEach(async () => destroyHarness(h));

/** Runs the inbox to the end through /start_batch <folder>; returns the session id. */
async function runInbox(harness: BotHarness): Promise<string> {
  const ended = harness.nextEvent('session.completed', 'session.paused', 'session.failed');
  await harness.send(`/start_batch ${harness.inbox}`);
  const end = await ended;
  expect(end.type).toBe('session.completed');
  await harness.settle();
  return end.sessionId;
}

describe('commands', () => {
  it('registers the command menu and explains itself on /start and /help', async () => {
    h = await createHarness();
    await h.telegram.registerCommands();
    const menu = h.fake.callsTo('setMyCommands')[0]!.payload.commands as { command: string }[];
    expect(menu.map((c) => c.command)).toEqual(COMMANDS.map((c) => c.command));
    for (const name of ['start_batch', 'estimate', 'status', 'stop', 'resume', 'balance', 'offers', 'docs', 'checkpoints', 'failed', 'search', 'help']) {
      expect(menu.map((c) => c.command)).toContain(name);
    }
    await h.send('/start');
    const help = await h.message(/turns documents into searchable text/);
    expect(help.text).toContain('Work runs on this machine at no cost');
    expect(help.text).toContain('/start_batch — ');
    await h.send('/help');
    expect(h.texts().filter((t) => t.includes('turns documents into searchable text'))).toHaveLength(2);
  });

  it('/estimate counts and prices a folder without starting; Start runs that very session, Discard drops one', async () => {
    h = await createHarness();
    await writePdfs(h.inbox, 3);
    await h.send('/estimate');
    const estimate = await h.message(/to process ·/);
    expect(estimate.text).toContain('<b>3 documents</b> to process');
    expect(estimate.text).toContain('at no cost');
    expect(estimate.text).toContain('Nothing has started');
    const planned = h.events.filter((e) => e.type === 'session.planned');
    expect(planned).toHaveLength(1);
    const sessionId = planned[0]!.sessionId;
    expect(getSession(h.db, sessionId)!.status).toBe('planned');

    const ended = h.nextEvent('session.completed');
    await h.tap(estimate, 'Start this batch');
    expect((await ended).sessionId).toBe(sessionId);
    expect(h.events.filter((e) => e.type === 'session.planned')).toHaveLength(1);

    await writePdfs(h.inbox, 1, 'later');
    await h.send('/estimate');
    const second = await h.fake.waitFor(() => {
      const m = h!.fake.lastMessage(ALICE, /to process ·/);
      return m && m.messageId !== estimate.messageId ? m : undefined;
    });
    expect(second.text).toContain('<b>1 document</b> to process');
    expect(second.text).toContain('3 documents already done before will be skipped.');
    await h.tap(second, 'Discard');
    await h.message(/Discarded\. Nothing was started\./);
    const discarded = h.events.filter((e) => e.type === 'session.planned')[1]!.sessionId;
    expect(getSession(h.db, discarded)!.status).toBe('stopped');
  });

  it('/failed groups failures by code with names (escaped) and retries them; /search, /docs, /checkpoints', async () => {
    h = await createHarness({ env: { BATCH_SIZE: '2', CHECKPOINT_EVERY: '2' } });
    await writePdfs(h.inbox, 5);
    writeJunk(h.inbox, 'minutes <draft> & notes\u202Efdp.exe.pdf');
    writeJunk(h.inbox, 'receipt.pdf');
    const sessionId = await runInbox(h);

    await h.send('/failed');
    const failed = await h.message(/could not be read<\/b>/);
    expect(failed.text).toContain('<b>2 documents could not be read</b>');
    expect(failed.text).toContain('unsupported_type (not a PDF or image): 2 — minutes &lt;draft&gt; &amp; notesfdp.exe.pdf, receipt.pdf');
    expect(failed.text).not.toContain('\u202E');
    expect(Object.keys(h.fake.buttons(failed))).toContain('Retry all 2');

    const retried = h.nextEvent('session.completed');
    await h.tap(failed, 'Retry all 2');
    const retry = await retried;
    expect(retry.sessionId).not.toBe(sessionId);
    expect(retry.summary.totalDocuments).toBe(2);
    expect(retry.summary.failuresByCode).toEqual({ unsupported_type: 2 });

    await h.send('/search custody schedule');
    const hits = await h.message(/match “custody schedule”/);
    expect(hits.text).toContain('<b>5 documents</b> match');
    expect(hits.text).toMatch(/<b>notice-00\d\.pdf<\/b> · 1 page\n.*<b>custody<\/b> <b>schedule<\/b>/);
    expect(hits.text).not.toContain('--- page');
    await h.send('/search');
    await h.message(/Type words after \/search/);
    await h.send('/search zebra');
    await h.message(/Nothing found for “zebra”/);

    await h.send('/docs');
    const docs = await h.message(/processed: /);
    expect(docs.text).toContain('<b>7 documents</b> processed: 5 read, 2 could not be read.');
    expect(docs.text).toContain('minutes &lt;draft&gt;');

    await h.send('/checkpoints');
    const checkpoints = await h.message(/<b>Checkpoints<\/b>/);
    expect(checkpoints.text).toContain('checkpoint_2 — 2 batches');
    expect(h.fake.buttons(checkpoints)).toEqual({}); // the session is finished: nothing to resume
  });

  it('/balance and /offers say how to configure Vast.ai when it is not, and show credit and offers when it is', async () => {
    h = await createHarness();
    await h.send('/balance');
    await h.message(/Vast\.ai is not configured \(set VAST_AI_API_KEY\)/);
    await h.send('/offers');
    expect(h.texts().filter((t) => t.includes('Vast.ai is not configured (set VAST_AI_API_KEY)'))).toHaveLength(2);
    await destroyHarness(h);

    h = await createHarness({ compute: (env, logger) => createRentalCompute(env, logger) });
    await h.send('/balance');
    expect((await h.message(/Vast\.ai credit/)).text).toContain('<b>$50.00</b>');
    await h.send('/offers');
    const offers = await h.message(/Machines for rent now/);
    expect(offers.text).toContain('RTX 4090 · 24 GB · Test A — $0.40/h ($0.22), 99% reliable');
    expect(offers.text).toContain('RTX 3090 · 24 GB · Test B — $0.25/h ($0.28)');
    expect(offers.text.indexOf('Test A')).toBeLessThan(offers.text.indexOf('Test B'));

    await writePdfs(h.inbox, 2);
    await h.send('/estimate');
    const estimate = await h.message(/to process ·/);
    expect(estimate.text).toContain('On one rented machine:');
    expect(estimate.text).toContain('• RTX 4090 · 24 GB · Test A at $0.40/h: about $0.00, under a minute');
    expect(estimate.text).toContain('Nothing has started and nothing is rented.');
    await h.tap(estimate, 'Start this batch');
    await h.message(/Machines available now/);
  });

  it('never sends a registered secret', async () => {
    h = await createHarness();
    h.telegram.notifier.tell(`an integration said: bad token ${FAKE_TOKEN}`);
    await h.settle();
    expect(h.texts(ALICE).at(-1)).toBe('an integration said: bad token [REDACTED]');
  });
});
