/**
 * Counts requests a fake is answering at once. A request left hanging by an earlier test (its client gave up,
 * the fake is still sleeping) must not count against the next test, so `reset()` starts a new generation and
 * requests of an older one leave without touching the new count.
 */
export class InFlightGauge {
  #generation = 0;
  #now = 0;
  #max = 0;

  /** Call when a request arrives; call what it returns when its answer is ready. */
  enter(): () => void {
    const generation = this.#generation;
    this.#now += 1;
    this.#max = Math.max(this.#max, this.#now);
    return () => {
      if (generation === this.#generation) this.#now -= 1;
    };
  }

  get max(): number {
    return this.#max;
  }

  reset(): void {
    this.#generation += 1;
    this.#now = 0;
    this.#max = 0;
  }
}
