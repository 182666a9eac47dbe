/**
 * A clock that runs `speed` times faster than real time, so minutes of loading, polling and billing take
 * fractions of a second, while everything keeps its real order. `advance` jumps ahead.
 */
import type { Clock } from '../../../src/core/engine/ports.js';

export class FastClock implements Clock {
  private readonly origin = Date.now();
  private offset = 0;

  constructor(readonly speed: number) {}

  now(): number {
    return this.origin + (Date.now() - this.origin) * this.speed + this.offset;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms / this.speed));
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  advance(ms: number): void {
    this.offset += ms;
  }
}
