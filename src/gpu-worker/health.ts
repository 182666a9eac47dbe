/** What `GET /v1/health` reports: who this worker is, what it can do, and how busy it is. */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { PROTOCOL_VERSION, type WorkerHealth } from '../protocol/worker-protocol.js';
import { findOnPath } from './ocr/tesseract-native-engine.js';

const execFileAsync = promisify(execFile);

export type GpuInfo = NonNullable<WorkerHealth['gpu']>;

function numberOrNull(cell: string | undefined): number | null {
  const value = Number(cell?.trim());
  return cell !== undefined && cell.trim() !== '' && Number.isFinite(value) ? value : null;
}

/**
 * Parses `nvidia-smi --query-gpu=name,memory.total,utilization.gpu --format=csv,noheader,nounits`. Several
 * GPUs are reported as one: "2 × NAME", the first one's memory, the mean utilisation.
 */
export function parseNvidiaSmi(csv: string): GpuInfo | null {
  const rows = csv
    .split('\n')
    .map((line) => line.split(',').map((cell) => cell.trim()))
    .filter((cells) => cells.length >= 3 && cells[0]);
  const first = rows[0];
  if (!first) return null;
  const utilisations = rows.map((cells) => numberOrNull(cells[2])).filter((value): value is number => value !== null);
  const meanUtilisation = utilisations.length ? utilisations.reduce((a, b) => a + b, 0) / utilisations.length : null;
  return {
    name: rows.length > 1 ? `${rows.length} × ${first[0]}` : (first[0] as string),
    memoryTotalMb: numberOrNull(first[1]),
    utilizationPct: meanUtilisation,
  };
}

export type GpuProbe = () => Promise<GpuInfo | null>;

const GPU_QUERY = ['--query-gpu=name,memory.total,utilization.gpu', '--format=csv,noheader,nounits'];

/** Asks nvidia-smi (when installed), at most once per `cacheMs`. */
export function createGpuProbe(cacheMs = 5_000): GpuProbe {
  let binary: Promise<string | null> | undefined;
  let cached: { at: number; value: GpuInfo | null } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    binary ??= findOnPath('nvidia-smi');
    const path = await binary;
    let value: GpuInfo | null = null;
    if (path) {
      value = await execFileAsync(path, GPU_QUERY, { timeout: 5_000 }).then(
        ({ stdout }) => parseNvidiaSmi(stdout),
        () => null,
      );
    }
    cached = { at: Date.now(), value };
    return value;
  };
}

export interface HealthSources {
  workerId: string;
  version: string;
  startedAt: number;
  ocrEngines: readonly string[];
  gpu: GpuProbe;
  load(): Omit<WorkerHealth['load'], 'cpus' | 'loadAvg1m'>;
}

export async function collectHealth(sources: HealthSources): Promise<WorkerHealth> {
  return {
    ok: true,
    protocol: PROTOCOL_VERSION,
    version: sources.version,
    workerId: sources.workerId,
    uptimeS: Math.max(0, Math.round((Date.now() - sources.startedAt) / 1000)),
    ocrEngines: [...sources.ocrEngines],
    gpu: await sources.gpu(),
    load: {
      cpus: os.availableParallelism(),
      loadAvg1m: Math.max(0, os.loadavg()[0] ?? 0),
      ...sources.load(),
    },
  };
}
