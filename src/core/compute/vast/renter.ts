/**
 * Renting one machine until its worker answers: pick the best offer (searched again right before renting),
 * create the instance, wait for `running` and the mapped port, then for the worker's health. A machine that
 * fails (exited, offline, interrupted, "OCI runtime create failed", loading too long, a worker that never
 * answers) is destroyed and another offer is tried. A create whose answer is lost is looked up by label and
 * never repeated blindly: a second create could rent a second paid machine.
 */
import type { Clock } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { coerceError } from '../../errors.js';
import { HttpWorker } from '../http-worker.js';
import { buildInstanceEnv } from './instance-env.js';
import { instanceProblem, workerUrl } from './machine.js';
import type { Machine } from './machine.js';
import type { VastComputeOffer } from './offers.js';
import type { VastClient } from './vast-client.js';
import { VastAmbiguousCreateError, VastApiError } from './vast-errors.js';
import type { VastInstance } from './vast-schemas.js';
import type { VastSettings } from './vast-settings.js';

/** What the pool lends the renter. */
export interface RenterHost {
  client: VastClient;
  settings: VastSettings;
  clock: Clock;
  log: EngineLogger;
  secrets: readonly string[];
  workerEnv: Record<string, string>;
  workerFetch?: typeof fetch | undefined;
  /** Ranked offers now, without those already tried in this session. */
  offers(signal: AbortSignal): Promise<VastComputeOffer[]>;
  /** A new machine record for an offer (sequence number, label, token). */
  newMachine(offer: VastComputeOffer): Machine;
  /** Whether another create is allowed (replacement bound). Counts the create when it is. */
  takeCreate(): boolean;
  /** The machine may exist now: book it (report, bill, make sure close() destroys it). */
  created(machine: Machine): void;
  /** The create's outcome stays unknown: close() looks the label up again. */
  unresolved(machine: Machine): void;
  /** Tears down a machine that will not serve (destroy, report the loss). */
  discard(machine: Machine, reason: string): Promise<void>;
  /** This offer or host failed: do not try it again in this session. */
  exclude(offer: VastComputeOffer): void;
  /** Money left before the cap, or null without a cap. */
  budgetLeft(): number | null;
}

export type RentOutcome =
  | { kind: 'ready'; machine: Machine }
  | { kind: 'none'; reason: string }
  | { kind: 'credit'; message: string };

type CreateOutcome = 'created' | 'gone' | 'refused' | 'unresolved' | 'credit';

const MAX_CREATE_RATE_RETRIES = 3;
const LABEL_LOOKUPS = 3;

export class Renter {
  constructor(private readonly host: RenterHost) {}

  /** Rents until one machine's worker answers, offers run out, or the create bound is reached. */
  async rent(signal: AbortSignal): Promise<RentOutcome> {
    let lastProblem = 'no offer matched the limits';
    for (let attempt = 0; attempt < 12 && !signal.aborted; attempt += 1) {
      const offer = (await this.host.offers(signal))[0];
      if (!offer) return { kind: 'none', reason: `no machine on offer (${lastProblem})` };
      if (!this.host.takeCreate()) return { kind: 'none', reason: 'the replacement limit for this session is reached' };
      const machine = this.host.newMachine(offer);
      const outcome = await this.create(machine, signal);
      if (outcome === 'credit') return { kind: 'credit', message: 'Vast.ai refused to rent: not enough credit.' };
      if (outcome !== 'created') {
        this.host.exclude(offer);
        lastProblem = outcome === 'gone' ? 'offers vanished before they could be rented' : `the create was ${outcome}`;
        continue;
      }
      const problem = await this.waitUntilReady(machine, signal);
      if (problem === null) return { kind: 'ready', machine };
      lastProblem = problem;
      this.host.exclude(offer);
      await this.host.discard(machine, problem);
    }
    return { kind: 'none', reason: signal.aborted ? 'the session ended' : lastProblem };
  }

  private async create(machine: Machine, signal: AbortSignal): Promise<CreateOutcome> {
    const { client, settings } = this.host;
    const env = buildInstanceEnv({ workerId: machine.workerId, token: machine.token, sealKey: machine.sealKey, port: settings.workerPort, settings: this.host.workerEnv }, this.host.secrets);
    const request = { image: settings.image!, diskGb: settings.diskGb, label: machine.label, env };
    for (let tries = 0; ; tries += 1) {
      machine.createdAt = this.host.clock.now();
      try {
        machine.instanceId = await client.createInstance(Number(machine.offer.id), request, signal);
        this.host.created(machine);
        return 'created';
      } catch (error) {
        if (signal.aborted) return this.afterAbortedCreate(machine);
        if (error instanceof VastAmbiguousCreateError) return this.resolveAmbiguous(machine, error, signal);
        if (!(error instanceof VastApiError)) throw error;
        if (error.createdInstanceId !== null) return this.refusedButCreated(machine, error);
        if (error.isRateLimited && tries < MAX_CREATE_RATE_RETRIES) {
          // A 429 is a definite "no", but a look-up first costs little and makes a double rental impossible.
          if (await this.adoptByLabel(machine, 1, signal)) return 'created';
          continue;
        }
        if (error.isOfferGone) return 'gone';
        if (error.isInsufficientCredit) return 'credit';
        if (error.isAuth) throw error;
        this.host.log.warn({ offerId: machine.offer.id, code: error.code, err: error }, 'Vast.ai refused to rent this offer');
        return 'refused';
      }
    }
  }

  private async resolveAmbiguous(machine: Machine, error: VastAmbiguousCreateError, signal: AbortSignal): Promise<CreateOutcome> {
    this.host.log.warn({ label: machine.label, reason: error.message }, 'create answer lost; looking the instance up by label');
    if (await this.adoptByLabel(machine, LABEL_LOOKUPS, signal)) return 'created';
    this.host.unresolved(machine);
    return 'unresolved';
  }

  /** The session ended while a create was in flight: whatever it made must still be found and destroyed. */
  private afterAbortedCreate(machine: Machine): CreateOutcome {
    this.host.unresolved(machine);
    return 'unresolved';
  }

  /** Vast said no but made an instance anyway (a bid too low): book it so it is destroyed and paid for. */
  private async refusedButCreated(machine: Machine, error: VastApiError): Promise<CreateOutcome> {
    machine.instanceId = error.createdInstanceId;
    this.host.created(machine);
    await this.host.discard(machine, `Vast.ai refused the rental but created instance ${error.createdInstanceId}: ${error.message}`);
    return 'refused';
  }

  /** Looks for an instance with this machine's label a few times (a new instance may take a moment to list). */
  private async adoptByLabel(machine: Machine, lookups: number, signal: AbortSignal): Promise<boolean> {
    for (let i = 0; i < lookups && !signal.aborted; i += 1) {
      if (i > 0) await this.host.clock.sleep(this.host.settings.pollIntervalMs, signal);
      let found: VastInstance[];
      try {
        found = await this.host.client.findByLabel(machine.label, signal);
      } catch (error) {
        this.host.log.warn({ label: machine.label, err: coerceError(error) }, 'look-up by label failed');
        continue;
      }
      const instance = found[0];
      if (!instance) continue;
      machine.instanceId = instance.id;
      if (instance.dph_total) machine.pricePerHour = Math.max(machine.pricePerHour, instance.dph_total);
      this.host.created(machine);
      for (const extra of found.slice(1)) {
        // Never expected; if it happens, the extra is destroyed at once rather than paid for.
        await this.host.client.destroyInstance(extra.id).catch((e: unknown) => this.host.log.error({ err: e, instanceId: extra.id }, 'could not destroy a duplicate instance'));
      }
      return true;
    }
    return false;
  }

  /** Waits for `running` with the mapped port, then for the worker's health. Returns why not, or null when ready. */
  private async waitUntilReady(machine: Machine, signal: AbortSignal): Promise<string | null> {
    const running = await this.waitForRunning(machine, signal);
    if (!running) return 'the session ended';
    if ('problem' in running) return running.problem;
    machine.http = new HttpWorker({
      id: machine.workerId,
      label: `${machine.offer.gpuName} · vast ${machine.instanceId}`,
      baseUrl: running.url,
      token: machine.token,
      sealKey: machine.sealKey,
      target: { sharesFileSystem: false },
      logger: this.host.log,
      ...(this.host.workerFetch ? { fetch: this.host.workerFetch } : {}),
    });
    return this.waitForHealth(machine, signal);
  }

  /** The worker's URL once running; the problem when it never will be; null when aborted. */
  private async waitForRunning(machine: Machine, signal: AbortSignal): Promise<{ url: string } | { problem: string } | null> {
    const { client, clock, settings } = this.host;
    const deadline = machine.createdAt + settings.loadingTimeoutMs;
    while (!signal.aborted) {
      const money = this.moneyProblem();
      if (money) return { problem: money };
      let instance: VastInstance | null | undefined;
      try {
        instance = await client.showInstance(machine.instanceId!, signal);
      } catch (error) {
        if (signal.aborted) return null;
        this.host.log.warn({ instanceId: machine.instanceId, err: coerceError(error) }, 'could not read the instance; trying again');
      }
      if (instance === null) return { problem: 'the instance disappeared while starting' };
      if (instance) {
        const problem = instanceProblem(instance, true);
        if (problem) return { problem };
        const url = workerUrl(instance, settings.workerPort);
        if (url) return { url };
      }
      if (clock.now() > deadline) {
        return { problem: `the instance was still ${instance?.actual_status ?? 'starting'} after ${Math.round(settings.loadingTimeoutMs / 60_000)} minutes` };
      }
      await clock.sleep(settings.pollIntervalMs, signal);
    }
    return null;
  }

  private async waitForHealth(machine: Machine, signal: AbortSignal): Promise<string | null> {
    const { clock, settings } = this.host;
    const deadline = clock.now() + settings.workerStartTimeoutMs;
    while (!signal.aborted) {
      let last: string;
      try {
        const health = await machine.http!.health(AbortSignal.any([signal, AbortSignal.timeout(10_000)]));
        if (health.ok) return null;
        last = 'the worker reports it is not ok';
      } catch (error) {
        last = coerceError(error).message;
      }
      const money = this.moneyProblem();
      if (money) return money;
      if (clock.now() > deadline) return `the worker did not answer within ${Math.round(settings.workerStartTimeoutMs / 60_000)} minutes (${last.slice(0, 120)})`;
      await clock.sleep(Math.max(1, settings.pollIntervalMs / 2), signal);
    }
    return 'the session ended';
  }

  private moneyProblem(): string | null {
    const left = this.host.budgetLeft();
    return left !== null && left <= 0 ? 'the budget was used up while the machine was starting' : null;
  }
}
