/**
 * The error raised by the framing streams when a record is larger than their
 * `maxRecordBytes` limit.
 *
 * @module
 */

/**
 * Raised (as the stream's error) by `LineSplitStream` and
 * `LengthPrefixDecoderStream` when a record exceeds `maxRecordBytes`. The
 * stream fails as soon as the excess is known, without buffering more input.
 *
 * @example
 * ```ts ignore
 * try {
 *   for await (const line of body.pipeThrough(new LineSplitStream())) use(line);
 * } catch (error) {
 *   if (!(error instanceof RecordTooLargeError)) throw error;
 *   console.error(`a line is over ${error.limitBytes} bytes`);
 * }
 * ```
 */
export class RecordTooLargeError extends Error {
  /** The limit that was exceeded, in bytes. */
  readonly limitBytes: number;
  /**
   * The record's size in bytes when it is known (the length read from a
   * length prefix), `undefined` when it is only known to exceed the limit.
   */
  readonly recordBytes: number | undefined;
  /** Builds the error for a record over `limitBytes`, of `recordBytes` if known. */
  constructor(limitBytes: number, recordBytes?: number) {
    super(
      recordBytes === undefined
        ? `Record exceeds the limit of ${limitBytes} bytes`
        : `Record of ${recordBytes} bytes exceeds the limit of ${limitBytes} bytes`,
    );
    this.name = "RecordTooLargeError";
    this.limitBytes = limitBytes;
    this.recordBytes = recordBytes;
  }
}
