/** Injecting one fault into a fake: the fault, where it applies, and how many times. */
import type { Fault, HttpFake } from '../../fakes/http-fake.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A fault without its target: the same kind of failure can be aimed at several calls. */
export type FaultBody = DistributiveOmit<Fault, 'match' | 'times'>;

export interface Target {
  method: string;
  path: RegExp;
}

export function inject(http: HttpFake, body: FaultBody, match: Target, times = 1): void {
  http.inject({ ...body, match, times });
}

/** Requests since `from` that met an injected fault. */
export function faultsSince(http: HttpFake, from: number): number {
  return http.requests.slice(from).filter((r) => r.fault !== null).length;
}
