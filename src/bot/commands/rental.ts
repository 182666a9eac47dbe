/** `/balance` and `/offers`: only a renting provider (Vast.ai) has them; otherwise the bot says how to set one up. */
import type { Composer } from 'grammy';
import { describeError } from '../../core/errors.js';
import { replyHtml } from '../messenger.js';
import type { BotContext, BotServices } from '../services.js';
import { escapeHtml, perHour, safeName, usd } from '../text.js';

export const NOT_CONFIGURED = 'Vast.ai is not configured (set VAST_AI_API_KEY). Work runs on this machine at no cost.';

export function registerRental(bot: Composer<BotContext>, services: BotServices): void {
  bot.command('balance', async (ctx) => {
    const { compute } = services;
    if (!compute.balance) return void (await replyHtml(ctx, NOT_CONFIGURED));
    try {
      const { creditUsd } = await compute.balance();
      await replyHtml(ctx, `Vast.ai credit: <b>${usd(creditUsd)}</b>. Work pauses by itself before the credit runs out.`);
    } catch (error) {
      await replyHtml(ctx, `The balance could not be fetched: ${escapeHtml(describeError(error))}`);
    }
  });

  bot.command('offers', async (ctx) => {
    const { compute, settings } = services;
    if (!compute.findOffers) return void (await replyHtml(ctx, NOT_CONFIGURED));
    try {
      const offers = await compute.findOffers({ limit: 8, maxPricePerHour: settings.maxPricePerHour });
      if (offers.length === 0) return void (await replyHtml(ctx, 'No machine is on offer right now within the price limits.'));
      const lines = ['<b>Machines for rent now</b>, best value first (cost per 1,000 documents in brackets):'];
      for (const o of offers) {
        const reliability = o.reliability != null ? `, ${Math.round(o.reliability * 100)}% reliable` : '';
        lines.push(`• ${safeName(o.label, 80)} — ${perHour(o.pricePerHour)} (${usd(o.costPerDocument * 1000)})${reliability}`);
      }
      lines.push('Nothing is rented from this list; /start_batch asks before renting.');
      await replyHtml(ctx, lines);
    } catch (error) {
      await replyHtml(ctx, `The offers could not be fetched: ${escapeHtml(describeError(error))}`);
    }
  });
}
