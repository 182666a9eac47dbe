/**
 * Entry point of the document worker program (`node dist/gpu-worker/main.js`, or from source with
 * `node --import tsx src/gpu-worker/main.ts`). Configured by environment variables only (see ./config.ts).
 *
 * stdout carries exactly one line, the JSON ready line (`workerReadyLineSchema`) the local compute provider
 * reads to learn the port; every log line goes to stderr. SIGTERM/SIGINT stop it cleanly (exit 0).
 */
import { workerReadyLineSchema, type WorkerReadyLine } from '../protocol/worker-protocol.js';
import { createLogger, registerSecret, type Logger } from '../logger.js';
import { describeError } from '../core/errors.js';
import { parseWorkerConfig, type WorkerConfig } from './config.js';
import { startWorkerServer } from './server.js';

const EXIT_CONFIG = 2;
const EXIT_FAILURE = 1;

/** After the ready line, anything written to stdout (by a library, say) goes to stderr instead. */
function reserveStdoutForReadyLine(): void {
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
}

function printReadyLine(line: WorkerReadyLine): void {
  process.stdout.write(`${JSON.stringify(workerReadyLineSchema.parse(line))}\n`);
  reserveStdoutForReadyLine();
}

function loadConfig(): WorkerConfig {
  try {
    return parseWorkerConfig(process.env);
  } catch (error) {
    process.stderr.write(`gpu-worker: ${describeError(error)}\n`);
    process.exit(EXIT_CONFIG);
  }
}

/** Stops the program once: closes the server, then exits (0, or 1 when closing failed or `failed` says so). */
function createStopper(logger: Logger): { stop(reason: string, failed?: boolean): void; attach(close: () => Promise<void>): void } {
  let close: (() => Promise<void>) | undefined;
  let stopping = false;
  return {
    attach(closeServer) {
      close = closeServer;
    },
    stop(reason, failed = false) {
      if (stopping) return;
      stopping = true;
      logger.info({ reason }, 'stopping');
      (close ?? (() => Promise.resolve()))().then(
        () => process.exit(failed ? EXIT_FAILURE : 0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(EXIT_FAILURE);
        },
      );
    },
  };
}

/** Stops on SIGTERM/SIGINT and, when configured, when stdin closes (the parent is gone). */
function stopOnRequest(stop: (reason: string) => void, config: WorkerConfig): void {
  // Signal listeners are called with (name, number): pass the name only.
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  if (config.exitOnStdinClose) {
    process.stdin.once('end', () => stop('stdin closed'));
    process.stdin.once('error', () => stop('stdin failed'));
    process.stdin.resume();
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  for (const secret of [config.token, config.orphan?.apiKey, config.vlm?.apiKey]) registerSecret(secret);
  const logger = createLogger({ level: config.logLevel, stderr: true, pretty: false, name: 'gpu-worker' });
  const stopper = createStopper(logger);
  try {
    const onOrphaned = (outcome: string): void => stopper.stop(`orphaned (${outcome})`, outcome === 'failed');
    const server = await startWorkerServer({ config, logger, onOrphaned });
    stopper.attach(server.close);
    stopOnRequest(stopper.stop, config);
    printReadyLine({ event: 'listening', host: server.host, port: server.port, pid: process.pid });
  } catch (error) {
    const code = (error as { code?: unknown }).code === 'config_invalid' ? EXIT_CONFIG : EXIT_FAILURE;
    process.stderr.write(`gpu-worker: ${describeError(error)}\n`);
    process.exit(code);
  }
}

await main();
