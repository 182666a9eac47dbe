/**
 * The money side of one session's Vast pool: what was spent (earlier runs from `workers.cost_usd`, this run per
 * machine), the price a person accepted, the budget left, and the account credit — read at most every
 * `creditCheckIntervalMs` and projected from our own spend in between.
 */
import type { Database } from 'better-sqlite3';
import type { Clock, ComputeSessionContext, PauseReason } from '../../engine/ports.js';
import type { EngineLogger } from '../../engine/types.js';
import { coerceError } from '../../errors.js';
import { getSession } from '../../store/sessions.js';
import { workerCostTotal } from '../../store/workers.js';
import { machineCost } from './machine.js';
import type { Machine } from './machine.js';
import type { VastClient } from './vast-client.js';
import type { VastSettings } from './vast-settings.js';

/** Scaling up must leave money for this long at the new burn rate. */
const SCALE_UP_HORIZON_HOURS = 0.25;

export interface PoolMoneyDeps {
  db: Database;
  client: VastClient;
  clock: Clock;
  settings: VastSettings;
  log: EngineLogger;
  context: ComputeSessionContext;
  signal: AbortSignal;
  /** Every machine of this run, ended ones included (they were paid for). */
  machines(): Iterable<Machine>;
}

export type DispatchAnswer = { ok: true } | { ok: false; reason: PauseReason; message: string };

export class PoolMoney {
  /** The $/h a person accepted: the highest confirmed offer price, within the configured ceiling. */
  readonly priceCap: number;
  /** Set once renting or dispatching must stop for lack of credit; the reason people read. */
  creditShort: string | null = null;
  private readonly priorSpend: number;
  private lastCredit: { creditUsd: number; spentAtCheck: number; at: number } | null = null;

  constructor(private readonly deps: PoolMoneyDeps) {
    this.priorSpend = workerCostTotal(deps.db, deps.context.sessionId);
    this.priceCap = this.sessionPriceCap();
  }

  /** Earlier runs of the session plus every machine of this run, to this moment. */
  spentUsd(): number {
    const now = this.deps.clock.now();
    let total = this.priorSpend;
    for (const machine of this.deps.machines()) total += machineCost(machine, now);
    return total;
  }

  /** $/hour of everything rented now. */
  burnPerHour(): number {
    let burn = 0;
    for (const m of this.deps.machines()) if (m.state !== 'ended' && m.instanceId !== null) burn += m.pricePerHour;
    return burn;
  }

  /** Money left before the session's cap (compute and analysis together), or null without a cap. */
  budgetLeft(): number | null {
    const session = getSession(this.deps.db, this.deps.context.sessionId);
    const cap = session?.budget_usd ?? this.deps.context.confirmation?.maxTotalCostUsd ?? null;
    if (cap == null) return null;
    return cap - this.spentUsd() - (session?.analysis_spent_usd ?? 0);
  }

  /** Whether the budget left keeps every machine, one more included, busy for a while. */
  allowsAnother(): boolean {
    const left = this.budgetLeft();
    if (left === null) return true;
    return left >= (this.burnPerHour() + this.priceCap) * SCALE_UP_HORIZON_HOURS;
  }

  /** Before each batch: enough credit for the reserve at the current rate. */
  async canDispatch(): Promise<DispatchAnswer> {
    if (this.creditShort) return { ok: false, reason: 'credit', message: this.creditShort };
    const credit = await this.projectedCredit();
    if (credit === null) return { ok: true };
    const burn = this.burnPerHour();
    const { creditReserveMinutes } = this.deps.settings;
    if (credit <= (burn * creditReserveMinutes) / 60) {
      this.creditShort = `Vast.ai credit ($${credit.toFixed(2)}) would last less than ${creditReserveMinutes} minutes at $${burn.toFixed(2)}/h.`;
      return { ok: false, reason: 'credit', message: this.creditShort };
    }
    return { ok: true };
  }

  private async projectedCredit(): Promise<number | null> {
    const now = this.deps.clock.now();
    const spent = this.spentUsd();
    if (!this.lastCredit || now - this.lastCredit.at >= this.deps.settings.creditCheckIntervalMs) {
      try {
        this.lastCredit = { creditUsd: await this.deps.client.credit(this.deps.signal), spentAtCheck: spent, at: now };
      } catch (error) {
        // The budget still holds locally, and Vast stops machines at zero credit; a failed look-up does not pause.
        this.deps.log.warn({ err: coerceError(error) }, 'could not read the Vast.ai credit');
      }
    }
    return this.lastCredit ? this.lastCredit.creditUsd - (spent - this.lastCredit.spentAtCheck) : null;
  }

  private sessionPriceCap(): number {
    const { context, db, settings } = this.deps;
    const confirmed = context.confirmation?.offers.map((o) => o.pricePerHour) ?? [];
    const session = getSession(db, context.sessionId);
    const options = session ? (JSON.parse(session.options_json) as { maxCostPerHour?: number | null }) : {};
    return Math.min(settings.maxPricePerHour, confirmed.length > 0 ? Math.max(...confirmed) : Infinity, options.maxCostPerHour ?? Infinity);
  }
}
