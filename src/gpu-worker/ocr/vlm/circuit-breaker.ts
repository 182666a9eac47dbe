/**
 * Remembers that a server is down, so that every page does not each wait out its own retries against it: after
 * `threshold` unreachable calls in a row the circuit opens and callers skip the server for `cooldownMs`; then one
 * call is let through to probe it, and a success closes the circuit again.
 */
export interface CircuitBreakerOptions {
  threshold: number;
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openUntil = 0;
  #probing = false;

  constructor(options: CircuitBreakerOptions) {
    this.#threshold = options.threshold;
    this.#cooldownMs = options.cooldownMs;
    this.#now = options.now ?? Date.now;
  }

  /** Whether a call may go to the server now. While open, false; after the cool-down, true for one probe. */
  allows(): boolean {
    if (this.#failures < this.#threshold) return true;
    if (this.#now() < this.#openUntil || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  get open(): boolean {
    return this.#failures >= this.#threshold;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#probing = false;
  }

  /** An unreachable server (not a bad answer: the server was there). */
  failed(): void {
    this.#failures += 1;
    this.#probing = false;
    if (this.#failures >= this.#threshold) this.#openUntil = this.#now() + this.#cooldownMs;
  }
}
