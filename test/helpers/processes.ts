/** Process-tree inspection for "nothing left behind" assertions (Linux /proc). */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
}

export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(entry), ppid, command });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Every process descended from `root` — or orphaned and reparented, if `includeOrphansMatching` matches. */
export function listDescendants(root: number): ProcessInfo[] {
  const all = listProcesses();
  const result: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of all) {
      if (p.ppid === parent) {
        result.push(p);
        queue.push(p.pid);
      }
    }
  }
  return result;
}

/** Processes whose command line contains `needle`, wherever they are in the tree. */
export function processesMatching(needle: string): ProcessInfo[] {
  return listProcesses().filter((p) => p.command.includes(needle) && p.pid !== process.pid);
}
