/**
 * A clock that runs `speed` times faster than real time, so minutes of loading, polling and billing take
 * fractions of a second while everything keeps its real order. `advance` jumps ahead and wakes every sleeper
 * whose time has come (a timer 10 minutes out fires at once when the test moves the clock 10 minutes).
 */
import type { Clock } from '../../../src/core/engine/ports.js';

interface Sleeper {
  until: number;
  timer: NodeJS.Timeout;
  wake(): void;
}

export class FastClock implements Clock {
  private readonly origin = Date.now();
  private offset = 0;
  private readonly sleepers = new Set<Sleeper>();

  constructor(readonly speed: number) {}

  now(): number {
    return this.origin + (Date.now() - this.origin) * this.speed + this.offset;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        until: this.now() + ms,
        timer: setTimeout(() => sleeper.wake(), Math.max(0, ms / this.speed)),
        wake: () => {
          clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.wake, { once: true });
    });
  }

  advance(ms: number): void {
    this.offset += ms;
    const now = this.now();
    for (const sleeper of [...this.sleepers]) {
      if (sleeper.until <= now) sleeper.wake();
      else {
        clearTimeout(sleeper.timer);
        sleeper.timer = setTimeout(() => sleeper.wake(), (sleeper.until - now) / this.speed);
      }
    }
  }
}
