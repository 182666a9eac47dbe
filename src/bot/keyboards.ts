/**
 * Inline keyboards and their callback data. Telegram allows 64 bytes of callback data, so buttons carry a short
 * verb and an id (a session id is 29 bytes) and everything else stays on the server.
 *
 *   st:r|p|s|y|n:<session>   status: refresh, pause, ask to stop, stop for good, keep running
 *   rs:<session>             resume (or start) a session
 *   rf:<session>:<code|*>    retry a session's failed documents (one code, or all)
 *   es:<session> / ed:<…>    start / discard the session an estimate planned
 *   sb:<nonce>:<answer>      an answer inside a /start_batch conversation (the nonce ties it to one question)
 */
import { InlineKeyboard } from 'grammy';
import type { SessionView } from '../core/engine/types.js';

export const CALLBACK = {
  refresh: (sessionId: string) => `st:r:${sessionId}`,
  pause: (sessionId: string) => `st:p:${sessionId}`,
  askStop: (sessionId: string) => `st:s:${sessionId}`,
  stop: (sessionId: string) => `st:y:${sessionId}`,
  keep: (sessionId: string) => `st:n:${sessionId}`,
  resume: (sessionId: string) => `rs:${sessionId}`,
  retry: (sessionId: string, code: string | null) => `rf:${sessionId}:${code ?? '*'}`,
  startEstimated: (sessionId: string) => `es:${sessionId}`,
  discardEstimated: (sessionId: string) => `ed:${sessionId}`,
  answer: (nonce: string, answer: string) => `sb:${nonce}:${answer}`,
} as const;

/** Parses `st:<verb>:<session>`. */
export function parseStatusAction(data: string): { verb: 'r' | 'p' | 's' | 'y' | 'n'; sessionId: string } | null {
  const match = /^st:([rpsyn]):(.+)$/.exec(data);
  return match ? { verb: match[1] as 'r' | 'p' | 's' | 'y' | 'n', sessionId: match[2]! } : null;
}

export function parseRetry(data: string): { sessionId: string; code: string | null } | null {
  const match = /^rf:(.+):([^:]+)$/.exec(data);
  return match ? { sessionId: match[1]!, code: match[2] === '*' ? null : match[2]! } : null;
}

/** Buttons under the live status message. */
export function statusKeyboard(view: SessionView): InlineKeyboard | undefined {
  const id = view.session_id;
  switch (view.status) {
    case 'running':
      return new InlineKeyboard().text('Refresh', CALLBACK.refresh(id)).text('Pause', CALLBACK.pause(id)).text('Stop', CALLBACK.askStop(id));
    case 'paused':
    case 'planned':
    case 'awaiting_confirmation':
      return new InlineKeyboard().text('Refresh', CALLBACK.refresh(id)).text('Resume', CALLBACK.resume(id)).text('Stop', CALLBACK.askStop(id));
    default:
      return undefined;
  }
}

/** "Stop for good?" — asked again before anything is stopped. */
export function stopQuestionKeyboard(sessionId: string, running: boolean): InlineKeyboard {
  const keyboard = new InlineKeyboard().text('Yes, stop for good', CALLBACK.stop(sessionId));
  if (running) keyboard.text('Pause instead', CALLBACK.pause(sessionId));
  return keyboard.row().text(running ? 'No, keep running' : 'No, keep it', CALLBACK.keep(sessionId));
}

/** One button per row: the way lists of sessions, checkpoints and offers read best on a phone. */
export function listKeyboard(buttons: readonly { text: string; data: string }[]): InlineKeyboard {
  return InlineKeyboard.from(buttons.map((b) => [InlineKeyboard.text(b.text, b.data)]));
}
