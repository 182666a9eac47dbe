/**
 * Structured logging. JSON lines by default, human-readable when the destination is a terminal.
 * Secrets are removed by the logger itself (key paths below, and any value registered with
 * {@link registerSecret}), never by hand at call sites.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths whose values are always replaced, whatever object they appear in. */
const REDACT_PATHS = [
  'token',
  'apiKey',
  'api_key',
  'key',
  'password',
  'secret',
  'authorization',
  'Authorization',
  'accessToken',
  'refreshToken',
  'refresh_token',
  'access_token',
  'headers.authorization',
  'headers.Authorization',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.Authorization',
  '*.accessToken',
  '*.refreshToken',
  '*.refresh_token',
  '*.access_token',
  '*.headers.authorization',
  '*.headers.Authorization',
  'location.headers',
  '*.location.headers',
];

const secrets = new Set<string>();

/**
 * Registers a secret value (an API key, a bot token) so that it is masked wherever it appears in a log line,
 * even inside an error message written by a library.
 */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 8) secrets.add(value);
}

/** Replaces every registered secret in a string. Also used before text leaves the process (API, Telegram). */
export function maskSecrets(text: string): string {
  let masked = text;
  for (const secret of secrets) {
    if (masked.includes(secret)) masked = masked.split(secret).join('[REDACTED]');
  }
  return masked;
}

export interface LoggerSettings {
  level?: string;
  /** Write to stderr (the worker keeps stdout for its ready line). */
  stderr?: boolean;
  /** Force pretty or JSON; default: pretty when the destination is a terminal. */
  pretty?: boolean;
  name?: string;
  /** Write here instead of stdout/stderr (tests). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const fd = settings.stderr ? 2 : 1;
  const isTty = fd === 2 ? process.stderr.isTTY : process.stdout.isTTY;
  const pretty = settings.pretty ?? Boolean(isTty);
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: {
      // pino's redaction only sees keys; this catches secrets inside messages and error texts.
      streamWrite: (line) => maskSecrets(line),
    },
    ...(settings.name ? { name: settings.name } : {}),
  };
  if (settings.destination) return pino(options, settings.destination);
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { destination: fd, colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino(options, pino.destination({ fd, sync: true }));
}

/** A logger that drops everything; for tests and libraries used without a host logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
