/**
 * Typed events out of the engine. Front ends (CLI, bot, HTTP API) subscribe and decide what to tell whom; the
 * engine never knows who listens. Session- and batch-level events are also appended to the `events` table.
 */
import type { DocumentErrorCode } from '../errors.js';
import type { PauseReason } from './ports.js';

export interface SessionSummary {
  sessionId: string;
  status: string;
  totalDocuments: number;
  done: number;
  failed: number;
  skipped: number;
  pages: number;
  ocrPages: number;
  failuresByCode: Record<string, number>;
  durationMs: number;
  costUsd: number;
}

export interface EngineEventMap {
  'session.listing': { sessionId: string; listed: number };
  'session.planned': { sessionId: string; totalDocuments: number; totalBatches: number; alreadyDone: number };
  'session.awaiting_confirmation': { sessionId: string; expiresAt: number | null };
  'session.confirmed': { sessionId: string; maxTotalCostUsd: number; by: string };
  'session.started': { sessionId: string; resumed: boolean };
  'session.paused': { sessionId: string; reason: PauseReason; message: string };
  'session.stopped': { sessionId: string };
  'session.completed': { sessionId: string; summary: SessionSummary };
  'session.failed': { sessionId: string; message: string };
  'batch.started': { sessionId: string; batchNo: number; workerId: string; documents: number };
  'batch.completed': {
    sessionId: string;
    batchNo: number;
    done: number;
    failed: number;
    completedBatches: number;
    totalBatches: number;
  };
  'batch.requeued': { sessionId: string; batchNo: number; reason: string };
  'document.done': { sessionId: string; batchNo: number; name: string; pages: number; ocrPages: number };
  'document.failed': {
    sessionId: string;
    batchNo: number;
    name: string;
    code: DocumentErrorCode | string;
    message: string;
    willRetry: boolean;
  };
  'document.skipped': { sessionId: string; name: string; reason: string };
  'worker.starting': { sessionId: string; workerId: string; label: string; pricePerHour: number | null };
  'worker.ready': { sessionId: string; workerId: string; label: string };
  'worker.lost': { sessionId: string; workerId: string; reason: string };
  'worker.replaced': { sessionId: string; oldWorkerId: string; newWorkerId: string | null; reason: string };
  'worker.released': { sessionId: string; workerId: string; reason: string };
  'budget.reached': { sessionId: string; spentUsd: number; capUsd: number };
  /** The analyses of one batch's documents were recorded (after extraction; see analysis-stage.ts). */
  'analysis.completed': { sessionId: string; batchNo: number; analysed: number; failed: number; costUsd: number };
  'checkpoint.created': { sessionId: string; name: string; completedBatches: number };
}

export type EngineEventName = keyof EngineEventMap;
export type EngineEvent = { [K in EngineEventName]: { type: K; at: number } & EngineEventMap[K] }[EngineEventName];
export type EngineListener<K extends EngineEventName> = (event: { type: K; at: number } & EngineEventMap[K]) => void;

/** Events too frequent for the audit log; delivered to listeners only. */
export const TRANSIENT_EVENTS: ReadonlySet<EngineEventName> = new Set(['session.listing', 'document.done', 'batch.started']);

/** A tiny typed emitter; a throwing listener never breaks the engine. */
export class EngineEvents {
  private readonly listeners = new Map<EngineEventName, Set<(event: EngineEvent) => void>>();
  private readonly anyListeners = new Set<(event: EngineEvent) => void>();

  constructor(private readonly onListenerError: (error: unknown, type: EngineEventName) => void = () => {}) {}

  on<K extends EngineEventName>(type: K, listener: EngineListener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const wrapped = listener as unknown as (event: EngineEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  onAny(listener: (event: EngineEvent) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  emit(event: EngineEvent): void {
    for (const listener of [...(this.listeners.get(event.type) ?? []), ...this.anyListeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error, event.type);
      }
    }
  }
}
