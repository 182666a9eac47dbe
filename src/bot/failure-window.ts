/**
 * Coalesces document failures: the first of a burst is told at once, the rest are grouped into one message per
 * window (counts by code, the first names), so a folder of 500 damaged scans is one message every 30 s, not 500.
 */
import type { FailureNote } from './notice-text.js';
import type { BotTimers } from './timers.js';

export type FailureEmit = (kind: 'first' | 'burst', failures: readonly FailureNote[]) => void;

export class FailureWindow {
  private pending: FailureNote[] = [];
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly timers: BotTimers,
    private readonly windowMs: number,
    private readonly emit: FailureEmit,
  ) {}

  add(failure: FailureNote): void {
    if (this.cancelTimer) {
      this.pending.push(failure);
      return;
    }
    this.emit('first', [failure]);
    this.open();
  }

  /** Tells what is pending now (the session ended) and closes the window. */
  flush(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.emitPending();
  }

  private open(): void {
    this.cancelTimer = this.timers.setTimeout(() => this.onWindowEnd(), this.windowMs);
  }

  private onWindowEnd(): void {
    this.cancelTimer = null;
    // A quiet window closes; a busy one is told and the next window starts, so the rate stays one per window.
    if (this.pending.length > 0) {
      this.emitPending();
      this.open();
    }
  }

  private emitPending(): void {
    if (this.pending.length === 0) return;
    const failures = this.pending;
    this.pending = [];
    this.emit('burst', failures);
  }
}
