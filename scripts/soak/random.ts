/** The soak's randomness is seeded (the samples' mulberry32), so a run can be repeated moment for moment. */
import { seededRandom } from '../../src/samples/seeded-random.js';
import type { RandomSource } from '../../src/samples/seeded-random.js';

export { seededRandom };
export type Random = RandomSource;

/** A whole number in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (Math.max(min, max) - min + 1));
}
