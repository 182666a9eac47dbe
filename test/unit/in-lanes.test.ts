import { describe, expect, it } from 'vitest';
import { mapInLanes } from '../../src/core/in-lanes.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('mapInLanes', () => {
  it('returns results in index order, with at most `lanes` running at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapInLanes(10, 3, async (index) => {
      running += 1;
      most = Math.max(most, running);
      // Later indices finish first, so order comes from the index, not from completion.
      for (let wait = 0; wait < 10 - index; wait += 1) await tick();
      running -= 1;
      return index * index;
    });
    expect(results).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    expect(most).toBe(3);
  });

  it('starts nothing more after a failure, and rethrows it', async () => {
    const started: number[] = [];
    const run = mapInLanes(10, 2, async (index) => {
      started.push(index);
      await tick();
      if (index === 1) throw new Error('page 2 failed');
      return index;
    });
    await expect(run).rejects.toThrow('page 2 failed');
    await tick();
    expect(started).toEqual([0, 1, 2]);
  });

  it('stops taking work once the signal aborts, and rejects with its reason instead of returning holes', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = mapInLanes(10, 1, async (index) => {
      started.push(index);
      if (index === 2) controller.abort(new Error('stopped by the user'));
      return index;
    }, controller.signal);
    await expect(run).rejects.toThrow('stopped by the user');
    expect(started).toEqual([0, 1, 2]);
  });

  it('does nothing for no items', async () => {
    expect(await mapInLanes(0, 4, () => Promise.reject(new Error('never')))).toEqual([]);
  });
});
