/**
 * One rented machine as the pool tracks it, from the create request to its destruction, and what it cost:
 * `dph_total` × the time from the create request until the destroy succeeded. Vast bills storage from creation
 * and the GPU from running, so counting the whole span at the full price overstates a little — the safe side.
 */
import type { VastInstance } from './vast-schemas.js';
import type { VastComputeOffer } from './offers.js';
import type { HttpWorker } from '../http-worker.js';
import type { MeteredWorker } from './metered-worker.js';

export type MachineState = 'starting' | 'busy' | 'idle' | 'ended';

export interface Machine {
  seq: number;
  /** The engine's worker id: `<session>.vast<seq>`. */
  workerId: string;
  /** Vast label: `aseagi:<session>:<seq>`. Orphans are found by it. */
  label: string;
  offer: VastComputeOffer;
  /** Known once the create answered (or a look-up by label found it). */
  instanceId: number | null;
  pricePerHour: number;
  token: string;
  /** Encrypts every body to and from the worker: the link to a rented machine crosses the internet. */
  sealKey: string;
  createdAt: number;
  endedAt: number | null;
  state: MachineState;
  http: HttpWorker | null;
  worker: MeteredWorker | null;
  healthFailures: number;
  /** Cancels the timer that destroys an idle machine after the grace period. */
  idleTimer: AbortController | null;
  /** Set once teardown began; everyone who needs the machine gone awaits the same promise. */
  retiring: Promise<void> | null;
}

/** A function, not an inline comparison: the state changes across awaits, which narrowing would not see. */
export function isEnded(machine: Machine): boolean {
  return machine.state === 'ended';
}

export const LABEL_PREFIX = 'aseagi:';

export function machineLabel(sessionId: string, seq: number): string {
  return `${LABEL_PREFIX}${sessionId}:${seq}`;
}

/** The session id inside one of our labels, or null for anyone else's instance. */
export function sessionOfLabel(label: string | null): string | null {
  if (!label?.startsWith(LABEL_PREFIX)) return null;
  const match = /^aseagi:(.+):(\d+)$/.exec(label);
  return match ? match[1]! : null;
}

/** What people read: "RTX 4090 · vast 123456". */
export function humanLabel(machine: Machine): string {
  return `${machine.offer.gpuName} · vast ${machine.instanceId ?? '?'}`;
}

export function machineCost(machine: Machine, now: number): number {
  if (machine.instanceId === null) return 0;
  const end = machine.endedAt ?? now;
  return (machine.pricePerHour * Math.max(0, end - machine.createdAt)) / 3_600_000;
}

/** Interrupted (outbid, host maintenance): every state field says stopped. */
export function isInterrupted(instance: VastInstance): boolean {
  return instance.cur_state === 'stopped' && instance.intended_status === 'stopped' && instance.next_state === 'stopped';
}

/**
 * Why an instance will never serve us, or null while it still may. `unknown` (no host heartbeat) counts only while
 * starting; a running machine gets the benefit of the doubt until its health checks fail too.
 */
export function instanceProblem(instance: VastInstance, starting: boolean): string | null {
  const message = instance.status_msg ?? '';
  if (/OCI runtime create failed|error response from daemon/i.test(message)) return `the image failed to start (${message.trim().slice(0, 160)})`;
  if (isInterrupted(instance)) return 'the instance was stopped (interrupted)';
  const status = instance.actual_status;
  if (status === 'exited' || status === 'offline' || status === 'stopped' || status === 'frozen') return `the instance is ${status}${message ? ` (${message.trim().slice(0, 120)})` : ''}`;
  if (status === 'unknown' && starting) return 'the host stopped reporting (status unknown)';
  return null;
}

/** `http://<ip>:<public port>` once Vast has mapped the worker's port, else null. */
export function workerUrl(instance: VastInstance, port: number): string | null {
  if (instance.actual_status !== 'running') return null;
  const binding = instance.ports?.[`${port}/tcp`]?.[0];
  const ip = instance.public_ipaddr?.trim();
  if (!binding || !ip) return null;
  const hostPort = Number(binding.HostPort);
  if (!Number.isInteger(hostPort) || hostPort <= 0) return null;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${hostPort}`;
}
