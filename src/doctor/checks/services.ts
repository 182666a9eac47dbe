/**
 * Checks of the paid and remote services, each with its real client library and the cheapest call that proves
 * the credentials work: Telegram getMe, Vast's account (credit), Claude's model list.
 */
import Anthropic from '@anthropic-ai/sdk';
import { Api, GrammyError, HttpError as GrammyHttpError } from 'grammy';
import type { Env } from '../../config.js';
import { claudeKey } from '../../config.js';
import { ok, off, problem, warning } from '../types.js';
import type { DoctorCheck } from '../types.js';

export function telegramCheck(env: Env, timeoutMs: number): DoctorCheck {
  return {
    name: 'Telegram',
    run: async (signal) => {
      const token = env.TELEGRAM_BOT_TOKEN;
      if (!token) return off('Not configured (the HTTP API and CLI work without it).', 'Set TELEGRAM_BOT_TOKEN (from @BotFather) to use the bot.');
      const api = new Api(token, { ...(env.TELEGRAM_API_ROOT ? { apiRoot: env.TELEGRAM_API_ROOT } : {}), timeoutSeconds: Math.ceil(timeoutMs / 1000) });
      try {
        const me = await api.getMe(signal as Parameters<typeof api.getMe>[0]);
        if (env.ALLOWED_TELEGRAM_USER_IDS.length === 0) {
          return problem(`@${me.username} answers, but ALLOWED_TELEGRAM_USER_IDS is empty: the bot will obey nobody.`, 'Set ALLOWED_TELEGRAM_USER_IDS to your numeric Telegram id(s) (ask @userinfobot).');
        }
        return ok(`@${me.username} answers; ${env.ALLOWED_TELEGRAM_USER_IDS.length} allowed user(s).`);
      } catch (error) {
        if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
          return problem(`Telegram rejected the bot token (${error.error_code} ${error.description}).`, 'Copy the token again from @BotFather (/token) into TELEGRAM_BOT_TOKEN.');
        }
        if (error instanceof GrammyHttpError) return problem(`Telegram could not be reached: ${error.message}`, 'Check the network (and TELEGRAM_API_ROOT if set).');
        throw error;
      }
    },
  };
}

/** Vast's account endpoint also returns the account's API key: the body is read for `credit` and then dropped. */
export function vastCheck(env: Env): DoctorCheck {
  return {
    name: 'Vast.ai',
    run: async (signal) => {
      const key = env.VAST_AI_API_KEY;
      if (!key) return off('Not configured: processing runs on this machine.', 'Set VAST_AI_API_KEY to rent GPUs.');
      const url = new URL('/api/v0/users/current/', env.VAST_API_URL);
      let response: Response;
      try {
        response = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: 'application/json' }, signal });
      } catch (error) {
        return problem(`Vast.ai could not be reached at ${url.origin}: ${(error as Error).message}`, 'Check the network (and VAST_API_URL if set).');
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        return problem(`Vast.ai rejected the API key (HTTP ${response.status}).`, 'Create a key at https://cloud.vast.ai/manage-keys/ and set VAST_AI_API_KEY.');
      }
      if (!response.ok) {
        await response.body?.cancel();
        return problem(`Vast.ai answered HTTP ${response.status}.`, response.status === 429 ? 'Vast limits request rates: wait a minute and run doctor again.' : 'Try again later (https://status.vast.ai).');
      }
      const credit = creditOf(await response.json().catch(() => null));
      if (credit === null) return problem('Vast.ai accepted the key but reported no credit figure.', 'Check the account at https://cloud.vast.ai/billing/.');
      if (credit <= 0) return problem(`Key accepted; credit $${credit.toFixed(2)}: nothing can be rented.`, 'Add credit at https://cloud.vast.ai/billing/ (Vast stops instances at zero).');
      if (credit < 5) return warning(`Key accepted; credit only $${credit.toFixed(2)}.`, 'Add credit before a long run: sessions pause when credit runs out.');
      return ok(`Key accepted; credit $${credit.toFixed(2)}.`);
    },
  };
}

function creditOf(body: unknown): number | null {
  const credit = (body as { credit?: unknown } | null)?.credit;
  return typeof credit === 'number' && Number.isFinite(credit) ? credit : null;
}

export function claudeCheck(env: Env, timeoutMs: number): DoctorCheck {
  return {
    name: 'Claude',
    run: async (signal) => {
      const apiKey = claudeKey(env);
      if (!apiKey) return off('Not configured: documents are not analysed.', 'Set ANTHROPIC_API_KEY to analyse documents with Claude.');
      const client = new Anthropic({ apiKey, ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}), maxRetries: 0, timeout: timeoutMs });
      try {
        // Listing models is free and needs a valid key: the cheapest authenticated call there is.
        const page = await client.models.list({ limit: 1 }, { signal });
        const model = page.data[0]?.id;
        return ok(`Key accepted${model ? ` (newest model: ${model})` : ''}.`);
      } catch (error) {
        if (error instanceof Anthropic.AuthenticationError) return problem('Anthropic rejected the API key (401).', 'Create a key at https://console.anthropic.com/ and set ANTHROPIC_API_KEY.');
        if (error instanceof Anthropic.PermissionDeniedError) return problem('The key may not use the API (403).', 'Check the key\'s workspace and its permissions in the Anthropic console.');
        if (error instanceof Anthropic.APIConnectionError) return problem(`Anthropic could not be reached: ${error.message}`, 'Check the network (and ANTHROPIC_BASE_URL if set).');
        if (error instanceof Anthropic.APIError) return problem(`Anthropic answered ${String(error.status)}: ${error.message}`, 'Try again later (https://status.anthropic.com).');
        throw error;
      }
    },
  };
}
