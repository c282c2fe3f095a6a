/**
 * Deterministic pseudo-random bytes for tests: seeded, so a failing case can
 * be replayed.
 *
 * @module
 */

import { mulberry32 } from "../../src/testing/mulberry32.ts";

/** Deterministic pseudo-random bytes: the low byte of each {@linkcode mulberry32} draw. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (random() * 4294967296) & 0xff;
  return out;
}

/**
 * Fills `bytes` with the low bytes of a xorshift32 sequence started at
 * `state` (a state of 0 gives zeros); returns `bytes`. Cheaper per byte than
 * {@linkcode randomBytes}, for payloads that are only told apart.
 */
export function xorshiftFill(bytes: Uint8Array, state: number): Uint8Array {
  let x = state;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
