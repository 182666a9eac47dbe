/**
 * Vast.ai limits each endpoint by a minimum gap between calls and answers 429 without a Retry-After when a call
 * comes too soon. The gate serialises calls per endpoint and keeps the gap, measured from the END of the previous
 * call (the server sees our request later than we send it, so counting from the start would run too close).
 * A 429 pushes that endpoint's next call further out; other endpoints are not slowed.
 */
import type { Clock } from '../../engine/ports.js';

export type VastEndpoint = 'search' | 'create' | 'show' | 'list' | 'destroy' | 'account';

/** Documented gaps (ms): create 4.5 s, destroy 3 s, show 2 s; search ~10/minute; the rest a cautious 1–2 s. */
export const VAST_GAPS_MS: Readonly<Record<VastEndpoint, number>> = {
  search: 6_000,
  create: 4_500,
  show: 2_000,
  list: 2_000,
  destroy: 3_000,
  account: 1_000,
};

/** After a 429 on create Vast waits 12 s before it accepts another; elsewhere twice the gap is a safe first wait. */
export const VAST_PENALTY_MS: Readonly<Partial<Record<VastEndpoint, number>>> = { create: 12_000 };

interface Lane {
  tail: Promise<void>;
  /** Clock time before which no call may start. */
  notBefore: number;
}

export class RateGate {
  private readonly lanes = new Map<VastEndpoint, Lane>();

  constructor(
    private readonly clock: Clock,
    private readonly gaps: Readonly<Record<VastEndpoint, number>> = VAST_GAPS_MS,
  ) {}

  /** Runs `call` when the endpoint's gap has passed, one call per endpoint at a time. */
  run<T>(endpoint: VastEndpoint, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const lane = this.lane(endpoint);
    const result = lane.tail.then(async () => {
      await this.waitUntil(lane, signal);
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      try {
        return await call();
      } finally {
        lane.notBefore = Math.max(lane.notBefore, this.clock.now() + this.gaps[endpoint]);
      }
    });
    lane.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** The endpoint answered 429: nothing goes to it for `ms`. */
  penalise(endpoint: VastEndpoint, ms: number): void {
    const lane = this.lane(endpoint);
    lane.notBefore = Math.max(lane.notBefore, this.clock.now() + ms);
  }

  gapOf(endpoint: VastEndpoint): number {
    return this.gaps[endpoint];
  }

  private lane(endpoint: VastEndpoint): Lane {
    let lane = this.lanes.get(endpoint);
    if (!lane) {
      lane = { tail: Promise.resolve(), notBefore: 0 };
      this.lanes.set(endpoint, lane);
    }
    return lane;
  }

  private async waitUntil(lane: Lane, signal?: AbortSignal): Promise<void> {
    // Re-checked in a loop: a 429 elsewhere in the lane's history may have moved the mark while we slept.
    for (let wait = lane.notBefore - this.clock.now(); wait > 0 && !signal?.aborted; wait = lane.notBefore - this.clock.now()) {
      await this.clock.sleep(wait, signal);
    }
  }
}
