import { describe, expect, it } from 'vitest';
import { PoolClosedError, ResourcePool } from '../../src/gpu-worker/resource-pool.js';

interface Item {
  id: number;
}

function pool(size: number, options: { failCreate?: boolean } = {}) {
  let created = 0;
  const destroyed: number[] = [];
  const resources = new ResourcePool<Item>(size, {
    create: async () => {
      if (options.failCreate) throw new Error('cannot create');
      created += 1;
      return { id: created };
    },
    destroy: (item) => {
      destroyed.push(item.id);
    },
  });
  return { resources, destroyed, created: () => created };
}

describe('ResourcePool', () => {
  it('creates up to its size, reuses released items, and serves waiters in order', async () => {
    const { resources, created } = pool(2);
    const a = await resources.acquire();
    const b = await resources.acquire();
    const order: number[] = [];
    const third = resources.acquire().then((item) => order.push(item.id));
    const fourth = resources.acquire().then((item) => order.push(item.id));
    expect(resources.stats).toEqual({ alive: 2, idle: 0, waiting: 2 });
    resources.release(b);
    resources.release(a);
    await Promise.all([third, fourth]);
    expect(order).toEqual([b.id, a.id]);
    expect(created()).toBe(2);
  });

  it('replaces a discarded item for the next waiter', async () => {
    const { resources, destroyed } = pool(1);
    const first = await resources.acquire();
    const next = resources.acquire();
    await resources.discard(first);
    expect((await next).id).toBe(2);
    expect(destroyed).toEqual([1]);
  });

  it('lets a waiter give up', async () => {
    const { resources } = pool(1);
    await resources.acquire();
    const controller = new AbortController();
    const waiting = resources.acquire(controller.signal);
    controller.abort(new Error('no longer needed'));
    await expect(waiting).rejects.toThrow('no longer needed');
    expect(resources.stats.waiting).toBe(0);
  });

  it('frees capacity when creating fails', async () => {
    const { resources } = pool(1, { failCreate: true });
    await expect(resources.acquire()).rejects.toThrow('cannot create');
    expect(resources.stats.alive).toBe(0);
  });

  it('on close destroys idle items, refuses waiters and new work, and destroys items handed back later', async () => {
    const { resources, destroyed } = pool(2);
    const kept = await resources.acquire();
    const idle = await resources.acquire();
    resources.release(idle);
    const busy = await resources.acquire();
    const waiting = resources.acquire();
    await resources.close();
    await expect(waiting).rejects.toBeInstanceOf(PoolClosedError);
    await expect(resources.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    expect(destroyed).toEqual([]);
    resources.release(busy);
    resources.release(kept);
    await resources.close();
    await expect.poll(() => destroyed.sort()).toEqual([1, 2]);
  });
});
