/**
 * What can go wrong talking to Vast.ai, as coded errors. Codes start with `vast_` (the HTTP API maps them to 502:
 * the fault is upstream). A create whose outcome is unknown has its own class, because the only safe reaction is
 * to look the instance up by label, never to create again.
 */
import { AppError } from '../../errors.js';

export class VastApiError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly vastError: string | null,
    options?: { hint?: string; cause?: unknown; createdInstanceId?: number | null },
  ) {
    super(code, message, options);
    this.createdInstanceId = options?.createdInstanceId ?? null;
  }

  /** Set when Vast refused but still created an instance (a bid too low): it must be destroyed. */
  readonly createdInstanceId: number | null;

  get isOfferGone(): boolean {
    return this.code === 'vast_offer_gone';
  }

  get isInsufficientCredit(): boolean {
    return this.code === 'vast_insufficient_credit';
  }

  get isRateLimited(): boolean {
    return this.code === 'vast_rate_limited';
  }

  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The create request may or may not have rented a machine (network failure, timeout, 5xx, unreadable answer). */
export class VastAmbiguousCreateError extends AppError {
  constructor(
    readonly label: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('vast_create_ambiguous', message, options);
  }
}

export interface VastErrorBody {
  error?: string | undefined;
  msg?: string | undefined;
  message?: string | undefined;
  detail?: string | undefined;
}

/** Turns a refusal into a coded error; `text` is the raw body (never the account's, which holds the API key). */
export function vastError(status: number, body: VastErrorBody | null, text: string, createdInstanceId: number | null = null): VastApiError {
  const detail = body?.msg ?? body?.message ?? body?.detail ?? (body ? '' : text.slice(0, 200));
  const vast = body?.error ?? null;
  const said = `${vast ?? `HTTP ${status}`}${detail ? `: ${detail}` : ''}`;
  const options = { createdInstanceId };
  if (status === 429) return new VastApiError('vast_rate_limited', `Vast.ai: too many requests (${said}).`, status, vast, options);
  if (status === 401) {
    return new VastApiError('vast_auth', `Vast.ai rejected the API key (${said}).`, status, vast, {
      ...options,
      hint: 'Create a key at https://cloud.vast.ai/manage-keys/ and set VAST_AI_API_KEY.',
    });
  }
  if (status === 403) {
    return new VastApiError('vast_forbidden', `The Vast.ai key lacks a permission (${said}).`, status, vast, {
      ...options,
      hint: 'Give the key instance read/write and user read permissions.',
    });
  }
  if (/no_such_ask/i.test(`${vast ?? ''} ${detail}`) || (status === 410 && /ask|offer/i.test(detail))) {
    return new VastApiError('vast_offer_gone', `The offer is no longer available (${said}).`, status, vast, options);
  }
  if (status === 402 || status === 411 || /insufficient.*(credit|funds|balance)/i.test(`${vast ?? ''} ${detail}`)) {
    return new VastApiError('vast_insufficient_credit', `Not enough Vast.ai credit (${said}).`, status, vast, {
      ...options,
      hint: 'Add credit at https://cloud.vast.ai/billing/, then resume.',
    });
  }
  return new VastApiError(status >= 500 ? 'vast_unavailable' : 'vast_refused', `Vast.ai refused the request (${said}).`, status, vast, options);
}
