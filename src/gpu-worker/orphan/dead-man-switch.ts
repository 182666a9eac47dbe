/**
 * The dead man's switch of a rented worker. On Vast.ai every container gets `CONTAINER_ID` and a
 * `CONTAINER_API_KEY` that can only stop or destroy that one instance. When the orchestrator has said nothing
 * (no authenticated request) for `timeoutMs` — it crashed, lost its network, or forgot us — the worker destroys
 * its own instance, so a lost machine never bills the family for days. 404 means it is already gone.
 */
import type { Logger } from '../../logger.js';
import type { BackoffPolicy } from '../../core/engine/backoff.js';
import { isNetworkError, parseRetryAfter, sleepFor, withRetry } from '../../core/retry.js';
import type { OrphanSettings } from '../config.js';

export type OrphanOutcome = 'destroyed' | 'already_gone' | 'failed';

export interface DeadManSwitchOptions {
  settings: OrphanSettings;
  logger: Logger;
  /** Called once, after the instance is destroyed or destroying it failed for good: stop the worker. */
  onOrphaned: (outcome: OrphanOutcome) => void;
  fetch?: typeof fetch;
  /** Tries of the DELETE. Default 10. */
  attempts?: number;
  retryPolicy?: BackoffPolicy;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface DeadManSwitch {
  /** The orchestrator spoke (an authenticated request): start the silence over. */
  heard(): void;
  /** Resolves when the switch has fired and the instance is handled; undefined while it has not fired. */
  readonly fired: Promise<OrphanOutcome> | undefined;
  /** Disarms it (the worker is stopping for another reason). Idempotent. */
  close(): void;
}

const DEFAULT_POLICY: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 };
const REQUEST_TIMEOUT_MS = 30_000;

class RetryableDestroyError extends Error {
  constructor(
    message: string,
    readonly afterMs: number | null = null,
  ) {
    super(message);
  }
}

async function destroyOnce(settings: OrphanSettings, fetchImpl: typeof fetch): Promise<OrphanOutcome> {
  const url = `${settings.apiUrl}/api/v0/instances/${encodeURIComponent(settings.containerId)}/`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${settings.apiKey}`, accept: 'application/json', 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    if (isNetworkError(error) || (error as Error).name === 'TimeoutError') throw new RetryableDestroyError(`Vast.ai unreachable: ${(error as Error).message}`);
    throw error;
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return 'destroyed';
  if (response.status === 404) return 'already_gone';
  if (response.status === 429 || response.status >= 500) {
    throw new RetryableDestroyError(`Vast.ai answered HTTP ${response.status}`, parseRetryAfter(response.headers.get('retry-after')));
  }
  throw new Error(`Vast.ai refused to destroy the instance (HTTP ${response.status})`);
}

export function createDeadManSwitch(options: DeadManSwitchOptions): DeadManSwitch {
  const { settings, logger } = options;
  const now = options.now ?? Date.now;
  const stop = new AbortController();
  let lastHeard = now();
  let timer: NodeJS.Timeout | undefined;
  let fired: Promise<OrphanOutcome> | undefined;

  async function destroyInstance(): Promise<OrphanOutcome> {
    const silentS = Math.round((now() - lastHeard) / 1000);
    logger.warn({ containerId: settings.containerId, silentS }, 'no word from the orchestrator: destroying this instance');
    try {
      const outcome = await withRetry(() => destroyOnce(settings, options.fetch ?? fetch), {
        attempts: options.attempts ?? 10,
        policy: options.retryPolicy ?? DEFAULT_POLICY,
        classify: (error) => (error instanceof RetryableDestroyError ? { retry: true, afterMs: error.afterMs } : { retry: false }),
        sleep: options.sleep ?? sleepFor,
        signal: stop.signal,
        onRetry: (error, attempt, delayMs) => logger.warn({ attempt, delayMs, reason: (error as Error).message }, 'destroying this instance failed; retrying'),
      });
      logger.warn({ containerId: settings.containerId, outcome }, 'instance destroyed; stopping');
      return outcome;
    } catch (error) {
      logger.error({ containerId: settings.containerId, reason: (error as Error).message }, 'could not destroy this instance; stopping anyway');
      return 'failed';
    }
  }

  function fire(): void {
    fired = destroyInstance().then((outcome) => {
      if (!stop.signal.aborted) options.onOrphaned(outcome);
      return outcome;
    });
  }

  function arm(delayMs: number): void {
    timer = setTimeout(() => {
      const silence = now() - lastHeard;
      if (silence >= settings.timeoutMs) fire();
      else arm(settings.timeoutMs - silence);
    }, Math.max(0, delayMs));
  }

  arm(settings.timeoutMs);
  logger.info({ containerId: settings.containerId, timeoutS: Math.round(settings.timeoutMs / 1000) }, 'dead man switch armed');

  return {
    heard() {
      lastHeard = now();
    },
    get fired() {
      return fired;
    },
    close() {
      clearTimeout(timer);
      stop.abort();
    },
  };
}
