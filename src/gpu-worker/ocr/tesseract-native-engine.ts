/**
 * OCR with the native `tesseract` binary (Debian `tesseract-ocr`): one short-lived process per page, at most
 * `poolSize` at a time, each single-threaded (OMP_THREAD_LIMIT=1) because page-level parallelism beats
 * tesseract's own threading. Pixels go in on stdin as PGM; TSV comes back on stdout.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../logger.js';
import { ResourcePool } from '../resource-pool.js';
import { encodePgm, type OcrEngine, type OcrImage, type OcrOutput, type OcrRequest } from './ocr-engine.js';
import { parseTesseractTsv } from './tesseract-tsv.js';

const execFileAsync = promisify(execFile);
const MAX_STDERR_CHARS = 2_000;

export interface NativeTesseract {
  binary: string;
  languages: string[];
}

/** Finds an executable by name on PATH, like `which`. */
export async function findOnPath(name: string, searchPath = process.env.PATH ?? ''): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** The tesseract binary on PATH and its installed languages, or null when it is absent or broken. */
export async function probeNativeTesseract(searchPath?: string): Promise<NativeTesseract | null> {
  const binary = await findOnPath('tesseract', searchPath);
  if (!binary) return null;
  try {
    const { stdout } = await execFileAsync(binary, ['--list-langs'], { timeout: 10_000 });
    const languages = stdout
      .split('\n')
      .slice(1)
      .map((line) => line.trim())
      .filter((line) => /^[a-z_]+$/.test(line));
    return { binary, languages };
  } catch {
    return null;
  }
}

export interface NativeTesseractEngineOptions {
  tesseract: NativeTesseract;
  poolSize: number;
  logger: Logger;
}

function tesseractArgs(image: OcrImage, request: OcrRequest): string[] {
  const args = ['stdin', 'stdout', '-l', request.langs, '--psm', String(request.psm)];
  // A PGM carries no resolution; without it tesseract guesses and sizes its models wrongly.
  if (image.kind === 'gray') args.push('--dpi', String(image.dpi));
  args.push('tsv');
  return args;
}

function imageBytes(image: OcrImage): Uint8Array {
  return image.kind === 'gray' ? encodePgm(image) : image.bytes;
}

export function createNativeTesseractEngine(options: NativeTesseractEngineOptions): OcrEngine {
  // Each running child and a promise of its exit, so close() can wait until none is left.
  const children = new Map<ChildProcess, Promise<void>>();
  const slots = new ResourcePool<number>(options.poolSize, { create: async () => 0, destroy: () => undefined });
  let closed = false;

  function run(image: OcrImage, request: OcrRequest): Promise<OcrOutput> {
    return new Promise<OcrOutput>((resolve, reject) => {
      const child = spawn(options.tesseract.binary, tesseractArgs(image, request), {
        env: { ...process.env, OMP_THREAD_LIMIT: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      children.set(child, new Promise((settle) => child.once('close', () => settle())));
      const stdout: Buffer[] = [];
      let stderr = '';
      const onAbort = (): void => {
        child.kill('SIGKILL');
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_STDERR_CHARS) stderr += chunk.toString('utf8');
      });
      // tesseract may exit before reading all of stdin (bad image): the exit code tells the story, not EPIPE.
      child.stdin.on('error', () => undefined);
      child.on('error', reject);
      child.on('close', (code, signalName) => {
        children.delete(child);
        request.signal?.removeEventListener('abort', onAbort);
        const output = code === 0 ? parseTesseractTsv(Buffer.concat(stdout).toString('utf8')) : null;
        if (request.signal?.aborted) reject(request.signal.reason);
        else if (output) resolve(output);
        else reject(new Error(`tesseract could not read the image (exit ${code ?? signalName}): ${stderr.trim().slice(0, 500)}`));
      });
      child.stdin.end(imageBytes(image));
    });
  }

  return {
    name: 'tesseract',
    async recognize(image, request) {
      const slot = await slots.acquire(request.signal);
      try {
        return await run(image, request);
      } finally {
        slots.release(slot);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const running = [...children.keys()];
      for (const child of running) child.kill('SIGKILL');
      await Promise.all(children.values());
      await slots.close();
      options.logger.debug({ killed: running.length }, 'native tesseract engine closed');
    },
  };
}
