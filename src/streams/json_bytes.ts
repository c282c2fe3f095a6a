/**
 * The byte-level pieces of the JSON grammar that `JsonSplitStream`
 * reads with: whitespace, digits, the states of a number, what a value's
 * first byte says it is, and where UTF-8 goes wrong.
 *
 * @module
 */

// Where a number is: each state says what came last.
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_E_SIGN = 6;
const N_EXP = 7;
const NUMBER_ENDS = [false, true, true, false, true, false, false, true];

/** The number state after its first byte `b` (`-` or a digit). */
export function numberStart(b: number): number {
  return b === 0x2d ? N_MINUS : b === 0x30 ? N_ZERO : N_INT;
}

/** Whether a number may end in `state` (after a digit). */
export function numberCanEnd(state: number): boolean {
  return NUMBER_ENDS[state];
}

/** JSON whitespace: space, tab, line feed, carriage return. */
export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** An ASCII digit. */
export function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** An ASCII hexadecimal digit. */
export function isHex(b: number): boolean {
  return isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
}

/** What a value starting with byte `b` is, for the shape error. */
export function shapeOf(b: number): string {
  if (b === 0x22) return "a string";
  if (b === 0x74 || b === 0x66) return "a boolean";
  if (b === 0x6e) return "null";
  return "a number";
}

/** The state after byte `b` in a number at `state`, or -1 if `b` ends it. */
export function numberStep(state: number, b: number): number {
  const digit = isDigit(b);
  switch (state) {
    case N_MINUS:
      return b === 0x30 ? N_ZERO : digit ? N_INT : -1;
    case N_ZERO:
    case N_INT:
      if (digit && state === N_INT) return N_INT;
      if (b === 0x2e) return N_DOT;
      return b === 0x65 || b === 0x45 ? N_E : -1;
    case N_DOT:
      return digit ? N_FRAC : -1;
    case N_FRAC:
      if (digit) return N_FRAC;
      return b === 0x65 || b === 0x45 ? N_E : -1;
    case N_E:
      return b === 0x2b || b === 0x2d ? N_E_SIGN : digit ? N_EXP : -1;
    default: // N_E_SIGN, N_EXP
      return digit ? N_EXP : -1;
  }
}

/** The offset of the first byte of `bytes` that is not well-formed UTF-8. */
export function invalidUtf8At(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // Grow a prefix by whole sequences: the first that fails is the spot.
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    try {
      decoder.decode(bytes.subarray(i, i + size));
    } catch {
      return i;
    }
    i += size;
  }
  return bytes.length;
}
