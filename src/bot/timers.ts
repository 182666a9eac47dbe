/**
 * Time for the bot's throttles and windows, injectable so tests decide when a window closes instead of waiting
 * for it. `now()` should be the engine's clock, so quotes and confirmations age alike.
 */

export interface BotTimers {
  now(): number;
  /** Runs `callback` after `ms`; returns a function that cancels it. Never keeps the process alive. */
  setTimeout(callback: () => void, ms: number): () => void;
}

export function systemTimers(now: () => number = Date.now): BotTimers {
  return {
    now,
    setTimeout(callback, ms) {
      const timer = setTimeout(callback, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}
