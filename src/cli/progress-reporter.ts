/** Draws the progress line on a terminal while a session runs, throttled; silent when not a terminal. */
import type { Engine } from '../core/engine/engine.js';
import { renderProgressLine } from './format.js';

export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private lastLine = '';
  private sessionId: string | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly engine: Engine,
    private readonly out: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {
    this.unsubscribe = engine.events.onAny((event) => {
      if (event.type === 'session.listing' && enabled) this.write(`Listing… ${event.listed} documents found`);
      if (event.type === 'session.started') this.follow(event.sessionId);
    });
  }

  follow(sessionId: string): void {
    this.sessionId = sessionId;
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }

  private draw(): void {
    if (!this.sessionId) return;
    const view = this.engine.view(this.sessionId);
    if (!view) return;
    const processed = view.done + view.failed + view.skipped;
    const perMinute = view.documents_per_minute;
    this.write(
      renderProgressLine({
        processed,
        total: view.total_documents,
        failed: view.failed,
        docsPerSecond: perMinute == null ? null : perMinute / 60,
        etaSeconds: view.eta_seconds,
      }),
    );
  }

  private write(line: string): void {
    if (!this.enabled || line === this.lastLine) return;
    this.lastLine = line;
    this.out.write(`\r\x1b[2K${line}`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe();
    if (this.enabled && this.lastLine) this.out.write('\r\x1b[2K');
  }
}
