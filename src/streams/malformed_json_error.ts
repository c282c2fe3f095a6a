/**
 * The error of a JSON body that is not a JSON array or object.
 *
 * @module
 */

/**
 * Raised (as the stream's error) by {@linkcode JsonSplitStream} when its
 * input is not a JSON array or object: a syntax error, invalid UTF-8, a
 * value of another shape (a number, a string, `null`…), nesting past the
 * limit, or input ending inside the value.
 */
export class MalformedJsonError extends Error {
  /** The byte offset in the input where the problem is. */
  readonly offset: number;
  /** Builds the error: `reason` at byte `offset`. */
  constructor(reason: string, offset: number) {
    super(`${reason} at byte ${offset}`);
    this.name = "MalformedJsonError";
    this.offset = offset;
  }
}
