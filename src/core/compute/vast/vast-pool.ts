/**
 * The machines serving one session on Vast.ai. Rents up to `maxInstances` while batches remain and the budget
 * allows, supervises them (worker health, instance state), replaces lost ones within a bound, destroys a machine
 * as soon as there is no work left for it, accounts spend per machine (price × billed time, persisted through
 * `worker.cost` reports), checks the account credit before every batch, and destroys everything on close.
 */
import type { Database } from 'better-sqlite3';
import type { Clock, ComputeSessionContext, Worker, WorkerPool } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { coerceError } from '../../errors.js';
import { recordCalibrationSample } from '../../store/calibration.js';
import { sessionWorkers } from '../../store/workers.js';
import { newWorkerToken } from '../worker-process.js';
import { newSealKey } from '../../../protocol/sealed.js';
import { registerSecret } from '../../../logger.js';
import { humanLabel, machineCost, machineLabel } from './machine.js';
import type { Machine } from './machine.js';
import { MeteredWorker } from './metered-worker.js';
import { PoolMoney } from './pool-money.js';
import type { DispatchAnswer } from './pool-money.js';
import type { BatchMeasure } from '../../store/calibration.js';
import type { VastComputeOffer } from './offers.js';
import { Renter } from './renter.js';
import type { RenterHost } from './renter.js';
import { Supervisor } from './supervisor.js';
import type { VastClient } from './vast-client.js';
import type { VastSettings } from './vast-settings.js';

export interface VastPoolDeps {
  client: VastClient;
  settings: VastSettings;
  db: Database;
  clock: Clock;
  logger: EngineLogger;
  secrets: readonly string[];
  workerEnv: Record<string, string>;
  workerFetch?: typeof fetch | undefined;
  /** Ranked offers within `maxPricePerHour`, best first, confirmed ones leading. */
  offers(maxPricePerHour: number, excluded: (offer: VastComputeOffer) => boolean, signal: AbortSignal): Promise<VastComputeOffer[]>;
}

export class VastPool implements WorkerPool {
  readonly maxWorkers: number;
  private readonly machines = new Map<string, Machine>();
  private readonly unresolvedMachines: Machine[] = [];
  private readonly excludedOffers = new Set<string>();
  private readonly excludedMachines = new Set<number>();
  private readonly claimedOffers = new Set<string>();
  private readonly pendingReplacements: string[] = [];
  private readonly renting = new Set<Promise<unknown>>();
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private readonly log: EngineLogger;
  private readonly renter: Renter;
  private readonly supervisor: Supervisor;
  private readonly money: PoolMoney;
  private sequence: number;
  private creates = 0;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly deps: VastPoolDeps,
    private readonly context: ComputeSessionContext,
  ) {
    this.maxWorkers = deps.settings.maxInstances;
    this.signal = AbortSignal.any([context.signal, this.controller.signal]);
    this.log = deps.logger.child({ sessionId: context.sessionId, compute: 'vast' });
    this.sequence = this.previousSequence();
    this.money = new PoolMoney({ db: deps.db, client: deps.client, clock: deps.clock, settings: deps.settings, log: this.log, context, signal: this.signal, machines: () => this.machines.values() });
    this.renter = new Renter(this.renterHost());
    this.supervisor = new Supervisor({ client: deps.client, settings: deps.settings, clock: deps.clock, log: this.log, signal: this.signal, pool: this });
  }

  /**
   * Before renting: instances labelled for this session are what an earlier run left (a crash, then a resume before
   * the orphan reaper came by). They are destroyed, and new labels continue after theirs so none repeats.
   */
  async start(): Promise<void> {
    const prefix = machineLabel(this.context.sessionId, 0).replace(/0$/, '');
    try {
      const leftovers = (await this.deps.client.listInstances({}, this.signal)).filter((i) => i.label?.startsWith(prefix));
      for (const instance of leftovers) {
        this.sequence = Math.max(this.sequence, Number(instance.label!.slice(prefix.length)) || 0);
        await this.deps.client.destroyInstance(instance.id, this.signal);
        this.log.warn({ instanceId: instance.id, label: instance.label }, 'destroyed an instance an earlier run of this session left');
      }
    } catch (error) {
      this.log.warn({ err: coerceError(error) }, 'could not look for instances an earlier run left; the orphan reaper will');
    }
    this.supervisor.start();
  }

  async acquire(signal: AbortSignal): Promise<Worker | null> {
    if (this.closing || signal.aborted) return null;
    const idle = [...this.machines.values()].find((m) => m.state === 'idle');
    if (idle) {
      idle.idleTimer?.abort();
      idle.idleTimer = null;
      idle.state = 'busy';
      return idle.worker;
    }
    const refusal = this.refuseToRent();
    if (refusal) {
      if (refusal !== 'tail') this.log.info({ reason: refusal }, 'not renting another machine');
      return null;
    }
    const renting = this.renter.rent(AbortSignal.any([signal, this.signal]));
    this.renting.add(renting);
    try {
      const outcome = await renting;
      if (outcome.kind === 'credit') {
        this.money.creditShort = outcome.message;
        return null;
      }
      if (outcome.kind === 'none') {
        this.context.report({ type: 'compute.exhausted', reason: outcome.reason });
        return null;
      }
      return this.onReady(outcome.machine);
    } finally {
      this.renting.delete(renting);
    }
  }

  /** Why not to rent now, or null. `tail`: every remaining batch already has a machine. */
  private refuseToRent(): string | null {
    if (this.money.creditShort) return this.money.creditShort;
    // Machines still starting belong to a rent in flight: count the rent, not the machine.
    const live = this.countState('busy') + this.countState('idle') + this.renting.size;
    if (live >= this.maxWorkers) return 'tail';
    const working = this.countState('busy') + this.renting.size;
    if (this.context.remainingBatches() <= working) return 'tail';
    if (live > 0 && !this.money.allowsAnother()) return 'the budget left would not keep another machine busy';
    return null;
  }

  private onReady(machine: Machine): Worker | null {
    if (this.closing || machine.state === 'ended') return null;
    machine.worker = new MeteredWorker(machine.http!, this.deps.clock, (measure) => this.recordMeasure(machine, measure));
    machine.state = 'busy';
    this.context.report({ type: 'worker.ready', workerId: machine.workerId, label: humanLabel(machine) });
    const replaced = this.pendingReplacements.shift();
    if (replaced) this.context.report({ type: 'worker.replaced', oldWorkerId: replaced, newWorkerId: machine.workerId, reason: 'replacement ready' });
    return machine.worker;
  }

  async release(worker: Worker, _idle: boolean): Promise<void> {
    const machine = this.machines.get(worker.id);
    if (!machine || machine.state === 'ended') return;
    const othersWorking = this.countState('busy') - (machine.state === 'busy' ? 1 : 0);
    // At the tail a rented machine only costs money: destroy it now rather than let it idle.
    if (this.closing || this.context.remainingBatches() <= othersWorking) {
      await this.retire(machine, 'released', 'no work left for it');
      return;
    }
    machine.state = 'idle';
    this.destroyWhenIdleTooLong(machine);
  }

  /** Work may come back (a retry due soon): keep the machine a little, since renting again takes minutes. */
  private destroyWhenIdleTooLong(machine: Machine): void {
    const timer = new AbortController();
    machine.idleTimer = timer;
    const signal = AbortSignal.any([timer.signal, this.signal]);
    void this.deps.clock.sleep(this.deps.settings.idleGraceMs, signal).then(() => {
      if (signal.aborted || machine.state !== 'idle') return;
      return this.retire(machine, 'released', 'idle longer than the grace period');
    });
  }

  async lost(worker: Worker, reason: string): Promise<void> {
    const machine = this.machines.get(worker.id);
    if (!machine || machine.state === 'ended') return;
    this.pendingReplacements.push(machine.workerId);
    if (machine.offer.machineId !== null) this.excludedMachines.add(machine.offer.machineId);
    await this.retire(machine, 'lost', reason);
  }

  /** The supervisor found a machine dead: fail its batch now (the engine then calls `lost`), or retire it if idle. */
  markLost(machine: Machine, reason: string): void {
    if (machine.state === 'ended') return;
    this.log.warn({ workerId: machine.workerId, instanceId: machine.instanceId, reason }, 'machine lost');
    machine.http?.markLost(reason);
    if (machine.state === 'idle') {
      this.pendingReplacements.push(machine.workerId);
      void this.retire(machine, 'lost', reason);
    }
  }

  spentUsd(): number {
    return this.money.spentUsd();
  }

  canDispatch(): Promise<DispatchAnswer> {
    return this.money.canDispatch();
  }

  /** Destroys every machine, including those still starting and creates whose outcome was unknown. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    this.controller.abort();
    await this.supervisor.stop();
    await Promise.allSettled([...this.renting]);
    // Every machine, also those already being torn down elsewhere (an idle timer, a loss): close waits for them all.
    const outcomes = await Promise.allSettled(this.allMachines().map((m) => this.retire(m, 'released', 'session ended')));
    for (const outcome of outcomes) if (outcome.status === 'rejected') this.log.error({ err: coerceError(outcome.reason) }, 'a machine could not be released');
    await this.sweepUnresolved();
  }

  /** Creates that got no answer: look once more, and destroy whatever carries their label. */
  private async sweepUnresolved(): Promise<void> {
    for (const machine of this.unresolvedMachines.splice(0)) {
      try {
        const [first, ...extra] = await this.deps.client.findByLabel(machine.label);
        for (const instance of extra) await this.deps.client.destroyInstance(instance.id);
        if (!first || machine.state === 'ended') continue;
        machine.instanceId = first.id;
        this.machines.set(machine.workerId, machine);
        this.report(machine, 'starting');
        await this.retire(machine, 'released', 'created without an answer; destroyed at the end of the session');
      } catch (error) {
        this.log.error({ err: coerceError(error), label: machine.label }, 'could not check an unanswered create; the orphan reaper will');
      }
    }
  }

  /** Destroys a machine (retrying), stops billing it, and reports why. Idempotent per machine. */
  retire(machine: Machine, as: 'lost' | 'released', reason: string): Promise<void> {
    machine.retiring ??= this.teardown(machine, as, reason);
    return machine.retiring;
  }

  private async teardown(machine: Machine, as: 'lost' | 'released', reason: string): Promise<void> {
    machine.state = 'ended';
    this.claimedOffers.delete(machine.offer.id);
    machine.idleTimer?.abort();
    machine.http?.markLost(reason);
    if (machine.instanceId !== null) await this.destroy(machine);
    machine.endedAt = this.deps.clock.now();
    this.context.report({ type: 'worker.cost', workerId: machine.workerId, costUsd: machineCost(machine, machine.endedAt) });
    this.context.report(as === 'lost' ? { type: 'worker.lost', workerId: machine.workerId, reason } : { type: 'worker.released', workerId: machine.workerId, reason });
  }

  private async destroy(machine: Machine): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        const result = await this.deps.client.destroyInstance(machine.instanceId!);
        this.log.info({ workerId: machine.workerId, instanceId: machine.instanceId, result }, 'instance destroyed');
        return;
      } catch (error) {
        this.log.error({ err: coerceError(error), instanceId: machine.instanceId, attempt }, 'destroying an instance failed');
      }
    }
    this.log.error({ instanceId: machine.instanceId, label: machine.label }, 'instance NOT destroyed; the orphan reaper will retry');
  }

  /** Every machine's cost so far, persisted (the engine writes `workers.cost_usd`). */
  reportCosts(): void {
    const now = this.deps.clock.now();
    for (const machine of this.liveMachines()) {
      if (machine.instanceId !== null) this.context.report({ type: 'worker.cost', workerId: machine.workerId, costUsd: machineCost(machine, now) });
    }
  }

  /** Machines the supervisor watches: ready ones. */
  readyMachines(): Machine[] {
    return [...this.machines.values()].filter((m) => m.state === 'busy' || m.state === 'idle');
  }

  private recordMeasure(machine: Machine, measure: BatchMeasure): void {
    try {
      recordCalibrationSample(this.deps.db, { computeKind: 'vast', gpuName: machine.offer.gpuName, ...measure, now: this.deps.clock.now() });
    } catch (error) {
      this.log.warn({ err: coerceError(error) }, 'could not record a calibration sample');
    }
  }

  private report(machine: Machine, what: 'starting'): void {
    if (what === 'starting') {
      this.context.report({ type: 'worker.starting', workerId: machine.workerId, label: humanLabel(machine), pricePerHour: machine.pricePerHour, instanceId: machine.instanceId === null ? null : String(machine.instanceId), gpuName: machine.offer.gpuName });
    }
  }

  private renterHost(): RenterHost {
    const { deps } = this;
    return {
      client: deps.client,
      settings: deps.settings,
      clock: deps.clock,
      log: this.log,
      secrets: deps.secrets,
      workerEnv: deps.workerEnv,
      workerFetch: deps.workerFetch,
      offers: (signal) => deps.offers(this.money.priceCap, (offer) => this.isExcluded(offer), signal),
      newMachine: (offer) => this.newMachine(offer),
      takeCreate: () => this.takeCreate(),
      created: (machine) => this.onCreated(machine),
      unresolved: (machine) => this.unresolvedMachines.push(machine),
      discard: (machine, reason) => this.discard(machine, reason),
      exclude: (offer) => {
        this.excludedOffers.add(offer.id);
        if (offer.machineId !== null) this.excludedMachines.add(offer.machineId);
      },
      budgetLeft: () => this.money.budgetLeft(),
    };
  }

  private newMachine(offer: VastComputeOffer): Machine {
    this.sequence += 1;
    this.claimedOffers.add(offer.id);
    const token = newWorkerToken();
    const sealKey = newSealKey();
    registerSecret(token);
    registerSecret(sealKey);
    return {
      seq: this.sequence,
      workerId: `${this.context.sessionId}.vast${this.sequence}`,
      label: machineLabel(this.context.sessionId, this.sequence),
      offer,
      instanceId: null,
      pricePerHour: offer.pricePerHour,
      token,
      sealKey,
      createdAt: this.deps.clock.now(),
      endedAt: null,
      state: 'starting',
      http: null,
      worker: null,
      healthFailures: 0,
      idleTimer: null,
      retiring: null,
    };
  }

  /**
   * Asked after each search (not before: another lane may claim an offer while this one searches). Offers that
   * failed, hosts that failed, and offers this pool holds or is renting right now are not tried.
   */
  private isExcluded(offer: VastComputeOffer): boolean {
    return this.excludedOffers.has(offer.id) || this.claimedOffers.has(offer.id) || (offer.machineId !== null && this.excludedMachines.has(offer.machineId));
  }

  private takeCreate(): boolean {
    const limit = this.deps.settings.maxInstances + this.deps.settings.maxReplacements;
    if (this.creates >= limit) return false;
    this.creates += 1;
    return true;
  }

  private onCreated(machine: Machine): void {
    this.machines.set(machine.workerId, machine);
    this.report(machine, 'starting');
    this.log.info({ workerId: machine.workerId, instanceId: machine.instanceId, offerId: machine.offer.id, pricePerHour: machine.pricePerHour }, 'instance created');
    // Created after the session ended (a create answered late): it goes at once.
    if (this.closing) void this.retire(machine, 'released', 'session ended while it was being created');
  }

  private async discard(machine: Machine, reason: string): Promise<void> {
    // Torn down because the session ended while it started: released, not lost.
    if (this.signal.aborted) return this.retire(machine, 'released', 'the session ended while it was starting');
    this.log.warn({ workerId: machine.workerId, instanceId: machine.instanceId, reason }, 'machine failed to start; destroying it');
    await this.retire(machine, 'lost', reason);
  }

  /** Sequence numbers continue across runs of a session, so labels never repeat. */
  private previousSequence(): number {
    const rows = sessionWorkers(this.deps.db, this.context.sessionId);
    return rows.reduce((max, row) => Math.max(max, Number(/\.vast(\d+)$/.exec(row.id)?.[1] ?? 0)), 0);
  }

  private liveMachines(): Machine[] {
    return [...this.machines.values()].filter((m) => m.state !== 'ended');
  }

  private allMachines(): Machine[] {
    return [...this.machines.values()];
  }

  private countState(state: Machine['state']): number {
    let n = 0;
    for (const m of this.machines.values()) if (m.state === state) n += 1;
    return n;
  }
}
