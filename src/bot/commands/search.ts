/** `/search <words>` (ranked hits with snippets from the result store) and `/docs` (what has been processed). */
import type { Composer } from 'grammy';
import { countSearchResults } from '../../core/store/results.js';
import { replyHtml } from '../messenger.js';
import type { BotContext, BotServices } from '../services.js';
import { recentResults, resultTotals } from '../store.js';
import { clockTime, count, escapeHtml, plural, safeName, snippetHtml, truncate } from '../text.js';

const HITS = 10;

export function registerSearch(bot: Composer<BotContext>, services: BotServices): void {
  bot.command('search', async (ctx) => {
    const query = ctx.match.trim();
    if (!query) return void (await replyHtml(ctx, 'Type words after /search, for example: <code>/search custody hearing</code>'));
    const hits = services.engine.search(query, HITS);
    const shown = escapeHtml(truncate(query, 80));
    if (hits.length === 0) return void (await replyHtml(ctx, `Nothing found for “${shown}”. Every word must appear in the document.`));
    const total = countSearchResults(services.db, query);
    const lines = [`<b>${plural(total, 'document')}</b> match “${shown}”${total > hits.length ? ` (the best ${hits.length} below)` : ''}:`];
    hits.forEach((hit, i) => {
      lines.push('', `${i + 1}. <b>${safeName(hit.name)}</b> · ${plural(hit.pages, 'page')}`, snippetHtml(hit.snippet));
    });
    await replyHtml(ctx, lines);
  });

  bot.command('docs', async (ctx) => {
    const totals = resultTotals(services.db);
    if (totals.documents === 0) return void (await replyHtml(ctx, 'No documents processed yet. /start_batch begins.'));
    const now = services.timers.now();
    const lines = [
      `<b>${plural(totals.documents, 'document')}</b> processed: ${count(totals.completed)} read, ${count(totals.failed)} could not be read.`,
      `${plural(totals.pages, 'page')} of text, ${count(totals.ocr_pages)} of them read by OCR.`,
      '',
      '<b>Most recent</b>:',
    ];
    for (const r of recentResults(services.db, 10)) {
      const what = r.status === 'completed' ? `${plural(r.pages, 'page')}${r.ocr_pages > 0 ? ` (${count(r.ocr_pages)} OCR)` : ''}` : `not read: ${safeName(r.error_code ?? r.status, 40)}`;
      lines.push(`• ${safeName(r.name, 80)} — ${what} · ${clockTime(r.processed_at, services.settings.timeZone, now)}`);
    }
    lines.push('', `/search finds words in them. Export on the server: <code>aseagi export --format csv</code>; the HTTP API is at ${escapeHtml(services.settings.apiUrl)}/docs.`);
    await replyHtml(ctx, lines);
  });
}
