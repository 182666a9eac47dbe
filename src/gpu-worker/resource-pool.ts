/**
 * A bounded pool of expensive, reusable things (OCR workers, PDF isolates, process slots). Items are created on
 * demand up to `size`, kept warm when released, and destroyed when discarded (a thread that was terminated or
 * is no longer trustworthy). Waiters are served in arrival order and can give up through an AbortSignal.
 */

export interface PoolHooks<T> {
  create(): Promise<T>;
  destroy(item: T): Promise<void> | void;
}

interface Waiter<T> {
  resolve(item: T): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
}

export class ResourcePool<T> {
  readonly #size: number;
  readonly #hooks: PoolHooks<T>;
  readonly #idle: T[] = [];
  readonly #waiters: Array<Waiter<T>> = [];
  #count = 0;
  #closed = false;

  constructor(size: number, hooks: PoolHooks<T>) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    this.#size = size;
    this.#hooks = hooks;
  }

  /** Items alive (idle or in use), and callers waiting for one. */
  get stats(): { alive: number; idle: number; waiting: number } {
    return { alive: this.#count, idle: this.#idle.length, waiting: this.#waiters.length };
  }

  async acquire(signal?: AbortSignal): Promise<T> {
    if (this.#closed) throw new PoolClosedError('pool is closed');
    signal?.throwIfAborted();
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#count < this.#size) return this.#createItem();
    return this.#wait(signal);
  }

  /** Returns a healthy item for reuse. */
  release(item: T): void {
    if (this.#closed) {
      void this.#destroy(item);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(item);
      return;
    }
    this.#idle.push(item);
  }

  /** Destroys an item that must not be reused; its capacity goes to the next waiter. */
  async discard(item: T): Promise<void> {
    await this.#destroy(item);
    this.#serveWaiterWithNewItem();
  }

  /** Destroys idle items and refuses waiters; items in use are destroyed when handed back. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new PoolClosedError('pool is closed'));
    }
    await Promise.allSettled(this.#idle.splice(0).map((item) => this.#destroy(item)));
  }

  async #createItem(): Promise<T> {
    this.#count += 1;
    try {
      return await this.#hooks.create();
    } catch (error) {
      this.#count -= 1;
      throw error;
    }
  }

  async #destroy(item: T): Promise<void> {
    this.#count -= 1;
    try {
      await this.#hooks.destroy(item);
    } catch {
      // Destroying is best effort: the item is gone from the pool either way.
    }
  }

  #wait(signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #serveWaiterWithNewItem(): void {
    if (this.#closed || this.#count >= this.#size) return;
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.#createItem().then(waiter.resolve, waiter.reject);
  }
}
