/**
 * Coded errors. Every failure that crosses a boundary (a document, a worker, an integration, the CLI) is one
 * of these, so front ends can say what happened and whether trying again can help.
 */

/** Why one document could not be turned into text. Closed union: front ends group failures by it. */
export const DOCUMENT_ERROR_CODES = [
  'encrypted',
  'corrupt',
  'unsupported_type',
  'too_large',
  'too_complex',
  'timeout',
  'not_found',
  'access_denied',
  'fetch_failed',
  'export_too_large',
  'worker_crashed',
  'internal',
] as const;
export type DocumentErrorCode = (typeof DOCUMENT_ERROR_CODES)[number];

/** Codes for which another attempt can succeed; the rest fail at once. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<DocumentErrorCode> = new Set([
  'timeout',
  'fetch_failed',
  'worker_crashed',
  'internal',
]);

export function isRetryableCode(code: DocumentErrorCode): boolean {
  return RETRYABLE_BY_DEFAULT.has(code);
}

export function isDocumentErrorCode(value: unknown): value is DocumentErrorCode {
  return typeof value === 'string' && (DOCUMENT_ERROR_CODES as readonly string[]).includes(value);
}

/** A document-level failure. Carries its code and whether a retry can help. */
export class DocumentError extends Error {
  override readonly name = 'DocumentError';
  readonly code: DocumentErrorCode;
  readonly retryable: boolean;

  constructor(code: DocumentErrorCode, message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options?.retryable ?? isRetryableCode(code);
  }

  toJSON(): { code: DocumentErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

/**
 * A failure of the application itself (configuration, a database in use, an integration refusing us).
 * `code` is stable and machine-readable; `message` is written for the person reading it, says what is
 * wrong and, where we know, what to do.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options?.hint;
  }
}

/** Normalises anything thrown into an Error, so boundaries never handle `unknown`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}

/** The one-line reason a person sees. */
export function describeError(thrown: unknown): string {
  const error = coerceError(thrown);
  if (error instanceof AppError && error.hint) return `${error.message} ${error.hint}`;
  return error.message;
}
