/**
 * Watches ready machines: the worker's health through its mapped port, and the instance as Vast sees it. A
 * machine that Vast reports exited/offline/stopped, that vanished, or whose worker missed N health checks in a
 * row is declared lost: its batch goes back to the queue (the engine sees a lost worker) and the pool destroys
 * and replaces it. Each round also persists every machine's cost so far.
 */
import type { Clock } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { coerceError } from '../../errors.js';
import { instanceProblem, isEnded } from './machine.js';
import type { Machine } from './machine.js';
import type { VastClient } from './vast-client.js';
import type { VastSettings } from './vast-settings.js';

/** The part of the pool the supervisor works with. */
export interface SupervisedPool {
  readyMachines(): Machine[];
  markLost(machine: Machine, reason: string): void;
  reportCosts(): void;
}

export interface SupervisorDeps {
  client: VastClient;
  settings: VastSettings;
  clock: Clock;
  log: EngineLogger;
  /** Aborted when the pool closes. */
  signal: AbortSignal;
  pool: SupervisedPool;
}

export class Supervisor {
  private loop: Promise<void> | null = null;

  constructor(private readonly deps: SupervisorDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the current round is over; the pool aborts `signal` first. */
  async stop(): Promise<void> {
    await this.loop;
  }

  private async run(): Promise<void> {
    const { clock, settings, signal, pool, log } = this.deps;
    while (!signal.aborted) {
      await clock.sleep(settings.healthIntervalMs, signal);
      if (signal.aborted) break;
      try {
        for (const machine of pool.readyMachines()) await this.check(machine);
        pool.reportCosts();
      } catch (error) {
        log.error({ err: coerceError(error) }, 'supervising the machines failed');
      }
    }
  }

  /** One look at one machine: Vast's view first (a dead host is certain), then the worker's health. */
  async check(machine: Machine): Promise<void> {
    const { client, pool, settings, signal, log } = this.deps;
    if (machine.instanceId === null || isEnded(machine)) return;
    try {
      const instance = await client.showInstance(machine.instanceId, signal);
      if (instance === null) return pool.markLost(machine, 'the instance no longer exists');
      const problem = instanceProblem(instance, false);
      if (problem) return pool.markLost(machine, problem);
      if (instance.actual_status === 'unknown') machine.healthFailures += 1;
    } catch (error) {
      if (signal.aborted) return;
      log.warn({ err: coerceError(error), instanceId: machine.instanceId }, 'could not read the instance state');
    }
    if (isEnded(machine) || signal.aborted) return;
    try {
      await machine.http!.health(AbortSignal.any([signal, AbortSignal.timeout(10_000)]));
      machine.healthFailures = 0;
    } catch (error) {
      if (signal.aborted) return;
      machine.healthFailures += 1;
      log.warn({ workerId: machine.workerId, failures: machine.healthFailures, err: coerceError(error) }, 'worker health check failed');
    }
    if (machine.healthFailures >= settings.healthFailures) pool.markLost(machine, `no answer to ${settings.healthFailures} health checks in a row`);
  }
}
