/**
 * `/failed`: a session's failures grouped by error code, with the first few names, and Retry buttons (all, or one
 * code). A retry is a new session of just those documents, started like any other (asking first when renting).
 */
import type { Composer } from 'grammy';
import { describeError } from '../../core/errors.js';
import { failedDocuments, failureCountsByCode } from '../../core/store/documents.js';
import type { FailureRow } from '../../core/store/documents.js';
import { getSession } from '../../core/store/sessions.js';
import { CALLBACK, listKeyboard, parseRetry } from '../keyboards.js';
import { replyHtml } from '../messenger.js';
import { codeLabel } from '../notice-text.js';
import type { BotContext, BotServices } from '../services.js';
import { latestSessionWithFailures } from '../store.js';
import { count, escapeHtml, plural, safeName, truncate } from '../text.js';
import { enterStartBatch, refuseWhileBusy } from './enter.js';

const NAMES_PER_CODE = 3;
/** Codes for which trying again can succeed without anyone changing the file. */
const WORTH_RETRYING = new Set(['timeout', 'fetch_failed', 'worker_crashed', 'internal', 'not_found', 'access_denied']);

export function failuresHtml(sessionLabel: string, sessionId: string, counts: readonly { code: string; n: number }[], rows: readonly FailureRow[]): string[] {
  const total = counts.reduce((sum, c) => sum + c.n, 0);
  const lines = [`<b>${plural(total, 'document')} could not be read</b> · ${safeName(sessionLabel, 120)}`];
  for (const { code, n } of counts) {
    const names = rows.filter((r) => (r.last_error_code ?? 'unknown') === code).slice(0, NAMES_PER_CODE).map((r) => safeName(r.name, 80));
    const more = n > names.length ? `, and ${count(n - names.length)} more` : '';
    lines.push(`• ${codeLabel(code)}: ${count(n)} — ${names.join(', ')}${more}`);
  }
  lines.push('', 'Retry makes a new batch of just these documents. It helps for time-outs and download errors; a damaged or password-protected file fails again until it is replaced (known passwords go in PDF_PASSWORDS).');
  lines.push(`<i>Session ${safeName(sessionId)}</i>`);
  return lines;
}

export function registerFailed(bot: Composer<BotContext>, services: BotServices): void {
  bot.command('failed', async (ctx) => {
    const { db } = services;
    const named = ctx.match.trim();
    const session = named ? getSession(db, named) : latestSessionWithFailures(db);
    if (!session) return void (await replyHtml(ctx, named ? `There is no session ${safeName(named)}.` : 'No failures: every document so far was read.'));
    const counts = failureCountsByCode(db, session.id);
    if (counts.length === 0) return void (await replyHtml(ctx, 'No failures in that session: every document was read.'));
    const rows = failedDocuments(db, session.id, 2_000);
    const buttons = [{ text: `Retry all ${count(counts.reduce((s, c) => s + c.n, 0))}`, data: CALLBACK.retry(session.id, null) }];
    for (const { code, n } of counts.slice(0, 6)) {
      if (counts.length > 1 || WORTH_RETRYING.has(code)) buttons.push({ text: `Retry ${truncate(code, 20)} (${count(n)})`, data: CALLBACK.retry(session.id, code) });
    }
    await replyHtml(ctx, failuresHtml(session.source_label, session.id, counts, rows), { keyboard: listKeyboard(buttons) });
  });

  bot.callbackQuery(/^rf:/, async (ctx) => {
    await ctx.answerCallbackQuery();
    const retry = parseRetry(ctx.callbackQuery.data);
    if (!retry || (await refuseWhileBusy(ctx, services))) return;
    let newId: string;
    try {
      newId = services.engine.retryFailed(retry.sessionId, retry.code);
    } catch (error) {
      return void (await replyHtml(ctx, escapeHtml(describeError(error))));
    }
    services.logger.info({ from: retry.sessionId, sessionId: newId, code: retry.code, by: ctx.from?.id }, 'retry of failed documents from Telegram');
    await enterStartBatch(ctx, { sessionId: newId });
  });
}
