/** Checks of this machine: the database, disk space, the worker program, OCR engines, the worker image setting. */
import { execFile } from 'node:child_process';
import { constants, existsSync, readFileSync } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Env } from '../../config.js';
import { HttpWorker } from '../../core/compute/http-worker.js';
import { startWorkerProcess } from '../../core/compute/worker-process.js';
import type { StartedWorkerProcess } from '../../core/compute/worker-process.js';
import type { EngineLogger } from '../../core/engine/types.js';
import { openDatabase } from '../../core/store/database.js';
import { MIGRATIONS, appliedMigrations } from '../../core/store/migrations.js';
import { localWorkerEnv } from '../../main.js';
import type { WorkerHealth } from '../../protocol/worker-protocol.js';
import { ok, off, problem, warning } from '../types.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const execFileAsync = promisify(execFile);
const GIB = 1024 ** 3;

/** The closest folder that exists, walking up from `path`. */
function nearestExisting(path: string): string {
  let current = resolve(path);
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

async function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
}

export function databaseCheck(dbPath: string): DoctorCheck {
  return {
    name: 'database',
    run: async () => {
      if (!existsSync(dbPath)) {
        const folder = nearestExisting(dirname(dbPath));
        if (!(await writable(folder))) return problem(`${dbPath} does not exist and ${folder} is not writable.`, 'Make the folder writable, or set ASEAGI_DB elsewhere.');
        return ok(`${dbPath} will be created on first use.`);
      }
      if (!(await writable(dbPath)) || !(await writable(dirname(dbPath)))) {
        return problem(`${dbPath} (or its folder) is not writable.`, 'Fix the permissions: SQLite needs to write the file and its -wal/-shm files next to it.');
      }
      return migrationState(dbPath);
    },
  };
}

function migrationState(dbPath: string): CheckResult {
  const store = openDatabase(dbPath, { readonly: true });
  try {
    const applied = appliedMigrations(store.db);
    const known = new Set(MIGRATIONS.map((m) => m.id));
    const unknown = [...applied].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      return problem(`${dbPath} has schema changes this program does not know (${unknown.join(', ')}).`, 'Upgrade ASEAGI Batch to the version that wrote this database.');
    }
    const pending = MIGRATIONS.filter((m) => !applied.has(m.id)).length;
    const owner = lockOwner(`${dbPath}.lock`);
    const inUse = owner ? `; in use by pid ${owner}` : '';
    return ok(pending === 0 ? `${dbPath}: schema current (${applied.size} migrations)${inUse}.` : `${dbPath}: ${pending} migration(s) will apply at the next start${inUse}.`);
  } finally {
    store.close();
  }
}

function lockOwner(lockPath: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
    if (!Number.isFinite(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Free space where results and the database live. */
export function diskCheck(dataDir: string, thresholds = { problemBytes: 1 * GIB, warningBytes: 10 * GIB }): DoctorCheck {
  return {
    name: 'disk space',
    run: async () => {
      const folder = nearestExisting(dataDir);
      const stats = await statfs(folder);
      const free = stats.bavail * stats.bsize;
      const shown = `${(free / GIB).toFixed(1)} GB free at ${folder}`;
      if (free < thresholds.problemBytes) return problem(`${shown}.`, 'Free some space or point DATA_DIR/ASEAGI_DB at a bigger disk.');
      if (free < thresholds.warningBytes) return warning(`${shown}.`, 'Text and the search index grow with the collection: keep several GB free.');
      return ok(`${shown}.`);
    },
  };
}

/** What the worker check learnt, for the OCR check that follows it. */
export interface WorkerProbe {
  health: WorkerHealth | null;
}

/** Starts the worker program exactly as the local compute does and asks it for /v1/health. */
export function workerCheck(env: Env, logger: EngineLogger, probe: WorkerProbe, startTimeoutMs = 30_000): DoctorCheck {
  return {
    name: 'local worker',
    run: async (signal) => {
      let started: StartedWorkerProcess | null = null;
      const killOnAbort = (): void => started?.kill();
      signal.addEventListener('abort', killOnAbort, { once: true });
      try {
        started = await startWorkerProcess({ workerId: 'doctor', env: { OCR_POOL_SIZE: '1', ...localWorkerEnv(env) }, logger, startTimeoutMs });
        if (signal.aborted) return problem('Stopped: the check ran out of time.', 'Run doctor again.');
        const worker = new HttpWorker({ id: 'doctor', label: 'doctor', baseUrl: started.url, token: started.token, sealKey: started.sealKey, target: { sharesFileSystem: true }, logger });
        probe.health = await worker.health(signal);
        const h = probe.health;
        return ok(`worker ${h.version} answers /v1/health (protocol ${h.protocol}, ${h.load.cpus} CPUs${h.gpu ? `, ${h.gpu.name}` : ''}); OCR engines: ${h.ocrEngines.join(', ') || 'none'}.`);
      } catch (error) {
        return problem(`The worker did not start or answer: ${(error as Error).message}`, 'Run `npm run build` (or reinstall), then `aseagi extract <a pdf>` to see the worker\'s own error.');
      } finally {
        signal.removeEventListener('abort', killOnAbort);
        await started?.stop(2_000);
      }
    },
  };
}

export async function findOnPath(binary: string, path = process.env.PATH ?? ''): Promise<string | null> {
  for (const folder of path.split(delimiter).filter(Boolean)) {
    const candidate = join(folder, binary);
    const found = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return candidate;
  }
  return null;
}

async function tesseractLanguages(binary: string, signal: AbortSignal): Promise<string[]> {
  const { stdout, stderr } = await execFileAsync(binary, ['--list-langs'], { timeout: 10_000, signal });
  // Old versions print the list on stderr; the first line is a heading.
  return `${stdout}\n${stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[a-z_]+$/i.test(line));
}

/** OCR as configured: the native engine and its languages, or what the worker says it can do. */
export function ocrCheck(env: Env, probe: WorkerProbe, path = process.env.PATH ?? ''): DoctorCheck {
  return {
    name: 'OCR',
    run: async (signal) => {
      if (env.OCR_ENGINE === 'none') return off('OCR_ENGINE=none: scanned pages stay without text.', 'Set OCR_ENGINE=auto to read scans.');
      const reported = probe.health?.ocrEngines ?? null;
      if (env.OCR_ENGINE !== 'auto' && reported && !reported.includes(env.OCR_ENGINE)) {
        return problem(`OCR_ENGINE=${env.OCR_ENGINE}, but the worker offers only ${reported.join(', ')}.`, 'Install that engine, or set OCR_ENGINE=auto.');
      }
      const native = await findOnPath('tesseract', path);
      const wanted = env.OCR_LANGS.split('+');
      if (!native) {
        if (env.OCR_ENGINE === 'tesseract') return problem('OCR_ENGINE=tesseract, but tesseract is not on PATH.', 'Install it (Debian/Ubuntu: apt-get install tesseract-ocr).');
        if (env.OCR_ENGINE === 'tesseract-js' || env.OCR_ENGINE === 'vlm') return ok(`OCR_ENGINE=${env.OCR_ENGINE}.`);
        return warning('Native tesseract is not on PATH: OCR falls back to tesseract.js, several times slower.', 'Install tesseract (apt-get install tesseract-ocr) for faster OCR.');
      }
      const languages = await tesseractLanguages(native, signal);
      const missing = wanted.filter((lang) => !languages.includes(lang));
      if (missing.length > 0) {
        return problem(`tesseract at ${native} lacks the language data for ${missing.join(', ')} (OCR_LANGS=${env.OCR_LANGS}).`, `Install it (apt-get install ${missing.map((l) => `tesseract-ocr-${l.replace(/_/g, '-')}`).join(' ')}), or change OCR_LANGS.`);
      }
      return ok(`tesseract at ${native} with ${wanted.join('+')} (OCR_ENGINE=${env.OCR_ENGINE}).`);
    },
  };
}

const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** A rented machine runs the worker from this image; without it nothing can be rented. */
export function workerImageCheck(env: Env): DoctorCheck {
  return {
    name: 'worker image',
    run: () => {
      if (!env.VAST_AI_API_KEY) return Promise.resolve(off('Only needed with Vast.ai.'));
      if (!env.WORKER_IMAGE) return Promise.resolve(problem('VAST_AI_API_KEY is set but WORKER_IMAGE is not.', 'Set WORKER_IMAGE to the worker\'s Docker image (docs/worker.md).'));
      if (!IMAGE_REFERENCE.test(env.WORKER_IMAGE)) return Promise.resolve(problem(`WORKER_IMAGE "${env.WORKER_IMAGE}" is not a Docker image reference.`, 'Use registry/name:tag, e.g. ghcr.io/you/aseagi-worker:1.0.'));
      return Promise.resolve(ok(`WORKER_IMAGE=${env.WORKER_IMAGE}`));
    },
  };
}
