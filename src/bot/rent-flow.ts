/**
 * The renting part of `/start_batch`: offers as buttons → the chosen offer's confirmation (price, estimated total,
 * budget cap; Confirm / Change budget / Cancel) → the engine's `confirm` → start. A quote older than the
 * confirmation TTL is not accepted: the person sees today's prices instead. Resuming skips the questions when the
 * session runs within what was already confirmed.
 */
import { InlineKeyboard } from 'grammy';
import type { Context } from 'grammy';
import type { Answer } from './conversation-wait.js';
import { waitAnswer } from './conversation-wait.js';
import { CALLBACK, listKeyboard } from './keyboards.js';
import { replyHtml } from './messenger.js';
import {
  budgetQuestion,
  budgetSpentIntro,
  confirmationHtml,
  expiredHtml,
  offerButton,
  offersHtml,
  parseBudget,
  priceRoseIntro,
} from './quote-text.js';
import { priceRise, quoteSession, suggestBudget } from './quotes.js';
import type { Quote, QuoteSheet } from './quotes.js';
import { requester } from './services.js';
import type { BotConversation, BotServices } from './services.js';
import { startSession } from './session-starter.js';
import type { StartOutcome } from './session-starter.js';
import { escapeHtml, perHour, usd } from './text.js';

export interface RentFlowInput {
  sessionId: string;
  nonce: string;
  resume: boolean;
}

export async function rentFlow(conversation: BotConversation, ctx: Context, services: BotServices, input: RentFlowInput): Promise<void> {
  const beforeQuote = conversation.checkpoint();
  const sheet = await conversation.external(() => quoteSession(services, input.sessionId));
  if (sheet.problem || sheet.quotes.length === 0) {
    await replyHtml(ctx, noOffersHtml(sheet.problem));
    return;
  }
  let intro = introFor(sheet);
  if (input.resume && runsAsConfirmed(sheet)) {
    const chatId = ctx.chat?.id;
    const started = await conversation.external(() => startSession(services, input.sessionId, chatId));
    if (started.ok) {
      await replyHtml(ctx, `Resumed within the confirmed budget: ${usd(sheet.spentUsd)} spent of ${usd(sheet.budgetUsd)}, at most ${perHour(sheet.confirmedPricePerHour ?? 0)}. /status shows progress.`);
      return;
    }
    if (started.code !== 'confirmation_expired') return void (await replyHtml(ctx, `It could not resume: ${escapeHtml(started.message)}`));
    intro = 'The earlier confirmation has expired before the work started (prices may have changed). Nothing was rented. Choose again:';
  }
  const quote = await chooseOffer(conversation, ctx, sheet, input.nonce, intro);
  if (!quote) return cancelled(conversation, ctx, services, input);
  let budget = sheet.budgetUsd != null && sheet.budgetUsd >= sheet.spentUsd + quote.estimatedUsd ? sheet.budgetUsd : suggestBudget(sheet.spentUsd, quote);
  for (let step = 1; ; step += 1) {
    const answer = await askConfirmation(conversation, ctx, services, { sheet, quote, budget, nonce: input.nonce, step });
    if (isCancel(answer)) return cancelled(conversation, ctx, services, input);
    if (answer.kind === 'button' && answer.value === `b${step}`) {
      const asked = await askBudget(conversation, ctx, input.nonce, sheet.spentUsd);
      if (asked == null) return cancelled(conversation, ctx, services, input);
      budget = asked;
      continue;
    }
    const now = await conversation.external(() => services.timers.now());
    if (now > sheet.quotedAt + services.settings.quoteTtlMs) {
      await replyHtml(ctx, expiredHtml(sheet, services.settings.quoteTtlMs, services.settings.timeZone, now));
      await conversation.rewind(beforeQuote);
    }
    // Whoever pressed Confirm is who agreed to pay.
    const by = answer.kind === 'button' ? `telegram:${answer.userId}` : requester(ctx);
    const chatId = ctx.chat?.id;
    const outcome = await conversation.external(() => confirmAndStart(services, input.sessionId, { quote, budget, by, chatId }));
    await replyHtml(ctx, outcomeHtml(outcome, quote, budget));
    return;
  }
}

/**
 * Confirmed before, the budget not reached, and no dearer now: it may simply continue. (The engine still refuses a
 * confirmation that expired before the session ever started.)
 */
function runsAsConfirmed(sheet: QuoteSheet): boolean {
  return sheet.confirmedPricePerHour != null && sheet.pauseReason !== 'budget' && priceRise(sheet) == null;
}

function introFor(sheet: QuoteSheet): string | null {
  if (sheet.pauseReason === 'budget') return budgetSpentIntro(sheet.budgetUsd, sheet.spentUsd);
  const rise = priceRise(sheet);
  return rise ? priceRoseIntro(rise.confirmed, rise.best) : null;
}

function noOffersHtml(problem: string | null): string {
  if (problem) return `The prices could not be fetched: ${escapeHtml(problem)}\nNothing was rented. /resume tries again.`;
  return 'No machine is on offer right now within the price limits. Nothing was rented. /offers shows what is available; /resume tries again.';
}

async function chooseOffer(conversation: BotConversation, ctx: Context, sheet: QuoteSheet, nonce: string, intro: string | null): Promise<Quote | null> {
  const buttons = sheet.quotes.map((q, i) => ({ text: offerButton(q), data: CALLBACK.answer(nonce, `o${i}`) }));
  await replyHtml(ctx, offersHtml(sheet, intro), { keyboard: listKeyboard([...buttons, { text: 'Cancel', data: CALLBACK.answer(nonce, 'x') }]) });
  const accept = [...sheet.quotes.map((_, i) => `o${i}`), 'x'];
  const answer = await waitAnswer(conversation, nonce, { accept, text: false });
  if (answer.kind !== 'button' || answer.value === 'x') return null;
  return sheet.quotes[Number(answer.value.slice(1))] ?? null;
}

interface ConfirmationStep {
  sheet: QuoteSheet;
  quote: Quote;
  budget: number;
  nonce: string;
  /** Each screen's buttons answer only that screen: Confirm on an older one would confirm another cap. */
  step: number;
}

async function askConfirmation(conversation: BotConversation, ctx: Context, services: BotServices, s: ConfirmationStep): Promise<Answer> {
  const { quoteTtlMs, timeZone } = services.settings;
  const keyboard = new InlineKeyboard()
    .text('Confirm', CALLBACK.answer(s.nonce, `c${s.step}`))
    .text('Change budget', CALLBACK.answer(s.nonce, `b${s.step}`))
    .row()
    .text('Cancel', CALLBACK.answer(s.nonce, 'x'));
  await replyHtml(ctx, confirmationHtml(s.sheet, s.quote, s.budget, { ttlMs: quoteTtlMs, timeZone }), { keyboard });
  return waitAnswer(conversation, s.nonce, { accept: [`c${s.step}`, `b${s.step}`, 'x'], text: false });
}

async function askBudget(conversation: BotConversation, ctx: Context, nonce: string, spentUsd: number): Promise<number | null> {
  await replyHtml(ctx, budgetQuestion(spentUsd), { keyboard: new InlineKeyboard().text('Cancel', CALLBACK.answer(nonce, 'x')) });
  for (;;) {
    const answer = await waitAnswer(conversation, nonce, { accept: ['x'], text: true });
    if (isCancel(answer) || answer.kind !== 'text') return null;
    const value = parseBudget(answer.value);
    if (value != null && value > spentUsd) return value;
    await replyHtml(ctx, `Please type an amount in dollars, like 25 or 12.50${spentUsd > 0 ? `, more than ${usd(spentUsd)}` : ''}.`);
  }
}

function isCancel(answer: Answer): boolean {
  return answer.kind === 'cancel' || (answer.kind === 'button' && answer.value === 'x');
}

async function cancelled(conversation: BotConversation, ctx: Context, services: BotServices, input: RentFlowInput): Promise<void> {
  if (input.resume) {
    await replyHtml(ctx, 'Nothing changed and nothing was rented. The session waits; /resume when you are ready.');
    return;
  }
  // A batch planned only for this question would otherwise linger in /resume.
  await conversation.external(async () => {
    await services.engine.stop(input.sessionId).catch((error: unknown) => services.logger.warn({ err: error }, 'discarding a cancelled session failed'));
  });
  await replyHtml(ctx, 'Cancelled. Nothing was rented and nothing will run.');
}

async function confirmAndStart(services: BotServices, sessionId: string, input: { quote: Quote; budget: number; by: string; chatId: number | undefined }): Promise<StartOutcome> {
  const { quote, budget, by } = input;
  try {
    services.engine.confirm(sessionId, { maxTotalCostUsd: budget, offers: [{ id: quote.offerId, pricePerHour: quote.pricePerHour, label: quote.label }], by });
  } catch (error) {
    return { ok: false, code: 'confirm_failed', message: error instanceof Error ? error.message : String(error) };
  }
  services.logger.info({ sessionId, by, budget, pricePerHour: quote.pricePerHour }, 'renting confirmed from Telegram');
  return startSession(services, sessionId, input.chatId);
}

function outcomeHtml(outcome: StartOutcome, quote: Quote, budget: number): string {
  if (outcome.ok) {
    return `Confirmed: ${escapeHtml(quote.label)} at ${perHour(quote.pricePerHour)}, budget cap ${usd(budget)}. Starting now; I will tell you when the machine is working. /status shows progress.`;
  }
  if (outcome.code === 'session_running') {
    return `Confirmed, but another session is running, so this one has not started. When that one ends, /resume starts this one (a confirmation is valid for a short time; after that I ask again).`;
  }
  return `It could not start: ${escapeHtml(outcome.message)}\nNothing was rented.`;
}
