/**
 * Closed unions for every state the engine stores, with named predicates, so no code compares strings ad hoc.
 *
 *   session:  planned → awaiting_confirmation → running ⇄ paused → completed | stopped | failed
 *   batch:    pending → leased → done | failed        (leased → pending when a worker is lost)
 *   document: pending → leased → done | failed | skipped   (leased → pending for a retry or a lost worker)
 */

export const SESSION_STATUSES = ['planned', 'awaiting_confirmation', 'running', 'paused', 'completed', 'stopped', 'failed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const BATCH_STATUSES = ['pending', 'leased', 'done', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const DOCUMENT_STATUSES = ['pending', 'leased', 'done', 'failed', 'skipped'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export function isSessionStatus(value: string): value is SessionStatus {
  return (SESSION_STATUSES as readonly string[]).includes(value);
}

/** No further work will ever happen in this session. */
export function isFinishedSession(status: SessionStatus): boolean {
  return status === 'completed' || status === 'stopped' || status === 'failed';
}

/** A person (or the nightly job) can continue this session. */
export function isResumableSession(status: SessionStatus): boolean {
  return status === 'paused' || status === 'planned' || status === 'awaiting_confirmation';
}

export function isActiveSession(status: SessionStatus): boolean {
  return status === 'running';
}

/** Allowed transitions; anything else is a programming error. */
const SESSION_TRANSITIONS: Record<SessionStatus, readonly SessionStatus[]> = {
  planned: ['awaiting_confirmation', 'running', 'stopped', 'failed'],
  awaiting_confirmation: ['running', 'stopped', 'failed', 'awaiting_confirmation'],
  running: ['paused', 'completed', 'stopped', 'failed'],
  paused: ['running', 'awaiting_confirmation', 'stopped', 'failed', 'paused'],
  completed: [],
  stopped: [],
  failed: [],
};

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return SESSION_TRANSITIONS[from].includes(to);
}

export function isTerminalDocument(status: DocumentStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'skipped';
}

export function isTerminalBatch(status: BatchStatus): boolean {
  return status === 'done' || status === 'failed';
}
