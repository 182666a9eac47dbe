import { describe, expect, it } from 'vitest';
import { InFlightGauge } from '../helpers/in-flight.js';

describe('InFlightGauge (test helper)', () => {
  it('counts the most requests answered at once', () => {
    const gauge = new InFlightGauge();
    const first = gauge.enter();
    const second = gauge.enter();
    first();
    const third = gauge.enter();
    second();
    third();
    expect(gauge.max).toBe(2);
  });

  it('does not count a request left over from before a reset', () => {
    const gauge = new InFlightGauge();
    const leftOver = gauge.enter();
    gauge.reset();
    const first = gauge.enter();
    const second = gauge.enter();
    expect(gauge.max).toBe(2);
    leftOver();
    first();
    const third = gauge.enter();
    expect(gauge.max).toBe(2);
    second();
    third();
  });
});
