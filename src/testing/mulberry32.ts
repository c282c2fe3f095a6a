/**
 * A small seeded pseudo-random generator (mulberry32) returning floats in
 * [0, 1). Used where runs must repeat: the memory file adapter's simulated
 * power loss, and the tests.
 *
 * @example
 * ```ts ignore
 * const random = mulberry32(42);
 * random(); // the same sequence for the same seed
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
