/**
 * A tiny seeded pseudo-random generator (mulberry32). The samples must come out byte-identical on every run,
 * so nothing in them may depend on Math.random or the clock.
 */
export type RandomSource = () => number;

/** Returns a generator of floats in [0, 1) that yields the same sequence for the same seed. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` seeded bytes. */
export function seededBytes(seed: number, count: number): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i += 1) bytes[i] = Math.floor(random() * 256);
  return bytes;
}
