/** The bot's pure parts, table-driven: escaping, paging, amounts, quotes, the failure window, status texts. */
import { describe, expect, it } from 'vitest';
import { FailureWindow } from '../../src/bot/failure-window.js';
import { parseBudget } from '../../src/bot/quote-text.js';
import { priceRise, suggestBudget, toQuote } from '../../src/bot/quotes.js';
import { estimateForOffer } from '../../src/core/engine/offer-estimate.js';
import type { QuoteSheet } from '../../src/bot/quotes.js';
import { sourceFromInput } from '../../src/bot/settings.js';
import { statusHtml } from '../../src/bot/status-text.js';
import { MESSAGE_LIMIT, escapeHtml, pageLines, roughDuration, safeName, snippetHtml } from '../../src/bot/text.js';
import { SESSION_STATUSES } from '../../src/core/engine/statuses.js';
import type { SessionView } from '../../src/core/engine/types.js';
import { htmlProblem } from '../fakes/telegram-bot-api.js';
import { TestClock } from './harness.js';
import { testOffer } from './rental-compute.js';

describe('names and snippets', () => {
  it.each([
    ['a<b>&c.pdf', 'a&lt;b&gt;&amp;c.pdf'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['tab\tand\nnewline.pdf', 'tab and newline.pdf'],
    ['\u0007bell\u200Bzero.pdf', 'bellzero.pdf'],
    ['x'.repeat(200), `${'x'.repeat(119)}…`],
  ])('safeName(%j)', (input, expected) => {
    expect(safeName(input)).toBe(expected);
    expect(htmlProblem(safeName(input))).toBeNull();
  });

  it.each([
    ['the [custody] hearing', 'the <b>custody</b> hearing'],
    ['--- page 2 --- a [b] c', 'a <b>b</b> c'],
    ['stray ] and [ brackets <script>', 'stray ] and [ brackets &lt;script&gt;'],
    ['[a] & [b]', '<b>a</b> &amp; <b>b</b>'],
  ])('snippetHtml(%j)', (input, expected) => {
    expect(snippetHtml(input)).toBe(expected);
    expect(htmlProblem(snippetHtml(input))).toBeNull();
  });

  it('escapes the three characters HTML parse mode needs', () => {
    expect(escapeHtml('<&>"\'')).toBe('&lt;&amp;&gt;"\'');
  });
});

describe('paging to 4096 characters', () => {
  it('keeps lines whole and every page within the limit', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `• <b>document ${i}</b> — ${'word '.repeat(8)}`);
    const pages = pageLines(lines);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) {
      expect(page.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
      expect(htmlProblem(page)).toBeNull();
    }
    expect(pages.join('\n').split('\n')).toEqual(lines);
  });

  it('cuts a single over-long line without breaking its tags or entities', () => {
    const [page] = pageLines([`<b>${'&amp;'.repeat(1000)}</b>`]);
    expect(page!.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    expect(htmlProblem(page!)).toBeNull();
  });

  it('never sends an empty message', () => {
    expect(pageLines([])).toEqual(['—']);
  });
});

describe('amounts and durations', () => {
  it.each([
    ['25', 25],
    ['$7.50', 7.5],
    ['1,000', 1000],
    [' 12 ', 12],
    ['12 usd', 12],
    ['0', null],
    ['-5', null],
    ['lots', null],
    ['7.555', null],
    ['1e3', null],
    ['200000', null],
  ])('parseBudget(%j) = %j', (input, expected) => {
    expect(parseBudget(input)).toBe(expected);
  });

  it.each([
    [null, 'an unknown time'],
    [12, 'under a minute'],
    [90, 'about 2 min'],
    [3_599, 'about 60 min'],
    [7_530, 'about 2h 06m'],
    [200_000, 'about 2d 7h'],
  ])('roughDuration(%j) = %j', (seconds, expected) => {
    expect(roughDuration(seconds)).toBe(expected);
  });
});

describe('quotes', () => {
  const sheet = (confirmed: number | null, prices: number[]): QuoteSheet => ({
    sessionId: 's',
    quotedAt: 0,
    documents: 1000,
    bytes: 0,
    spentUsd: 0,
    budgetUsd: null,
    pauseReason: null,
    startedBefore: true,
    confirmedPricePerHour: confirmed,
    creditUsd: null,
    quotes: prices.map((p, i) => toQuote(estimateForOffer({ documents: 1000, totalBytes: null, batchSize: 100, instances: 1 }, testOffer(`o${i}`, `GPU ${i}`, p, 3.6)))),
    problem: null,
  });

  it('prices what is left: one hour of a $0.50 machine for 1,000 documents at 3.6 s each', () => {
    const [q] = sheet(null, [0.5]).quotes;
    expect(q).toMatchObject({ pricePerHour: 0.5, estimatedUsd: 0.5, hours: 1 });
    expect(suggestBudget(0, q!)).toBe(1);
    expect(suggestBudget(2.2, { ...q!, estimatedUsd: 10 })).toBe(15);
  });

  it.each([
    [null, [0.5], null],
    [0.4, [0.4, 0.6], null],
    [0.4, [0.45, 0.6], { confirmed: 0.4, best: 0.45 }],
    [0.4, [], null],
  ])('confirmed %j, offers %j → rise %j', (confirmed, prices, expected) => {
    expect(priceRise(sheet(confirmed, prices))).toEqual(expected);
  });

  it('reads a typed folder as the default kind of source', () => {
    expect(sourceFromInput('https://drive.google.com/drive/folders/1AbC_d-9?usp=sharing', { kind: 'gdrive', folderId: 'x' })).toEqual({ kind: 'gdrive', folderId: '1AbC_d-9' });
    expect(sourceFromInput('/srv/cases', { kind: 'local', path: '/data/inbox' })).toEqual({ kind: 'local', path: '/srv/cases' });
  });
});

describe('the failure window', () => {
  it('tells the first at once, then at most one message per window, and what is left on flush', () => {
    const clock = new TestClock();
    // Only the test moves time here: a millisecond of real time must not make a window end early.
    clock.freeze();
    const told: string[] = [];
    const window = new FailureWindow(clock, 30_000, (kind, failures) => told.push(`${kind}:${failures.map((f) => f.name).join(',')}`));
    window.add({ code: 'corrupt', name: 'a' });
    window.add({ code: 'corrupt', name: 'b' });
    window.add({ code: 'encrypted', name: 'c' });
    expect(told).toEqual(['first:a']);
    clock.advance(29_999);
    expect(told).toEqual(['first:a']);
    clock.advance(1);
    expect(told).toEqual(['first:a', 'burst:b,c']);
    clock.advance(30_000); // a quiet window closes
    window.add({ code: 'timeout', name: 'd' });
    expect(told.at(-1)).toBe('first:d');
    window.add({ code: 'timeout', name: 'e' });
    window.flush();
    expect(told).toEqual(['first:a', 'burst:b,c', 'first:d', 'burst:e']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('status texts', () => {
  const view = (status: SessionView['status']): SessionView => ({
    session_id: 'batch_session_1_abcd',
    status,
    pause_reason: status === 'paused' ? 'interrupted' : null,
    message: status === 'failed' ? 'disk <full> & gone' : null,
    source: 'folder /data/<odd> & name',
    compute: 'local',
    total_documents: 10,
    done: 4,
    failed: 1,
    skipped: 0,
    remaining: 5,
    total_batches: 2,
    completed_batches: 1,
    failed_batches: 0,
    progress_percentage: 50,
    pages: 40,
    ocr_pages: 3,
    bytes_processed: 1,
    created_at: '',
    started_at: null,
    finished_at: null,
    active_seconds: 60,
    documents_per_minute: 5,
    eta_seconds: 60,
    estimated_completion: null,
    compute_cost: 0,
    analysis_cost: 0,
    total_cost: 0,
    budget: null,
    workers: [{ id: 'w', label: 'local #1 <x>', status: 'ready', pricePerHour: 0, costUsd: 0 }],
    current_batch: null,
    current_batches: [],
  });

  it.each(SESSION_STATUSES.map((s) => [s]))('renders %s as valid Telegram HTML with what happens next', (status) => {
    const text = statusHtml(view(status), { timeZone: 'UTC', now: Date.UTC(2026, 0, 1, 12), nightlyAt: Date.UTC(2026, 0, 2, 2) });
    expect(htmlProblem(text)).toBeNull();
    expect(text).toContain('folder /data/&lt;odd&gt; &amp; name');
    if (status !== 'running') expect(text.split('\n').length).toBeGreaterThan(5);
    if (status === 'paused') expect(text).toContain('It resumes by itself at 2026-01-02 02:00, or now with /resume.');
  });
});
