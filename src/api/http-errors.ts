/**
 * Errors as the HTTP API answers them: always `{ error: { code, message, … } }`, never a stack trace. Application
 * codes (AppError, src/core/errors.ts) map to statuses here, in one table.
 */
import { AppError, coerceError } from '../core/errors.js';
import { maskSecrets } from '../logger.js';

/** One input that failed validation: where it was (`body`, `query`, `path`) and which field. */
export interface FieldIssue {
  in: 'body' | 'query' | 'path';
  field: string;
  message: string;
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    hint?: string | undefined;
    fields?: FieldIssue[] | undefined;
    request_id?: string | undefined;
  };
}

/** A failure the API itself raises with a definite status (validation, auth, limits, unconfigured integrations). */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { hint?: string; fields?: FieldIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

/** Statuses for application codes the engine and adapters raise. Anything unlisted is a 500. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  usage: 400,
  invalid_budget: 400,
  unknown_source: 400,
  source_unreachable: 400,
  folder_not_found: 422,
  not_a_folder: 422,
  no_documents: 422,
  no_session: 404,
  no_checkpoint: 404,
  nothing_to_stop: 404,
  nothing_to_resume: 404,
  nothing_to_retry: 404,
  not_running: 409,
  session_running: 409,
  session_finished: 409,
  session_starting: 409,
  confirmation_required: 409,
  confirmation_expired: 409,
  not_configured: 503,
  drive_not_configured: 503,
  engine_closed: 503,
  db_locked: 503,
};

/** Integrations answer with their own prefixed codes (`vast_…`, `drive_…`): the fault is upstream, a 502. */
const UPSTREAM_PREFIXES = ['vast_', 'drive_', 'gdrive_', 'google_', 'supabase_', 'claude_', 'anthropic_', 'telegram_', 'worker_'];

export function statusForCode(code: string): number {
  const known = STATUS_BY_CODE[code];
  if (known !== undefined) return known;
  return UPSTREAM_PREFIXES.some((prefix) => code.startsWith(prefix)) ? 502 : 500;
}

export interface ErrorReply {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Unexpected: the caller logs it with its stack; the client only sees the request id. */
  unexpected: Error | null;
}

/** Turns anything thrown by a handler into what the client sees. Secrets are masked from every message. */
export function errorReply(thrown: unknown, requestId: string): ErrorReply {
  if (thrown instanceof HttpError) {
    return {
      status: thrown.status,
      body: errorBody(thrown.code, thrown.message, requestId, thrown.details.hint, thrown.details.fields),
      headers: thrown.details.headers ?? {},
      unexpected: null,
    };
  }
  if (thrown instanceof AppError) {
    const status = statusForCode(thrown.code);
    return {
      status,
      body: errorBody(thrown.code, thrown.message, requestId, thrown.hint),
      headers: {},
      unexpected: status >= 500 && status !== 502 && status !== 503 ? thrown : null,
    };
  }
  return {
    status: 500,
    body: errorBody('internal', 'Something went wrong inside the service; the log has the details.', requestId),
    headers: {},
    unexpected: coerceError(thrown),
  };
}

export function errorBody(code: string, message: string, requestId?: string, hint?: string, fields?: FieldIssue[]): ErrorBody {
  return {
    error: {
      code,
      message: maskSecrets(message),
      ...(hint ? { hint: maskSecrets(hint) } : {}),
      ...(fields && fields.length > 0 ? { fields } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    },
  };
}
