/**
 * The real program, as the orchestrator starts it: `node --import tsx src/gpu-worker/main.ts` with settings in
 * the environment, one ready line on stdout, and a clean exit on SIGTERM that leaves no process behind.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { workerHealthSchema, workerReadyLineSchema, type WorkerReadyLine } from '../../src/protocol/worker-protocol.js';
import { probeNativeTesseract } from '../../src/gpu-worker/ocr/tesseract-native-engine.js';
import { REPO_ROOT } from './helpers/corpus.js';
import { HAS_PROC, descendants, isAlive } from './helpers/processes.js';
import { TOKEN, api, fileDocument, type Api } from './helpers/worker-client.js';

interface RunningWorker {
  child: ChildProcessWithoutNullStreams;
  stdoutLines: string[];
  stderr: () => string;
  ready: Promise<WorkerReadyLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: RunningWorker[] = [];

function startWorker(env: Record<string, string>): RunningWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/gpu-worker/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdoutLines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => stdoutLines.push(line));
  const ready = new Promise<WorkerReadyLine>((resolve, reject) => {
    lines.once('line', (line) => resolve(workerReadyLineSchema.parse(JSON.parse(line))));
    child.once('exit', () => reject(new Error(`worker exited before its ready line: ${stderr}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const worker = { child, stdoutLines, stderr: () => stderr, ready, exited };
  started.push(worker);
  return worker;
}

function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { WORKER_TOKEN: TOKEN, WORKER_CONCURRENCY: '1', OCR_POOL_SIZE: '1', LOG_LEVEL: 'info', ...extra };
}

async function clientFor(worker: RunningWorker): Promise<Api> {
  const line = await worker.ready;
  return api(`http://${line.host}:${line.port}`);
}

afterEach(() => {
  for (const worker of started.splice(0)) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
});

describe('the worker entry point', () => {
  it('prints one ready line, serves a batch, and on SIGTERM exits 0 leaving no process behind', { timeout: 120_000 }, async () => {
    const worker = startWorker(workerEnv({ OCR_ENGINE: 'auto' }));
    const client = await clientFor(worker);
    const documents = [fileDocument('scan', 'synth_clean_2p.pdf'), fileDocument('long-scan', 'issue7229.pdf')];
    expect((await client.post('/v1/batches', { batchId: 'entry', documents })).status).toBe(202);

    const first = await client.get('/v1/batches/entry?after=0&waitMs=30000');
    expect(first.body).toMatchObject({ results: [expect.objectContaining({ id: 'scan', status: 'ok', ocrPages: 2 })] });
    const health = workerHealthSchema.parse((await client.get('/v1/health')).body);
    expect(health.load.activeDocuments).toBe(1);

    // With the native engine, catch it mid-page: a tesseract process must not outlive the worker.
    const pid = worker.child.pid as number;
    if (HAS_PROC && (await probeNativeTesseract())) {
      await expect.poll(() => descendants(pid).some((child) => child.name === 'tesseract'), { timeout: 20_000 }).toBe(true);
    }
    const children = HAS_PROC ? descendants(pid) : [];
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // OCR processes are the worker's own: gone by the time it exits. Others (tsx's esbuild) follow their parent.
    expect(children.filter((child) => child.name === 'tesseract' && isAlive(child.pid))).toEqual([]);
    for (const child of children) await expect.poll(() => isAlive(child.pid), { timeout: 5_000 }).toBe(false);
    expect(worker.stdoutLines).toHaveLength(1);
    expect(worker.stderr()).toContain('"msg":"worker stopped"');
  });

  it('stops when its stdin closes, if asked to (the orchestrator died)', { timeout: 60_000 }, async () => {
    const worker = startWorker(workerEnv({ WORKER_EXIT_ON_STDIN_CLOSE: '1' }));
    await worker.ready;
    worker.child.stdin.end();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });

  it.each([
    ['WORKER_TOKEN', {}],
    ['WORKER_TOKEN', { WORKER_TOKEN: 'too-short' }],
    ['WORKER_PORT', { WORKER_TOKEN: TOKEN, WORKER_PORT: 'eighty' }],
    ['OCR_ENGINE', { WORKER_TOKEN: TOKEN, OCR_ENGINE: 'magic' }],
    ['WORKER_DOC_HEAP_MB', { WORKER_TOKEN: TOKEN, WORKER_DOC_HEAP_MB: '8' }],
  ])('exits 2 with one line naming %s when the setting is bad', { timeout: 30_000 }, async (variable, env) => {
    const worker = startWorker(env);
    expect(await worker.exited).toEqual({ code: 2, signal: null });
    const lines = worker.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(worker.stdoutLines).toEqual([]);
  });
});
