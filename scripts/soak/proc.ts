/**
 * The soak's view of processes (Linux /proc): everything it starts inherits a HOME of its own, so "ours" is
 * exact, and a pid is paired with its start time so a recycled pid is never mistaken for one of ours.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessRef {
  pid: number;
  /** Clock ticks since boot when it started (/proc/<pid>/stat field 22). */
  startedAt: number;
  command: string;
}

function stat(pid: number): { ppid: number; startedAt: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces; fields after it are positional.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), startedAt: Number(fields[19]) };
  } catch {
    return null;
  }
}

export function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
}

function refOf(pid: number): ProcessRef | null {
  const info = stat(pid);
  return info ? { pid, startedAt: info.startedAt, command: commandOf(pid) } : null;
}

/** Every live process whose environment holds exactly `entry` (e.g. `HOME=/tmp/soak-x`). */
export function processesWithEnv(entry: string): ProcessRef[] {
  return allPids()
    .filter((pid) => pid !== process.pid && environOf(pid).includes(entry))
    .map(refOf)
    .filter((ref): ref is ProcessRef => ref !== null);
}

/** Every process below `root`. */
export function descendantsOf(root: number): ProcessRef[] {
  const parents = new Map<number, number[]>();
  for (const pid of allPids()) {
    const info = stat(pid);
    if (!info) continue;
    parents.set(info.ppid, [...(parents.get(info.ppid) ?? []), pid]);
  }
  const found: ProcessRef[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      const ref = refOf(child);
      if (ref) found.push(ref);
      queue.push(child);
    }
  }
  return found;
}

/** Still the same process (same pid, same start time) and not a zombie waiting to be reaped. */
export function stillRunning(ref: ProcessRef): boolean {
  const info = stat(ref.pid);
  if (!info || info.startedAt !== ref.startedAt) return false;
  try {
    const state = readFileSync(`/proc/${ref.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL, only if `ref` is still the process we mean. */
export function killRef(ref: ProcessRef): void {
  if (!stillRunning(ref)) return;
  try {
    process.kill(ref.pid, 'SIGKILL');
  } catch {
    // gone in between
  }
}

/** The pid of the worker process started as `workerId` (its WORKER_ID), if it runs. */
export function workerProcess(workerId: string): ProcessRef | null {
  const [found] = processesWithEnv(`WORKER_ID=${workerId}`);
  return found ?? null;
}

export async function waitUntil(predicate: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}
