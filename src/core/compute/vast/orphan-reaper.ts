/**
 * The orphan reaper: at start-up and every 10 minutes, destroys instances labelled `aseagi:<session>:<n>` that no
 * RUNNING session of this database owns — left behind by a crash, a failed destroy, or a create whose answer was
 * lost. Instances with any other label are never touched. Each destruction is logged and appended to the events
 * table (`compute.orphan_destroyed`), and what the instance cost while nobody watched is booked on its worker.
 *
 * One installation per Vast account: another installation's instances carry the same prefix and would look
 * orphaned from here.
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { coerceError } from '../../errors.js';
import { appendEvent } from '../../store/events.js';
import { getSession } from '../../store/sessions.js';
import { raiseWorkerCost, workerByInstance } from '../../store/vast-instances.js';
import { LABEL_PREFIX, sessionOfLabel } from './machine.js';
import type { VastClient } from './vast-client.js';
import type { VastInstance } from './vast-schemas.js';

export const ORPHAN_SWEEP_INTERVAL_MS = 10 * 60_000;

export interface OrphanReaperDeps {
  client: VastClient;
  db: Database;
  clock: Clock;
  logger: EngineLogger;
  intervalMs?: number;
}

export interface ReapedInstance {
  instanceId: number;
  label: string;
  sessionId: string;
  reason: string;
  costUsd: number | null;
}

export class OrphanReaper {
  private controller: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private sweeping: Promise<ReapedInstance[]> | null = null;
  private readonly log: EngineLogger;

  constructor(private readonly deps: OrphanReaperDeps) {
    this.log = deps.logger.child({ part: 'vast-orphan-reaper' });
  }

  /** Sweeps now, then every interval, until {@link stop}. */
  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
  }

  /** Stops the timer and waits for a sweep in progress (it may be using the database). Idempotent. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    await this.sweeping?.catch(() => undefined);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sweep(signal);
      } catch (error) {
        if (!signal.aborted) this.log.error({ err: coerceError(error) }, 'the orphan sweep failed; trying again later');
      }
      await this.deps.clock.sleep(this.deps.intervalMs ?? ORPHAN_SWEEP_INTERVAL_MS, signal);
    }
  }

  /** One sweep: lists the account's instances and destroys our orphans. One sweep at a time. */
  sweep(signal?: AbortSignal): Promise<ReapedInstance[]> {
    this.sweeping ??= this.sweepOnce(signal).finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepOnce(signal?: AbortSignal): Promise<ReapedInstance[]> {
    const instances = await this.deps.client.listInstances({}, signal);
    const reaped: ReapedInstance[] = [];
    for (const instance of instances) {
      if (signal?.aborted) break;
      const sessionId = sessionOfLabel(instance.label);
      if (!sessionId) continue;
      // Decided after listing: a session that started since then shows as running and keeps its machines.
      const reason = this.orphanReason(sessionId);
      if (!reason) continue;
      const done = await this.destroy(instance, sessionId, reason);
      if (done) reaped.push(done);
    }
    return reaped;
  }

  private orphanReason(sessionId: string): string | null {
    const session = getSession(this.deps.db, sessionId);
    if (!session) return `no session ${sessionId} in this database`;
    if (session.status === 'running') return null;
    return `its session ${sessionId} is ${session.status}${session.pause_reason ? ` (${session.pause_reason})` : ''}`;
  }

  private async destroy(instance: VastInstance, sessionId: string, reason: string): Promise<ReapedInstance | null> {
    const label = instance.label ?? LABEL_PREFIX;
    try {
      await this.deps.client.destroyInstance(instance.id);
    } catch (error) {
      this.log.error({ err: coerceError(error), instanceId: instance.id, label }, 'could not destroy an orphaned instance');
      return null;
    }
    const now = this.deps.clock.now();
    const costUsd = this.bookCost(instance, now);
    const reaped: ReapedInstance = { instanceId: instance.id, label, sessionId, reason, costUsd };
    this.log.warn(reaped, 'destroyed an orphaned Vast.ai instance');
    appendEvent(this.deps.db, getSession(this.deps.db, sessionId) ? sessionId : null, now, 'compute.orphan_destroyed', JSON.stringify(reaped));
    return reaped;
  }

  /** What the instance cost from its start until now, booked on its worker row when we know it. */
  private bookCost(instance: VastInstance, now: number): number | null {
    if (!instance.dph_total || !instance.start_date) return null;
    const costUsd = (instance.dph_total * Math.max(0, now - instance.start_date * 1000)) / 3_600_000;
    const worker = workerByInstance(this.deps.db, 'vast', String(instance.id));
    if (worker) raiseWorkerCost(this.deps.db, worker.id, costUsd, now);
    return costUsd;
  }
}
