/**
 * The gpu-worker image's entrypoint script, run here with bash: vLLM (a stand-in serving vLLM's HTTP surface,
 * since vLLM needs a GPU) is started when OCR_ENGINE asks for it, waited for, and the real worker program is
 * pointed at it; without a GPU `auto` skips it; a vLLM that never comes up fails OCR_ENGINE=vlm; SIGTERM stops
 * both processes.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { workerHealthSchema } from '../../src/protocol/worker-protocol.js';
import { TOKEN, api, fileDocument, pollUntilFinished } from '../gpu-worker/helpers/worker-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HAS_BASH = spawnSync('bash', ['--version']).status === 0;
const HAS_GPU = spawnSync('nvidia-smi', ['-L']).status === 0;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'entrypoint-'));
const running: ChildProcessWithoutNullStreams[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startEntrypoint(env: Record<string, string>) {
  const workerPort = await freePort();
  const vllmLog = path.join(scratch, `vllm-${workerPort}.log`);
  const child = spawn('bash', ['docker/gpu-worker-entrypoint.sh'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', WORKER_TOKEN: TOKEN, WORKER_HOST: '127.0.0.1',
      WORKER_PORT: String(workerPort), WORKER_CONCURRENCY: '1', OCR_POOL_SIZE: '1', LOG_LEVEL: 'warn',
      VLLM_PORT: String(await freePort()), FAKE_VLLM_LOG: vllmLog,
      VLLM_COMMAND: 'node --import tsx test/docker/fake-vllm.ts',
      WORKER_COMMAND: 'node --import tsx src/gpu-worker/main.ts',
      ...env,
    },
  });
  running.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const vllmStarts = (): Array<{ pid: number; args: string[] }> =>
    existsSync(vllmLog) ? readFileSync(vllmLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { pid: number; args: string[] }) : [];
  return { child, exited, output: () => output, vllmStarts, client: api(`http://127.0.0.1:${workerPort}`) };
}

async function healthOf(client: ReturnType<typeof api>) {
  let health: unknown;
  await expect
    .poll(async () => {
      health = await client.get('/v1/health').then((reply) => (reply.status === 200 ? reply.body : null), () => null);
      return health !== null;
    }, { timeout: 60_000, interval: 250 })
    .toBe(true);
  return workerHealthSchema.parse(health);
}

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!HAS_BASH)('gpu-worker entrypoint', () => {
  it('starts vLLM for OCR_ENGINE=vlm, waits for it, points the worker at it; SIGTERM stops both', { timeout: 120_000 }, async () => {
    const started = await startEntrypoint({ OCR_ENGINE: 'vlm', OCR_VLM_MODEL: 'allenai/olmOCR-2-7B-1025-FP8', FAKE_VLLM_READY_AFTER_MS: '1500' });
    const health = await healthOf(started.client);
    expect(health.ocrEngines[0]).toBe('vlm');
    const [vllm] = started.vllmStarts();
    expect(vllm?.args.slice(0, 2)).toEqual(['serve', 'allenai/olmOCR-2-7B-1025-FP8']);
    expect(vllm?.args).toEqual(expect.arrayContaining(['--host', '127.0.0.1', '--served-model-name', 'allenai/olmOCR-2-7B-1025-FP8']));
    expect(started.output()).toContain('vLLM is ready');

    await started.client.post('/v1/batches', { batchId: 'entry', documents: [fileDocument('image', 'images/clean_p1.png')] });
    const [result] = (await pollUntilFinished(started.client, 'entry', 30_000)).flatMap((state) => state.results);
    expect(result).toMatchObject({ status: 'ok', ocrEngine: 'vlm', text: '--- page 1 ---\nRead by the fake vLLM.' });

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    await expect.poll(() => isAlive(vllm?.pid ?? 0), { timeout: 10_000 }).toBe(false);
  });

  it.skipIf(HAS_GPU)('does not start vLLM for OCR_ENGINE=auto on a machine without a GPU', { timeout: 60_000 }, async () => {
    const started = await startEntrypoint({ OCR_ENGINE: 'auto' });
    const health = await healthOf(started.client);
    expect(health.ocrEngines).not.toContain('vlm');
    expect(started.vllmStarts()).toEqual([]);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });

  it('gives up when vLLM dies before it is ready and OCR_ENGINE=vlm needs it', { timeout: 60_000 }, async () => {
    const started = await startEntrypoint({ OCR_ENGINE: 'vlm', VLLM_COMMAND: 'false' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('OCR_ENGINE=vlm needs vLLM');
  });
});
