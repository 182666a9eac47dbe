/** A real pino logger (with the project's redaction) writing into memory, so tests can read every line. */
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logger.js';
import type { Logger } from '../../../src/logger.js';

export interface CapturedLog {
  logger: Logger;
  text(): string;
}

export function captureLog(level = 'debug'): CapturedLog {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level, destination, pretty: false });
  return { logger, text: () => chunks.join('') };
}
