/**
 * A compute provider whose workers are the REAL worker program (src/gpu-worker: fetchers, isolates, batch runner,
 * HTTP routes with the bearer token) started in this process and reached over the REAL protocol client
 * ({@link HttpWorker}). It differs from local worker processes in one way only: the URL fetcher's retries and idle
 * timeout are test-sized, so a hung or rate-limited download costs milliseconds instead of a minute.
 * Like rented machines, these workers do not share the file system (`sharesFileSystem: false`).
 */
import { randomBytes } from 'node:crypto';
import { HttpWorker } from '../../../src/core/compute/http-worker.js';
import type { ComputeProvider, ComputeSessionContext, Worker, WorkerPool } from '../../../src/core/engine/ports.js';
import type { WorkerConfig } from '../../../src/gpu-worker/config.js';
import { startWorkerServer } from '../../../src/gpu-worker/server.js';
import type { WorkerServer } from '../../../src/gpu-worker/server.js';
import { silentLogger } from '../../../src/logger.js';
import { testConfig } from '../../gpu-worker/helpers/worker-client.js';

export interface InProcessWorkersOptions {
  workers?: number;
  /** URL fetch tuning every worker gets (default: 4 tries, 5–20 ms backoff, 500 ms idle timeout). */
  idleTimeoutMs?: number;
}

/** Every worker started so far, with the token it was given (tests check tokens and requests). */
export interface StartedWorker {
  id: string;
  token: string;
  server: WorkerServer;
}

export interface InProcessCompute extends ComputeProvider {
  readonly started: StartedWorker[];
}

function workerConfig(workerId: string, token: string): WorkerConfig {
  return testConfig({ token, workerId, documentHeapMb: 256, maxBodyBytes: 4 * 1024 * 1024, prefetch: { documents: 1, bytes: 64 * 1024 * 1024 } });
}

export function createInProcessCompute(options: InProcessWorkersOptions = {}): InProcessCompute {
  const count = options.workers ?? 2;
  const started: StartedWorker[] = [];
  let servers: Promise<StartedWorker[]> | null = null;
  // Started once and kept warm across sessions, like local worker processes: a worker's start-up (its isolate
  // threads load the PDF library) is what would otherwise dominate a small session.
  const start = (): Promise<StartedWorker[]> =>
    (servers ??= Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const id = `inproc${i + 1}`;
        const token = randomBytes(18).toString('base64url');
        const server = await startWorkerServer({
          config: workerConfig(id, token),
          nativeTesseract: null,
          urlFetch: { attempts: 4, retryPolicy: { baseMs: 5, maxMs: 20, jitter: 0.5 }, idleTimeoutMs: options.idleTimeoutMs ?? 500 },
        });
        const worker = { id, token, server };
        started.push(worker);
        return worker;
      }),
    ));
  return {
    kind: 'in-process',
    requiresConfirmation: false,
    maxWorkers: count,
    started,
    describe: () => `${count} in-process workers`,
    async open(_context: ComputeSessionContext): Promise<WorkerPool> {
      const idle: Worker[] = (await start()).map(
        (w, i) => new HttpWorker({ id: w.id, label: `in-process #${i + 1}`, baseUrl: w.server.url, token: w.token, target: { sharesFileSystem: false }, logger: silentLogger(), retryDelayMs: 20 }),
      );
      let closed = false;
      return {
        maxWorkers: count,
        acquire: () => Promise.resolve(closed ? null : (idle.pop() ?? null)),
        release: (worker) => {
          idle.push(worker);
          return Promise.resolve();
        },
        lost: () => Promise.resolve(),
        spentUsd: () => 0,
        canDispatch: () => Promise.resolve({ ok: true as const }),
        close() {
          closed = true;
          return Promise.resolve();
        },
      };
    },
    async close() {
      const running = servers ? await servers : [];
      servers = null;
      await Promise.allSettled(running.map((w) => w.server.close()));
    },
  };
}
