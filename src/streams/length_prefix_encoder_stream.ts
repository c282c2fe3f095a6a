/**
 * Framing records with a u32 little-endian length prefix: the prefix, and a
 * stream that puts it before each record.
 *
 * @module
 */

const MAX_U32 = 0xffff_ffff;

/**
 * The 4-byte prefix of a record of `length` bytes: `length` as a u32,
 * little-endian. The one encoding of the prefix, for the stream below and
 * for writers that frame records themselves (the command line's `read`).
 *
 * @throws {RangeError} If `length` does not fit in a u32.
 */
export function encodeLengthPrefix(length: number): Uint8Array {
  if (length > MAX_U32) {
    throw new RangeError(
      `Record of ${length} bytes exceeds the u32 length prefix maximum of ${MAX_U32}`,
    );
  }
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, length, true);
  return prefix;
}

/**
 * Frames each input chunk (one record) as a u32 little-endian byte length
 * followed by the record's bytes: the inverse of `LengthPrefixDecoderStream`.
 *
 * Each record is emitted as two chunks: a fresh 4-byte prefix, then the input
 * chunk itself (not copied, so do not modify it after writing it). An empty
 * record is emitted as its prefix alone.
 *
 * @example
 * ```ts
 * import { LengthPrefixEncoderStream } from "./length_prefix_encoder_stream.ts";
 *
 * const records = ReadableStream.from([new Uint8Array([7, 8, 9])]);
 * const framed = records.pipeThrough(new LengthPrefixEncoderStream());
 * const bytes = new Uint8Array(await new Response(framed).arrayBuffer());
 * // bytes: [3, 0, 0, 0, 7, 8, 9]
 * ```
 */
export class LengthPrefixEncoderStream
  extends TransformStream<Uint8Array, Uint8Array> {
  /** Builds an encoder. */
  constructor() {
    super({
      transform(record, controller): void {
        if (!(record instanceof Uint8Array)) {
          throw new TypeError(
            "LengthPrefixEncoderStream accepts only Uint8Array chunks",
          );
        }
        controller.enqueue(encodeLengthPrefix(record.byteLength));
        if (record.byteLength > 0) controller.enqueue(record);
      },
    });
  }
}
