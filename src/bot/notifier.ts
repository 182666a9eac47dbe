/**
 * Notifications from engine events to the notification chats: progress every N batches, document failures
 * (coalesced), machines lost or replaced, the budget reached, and how each session ended. The engine never knows
 * who listens; this decides what is worth a message.
 */
import type { Database } from 'better-sqlite3';
import type { Engine } from '../core/engine/engine.js';
import type { EngineEventMap } from '../core/engine/events.js';
import { sessionWorkers } from '../core/store/workers.js';
import type { Logger } from '../logger.js';
import { FailureWindow } from './failure-window.js';
import type { Messenger } from './messenger.js';
import {
  budgetNotice,
  completedNotice,
  failedNotice,
  failureBurstNotice,
  firstFailureNotice,
  progressNotice,
  replacementReadyNotice,
  startedNotice,
  stoppedNotice,
  workerLostNotice,
  workerReplacedNotice,
} from './notice-text.js';
import type { BotSettings } from './settings.js';
import { nextStep } from './status-text.js';
import { count, safeName } from './text.js';
import type { BotTimers } from './timers.js';

export interface NotifierDeps {
  engine: Engine;
  db: Database;
  messenger: Messenger;
  settings: Pick<BotSettings, 'notifyChatIds' | 'notifyEveryBatches' | 'errorWindowMs' | 'timeZone'>;
  timers: BotTimers;
  logger: Logger;
  /** When the nightly job next runs, for "it resumes by itself at 02:00". */
  nightlyAt(): number | null;
}

type Event<K extends keyof EngineEventMap> = EngineEventMap[K] & { type: K; at: number };

export class Notifier {
  private readonly windows = new Map<string, FailureWindow>();
  private readonly startedFrom = new Map<string, number>();
  /** Sessions that lost a worker and have not yet been told about its replacement. */
  private readonly awaitingReplacement = new Set<string>();
  private unsubscribers: (() => void)[] = [];

  constructor(private readonly deps: NotifierDeps) {}

  start(): void {
    const { events } = this.deps.engine;
    this.unsubscribers = [
      events.on('session.started', (e) => this.onStarted(e)),
      events.on('batch.completed', (e) => this.onBatchCompleted(e)),
      events.on('document.failed', (e) => this.onDocumentFailed(e)),
      events.on('worker.lost', (e) => this.onWorkerLost(e)),
      events.on('worker.replaced', (e) => this.onWorkerReplaced(e)),
      events.on('worker.ready', (e) => this.onWorkerReady(e)),
      events.on('budget.reached', (e) => this.tell(budgetNotice(e.spentUsd, e.capUsd))),
      events.on('session.paused', (e) => this.onPaused(e)),
      events.on('session.completed', (e) => this.onCompleted(e)),
      events.on('session.stopped', (e) => this.onEnded(e.sessionId, stoppedNotice)),
      events.on('session.failed', (e) => this.onEnded(e.sessionId, failedNotice)),
    ];
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    for (const window of this.windows.values()) window.flush();
    this.windows.clear();
  }

  /** Sends to every notification chat (but `except`), in order per chat. */
  tell(html: string, except?: number): void {
    void this.deps.messenger.broadcast(this.deps.settings.notifyChatIds.filter((id) => id !== except), html);
  }

  /**
   * The chat that starts a session says so itself; the start notice then goes to the other chats only.
   * `undefined` forgets it (the start was refused).
   */
  startingFrom(sessionId: string, chatId: number | undefined): void {
    if (chatId === undefined) this.startedFrom.delete(sessionId);
    else this.startedFrom.set(sessionId, chatId);
  }

  private view(sessionId: string): ReturnType<Engine['view']> {
    return this.deps.engine.view(sessionId);
  }

  private onStarted(e: Event<'session.started'>): void {
    const except = this.startedFrom.get(e.sessionId);
    this.startedFrom.delete(e.sessionId);
    const view = this.view(e.sessionId);
    if (view) this.tell(startedNotice(view, e.resumed), except);
  }

  private onBatchCompleted(e: Event<'batch.completed'>): void {
    const every = this.deps.settings.notifyEveryBatches;
    // The last batch is followed by the summary; a progress message just before it would only repeat it.
    if (e.completedBatches % every !== 0 || e.completedBatches >= e.totalBatches) return;
    const view = this.view(e.sessionId);
    if (view) this.tell(progressNotice(view, e.completedBatches, e.totalBatches));
  }

  private onDocumentFailed(e: Event<'document.failed'>): void {
    if (e.willRetry) return;
    this.window(e.sessionId).add({ code: e.code, name: e.name });
  }

  private window(sessionId: string): FailureWindow {
    let window = this.windows.get(sessionId);
    if (!window) {
      window = new FailureWindow(this.deps.timers, this.deps.settings.errorWindowMs, (kind, failures) =>
        this.tell(kind === 'first' ? firstFailureNotice(failures[0]!) : failureBurstNotice(failures)),
      );
      this.windows.set(sessionId, window);
    }
    return window;
  }

  /** Pending failures are told before the message that ends the session. */
  private closeWindow(sessionId: string): void {
    this.awaitingReplacement.delete(sessionId);
    this.windows.get(sessionId)?.flush();
    this.windows.delete(sessionId);
  }

  private workerLabel(sessionId: string, workerId: string | null): string | null {
    if (!workerId) return null;
    return sessionWorkers(this.deps.db, sessionId).find((w) => w.id === workerId)?.label ?? workerId;
  }

  private onWorkerLost(e: Event<'worker.lost'>): void {
    this.tell(workerLostNotice(this.workerLabel(e.sessionId, e.workerId) ?? e.workerId, e.reason));
    this.awaitingReplacement.add(e.sessionId);
  }

  private onWorkerReplaced(e: Event<'worker.replaced'>): void {
    // Without a new id the pool starts another worker when one is needed: its `worker.ready` tells then.
    if (!e.newWorkerId) return;
    this.awaitingReplacement.delete(e.sessionId);
    this.tell(workerReplacedNotice(this.workerLabel(e.sessionId, e.oldWorkerId) ?? e.oldWorkerId, this.workerLabel(e.sessionId, e.newWorkerId)));
  }

  private onWorkerReady(e: Event<'worker.ready'>): void {
    if (!this.awaitingReplacement.delete(e.sessionId)) return;
    this.tell(replacementReadyNotice(e.label));
  }

  private onPaused(e: Event<'session.paused'>): void {
    this.closeWindow(e.sessionId);
    // The budget message already said everything (and it came first).
    if (e.reason === 'budget') return;
    const view = this.view(e.sessionId);
    if (!view) return;
    const { timeZone } = this.deps.settings;
    const next = nextStep(view, { timeZone, now: this.deps.timers.now(), nightlyAt: this.deps.nightlyAt() });
    this.tell(`<b>Paused</b>: ${safeName(view.source, 120)}. ${count(view.done)} documents done so far.\n${next ?? ''}`.trim());
  }

  private onCompleted(e: Event<'session.completed'>): void {
    this.closeWindow(e.sessionId);
    const view = this.view(e.sessionId);
    if (view) this.tell(completedNotice(e.summary, view));
  }

  private onEnded(sessionId: string, notice: (view: NonNullable<ReturnType<Engine['view']>>) => string): void {
    this.closeWindow(sessionId);
    const view = this.view(sessionId);
    if (view) this.tell(notice(view));
  }
}
