/**
 * The error raised when framed input ends in the middle of a frame.
 *
 * @module
 */

/**
 * Raised (as the stream's error) by `LengthPrefixDecoderStream` when its input
 * ends inside a length prefix or inside a record: incomplete data is never
 * dropped silently.
 *
 * @example
 * ```ts ignore
 * try {
 *   for await (const record of body.pipeThrough(new LengthPrefixDecoderStream())) use(record);
 * } catch (error) {
 *   if (!(error instanceof TruncatedInputError)) throw error;
 *   console.error(`${error.receivedBytes} of ${error.expectedBytes} bytes`);
 * }
 * ```
 */
export class TruncatedInputError extends Error {
  /** The part that was cut short, e.g. `"length prefix"` or `"record"`. */
  readonly part: string;
  /** How many bytes that part should have had. */
  readonly expectedBytes: number;
  /** How many bytes of it were received before the input ended. */
  readonly receivedBytes: number;
  /** Builds the error for `part`, cut at `receivedBytes` of `expectedBytes`. */
  constructor(part: string, expectedBytes: number, receivedBytes: number) {
    super(
      `Input ended inside a ${part}: expected ${expectedBytes} bytes, got ${receivedBytes}`,
    );
    this.name = "TruncatedInputError";
    this.part = part;
    this.expectedBytes = expectedBytes;
    this.receivedBytes = receivedBytes;
  }
}
