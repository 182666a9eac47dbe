/**
 * `aseagi serve` (`npm start`): the long-lived service. The engine, plus every front end that is configured; it
 * runs until SIGINT/SIGTERM, then stops taking work, pauses what runs, and closes everything.
 */
import { httpApiPart } from './api/service.js';
import { telegramPart } from './bot/service.js';
import type { Env } from './config.js';
import { coerceError } from './core/errors.js';
import type { Logger } from './logger.js';
import { createApp } from './main.js';
import type { App } from './main.js';

/** One front end or background job of the service. `stop` is idempotent. */
export interface ServicePart {
  name: string;
  stop(): Promise<void>;
}

export type ServicePartFactory = (app: App) => Promise<ServicePart | null>;

/** Front ends register here from the composition of the service (see {@link defaultParts}). */
export async function startParts(app: App, factories: readonly ServicePartFactory[]): Promise<ServicePart[]> {
  const parts: ServicePart[] = [];
  try {
    for (const factory of factories) {
      const part = await factory(app);
      if (part) parts.push(part);
    }
  } catch (error) {
    await stopParts(app.logger, parts);
    throw error;
  }
  return parts;
}

export async function stopParts(logger: Logger, parts: readonly ServicePart[]): Promise<void> {
  for (const part of [...parts].reverse()) {
    try {
      await part.stop();
    } catch (error) {
      logger.error({ err: coerceError(error), part: part.name }, 'stopping a part of the service failed');
    }
  }
}

/** The parts `aseagi serve` runs. Each returns null (and says so) when it is not configured. */
export function defaultParts(): ServicePartFactory[] {
  return [httpApiPart, telegramPart];
}

function waitForShutdown(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function serve(env: Env, logger: Logger, options: { dbPath: string; cliLogger?: Logger }): Promise<number> {
  const app = createApp(env, logger, { dbPath: options.dbPath });
  let parts: ServicePart[] = [];
  try {
    parts = await startParts(app, defaultParts());
    logger.info({ parts: parts.map((p) => p.name), db: options.dbPath }, 'ASEAGI Batch is running');
    const signal = await waitForShutdown();
    logger.info({ signal }, 'shutting down: pausing work in progress');
    return 0;
  } finally {
    await stopParts(logger, parts);
    await app.close();
  }
}
