/**
 * The worker's own folder for downloads (under TMPDIR). Everything in it belongs to one worker process: it is
 * removed when the worker stops, and a worker starting up removes the folders of workers that died without
 * cleaning up (killed, out of memory, the machine restarted), so temporary files never pile up.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logger.js';
import { isProcessAlive } from '../../core/process-alive.js';

const PREFIX = 'aseagi-worker-';
/** aseagi-worker-<pid>-<process start, ms since epoch>-<random> */
const FOLDER = /^aseagi-worker-(\d+)-(\d+)-/;

export interface TempSpace {
  readonly dir: string;
  /** Removes the folder and everything in it. Idempotent. */
  close(): Promise<void>;
}

/** When this process started, to the second: with the pid, it tells a live worker from a dead one that had our pid. */
function processStartStamp(): number {
  return Math.round((Date.now() - process.uptime() * 1000) / 1000) * 1000;
}

function isStale(name: string, ownStamp: number): boolean {
  const match = FOLDER.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  // A container restarted with the same pid: the start time tells the old worker's folder from ours.
  if (pid === process.pid) return Math.abs(Number(match[2]) - ownStamp) > 2_000;
  return !isProcessAlive(pid);
}

/** Removes the folders of dead workers under `root`; returns how many. */
export async function sweepStaleTempSpaces(root: string): Promise<number> {
  const ownStamp = processStartStamp();
  const entries = await readdir(root).catch(() => [] as string[]);
  const stale = entries.filter((name) => name.startsWith(PREFIX) && isStale(name, ownStamp));
  await Promise.all(stale.map((name) => rm(path.join(root, name), { recursive: true, force: true }).catch(() => undefined)));
  return stale.length;
}

export async function createTempSpace(logger: Logger, root = os.tmpdir()): Promise<TempSpace> {
  const swept = await sweepStaleTempSpaces(root);
  if (swept > 0) logger.info({ folders: swept }, 'removed temporary folders of workers that did not stop cleanly');
  const dir = await mkdtemp(path.join(root, `${PREFIX}${process.pid}-${processStartStamp()}-`));
  let closing: Promise<void> | undefined;
  return {
    dir,
    close() {
      closing ??= rm(dir, { recursive: true, force: true });
      return closing;
    },
  };
}
