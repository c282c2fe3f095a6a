/**
 * A stream that parses records framed with a u32 little-endian length prefix.
 *
 * @module
 */

import { RecordTooLargeError, TruncatedInputError } from "../errors.ts";

/** Options for {@linkcode LengthPrefixDecoderStream}. */
export interface LengthPrefixDecoderStreamOptions {
  /**
   * The largest record accepted, in bytes. A length prefix above it errors the
   * stream with a {@linkcode RecordTooLargeError} as soon as it is read.
   * Defaults to 16 MiB.
   */
  maxRecordBytes?: number;
}

/**
 * Parses a byte stream, chunked arbitrarily, of records each framed as a u32
 * little-endian byte length followed by that many bytes (as written by
 * `LengthPrefixEncoderStream`), and emits one chunk per record. Empty records
 * are emitted as empty `Uint8Array`s. Input ending inside a prefix or a record
 * errors the stream with a {@linkcode TruncatedInputError}.
 *
 * Bytes are copied at most once: a record lying within one input chunk is
 * emitted as a `subarray` view of that chunk (so it shares its `buffer`); a
 * record spanning chunks is copied, once, into a buffer allocated at its exact
 * size when its prefix is read. Do not modify input chunks after writing them.
 *
 * @example
 * ```ts
 * import { LengthPrefixDecoderStream } from "./length_prefix_decoder_stream.ts";
 *
 * const body = ReadableStream.from([
 *   new Uint8Array([2, 0, 0, 0, 7]),
 *   new Uint8Array([8, 0, 0, 0, 0]),
 * ]);
 * const records = await Array.fromAsync(
 *   body.pipeThrough(new LengthPrefixDecoderStream()),
 * );
 * // records: [Uint8Array [7, 8], Uint8Array []]
 * ```
 */
export class LengthPrefixDecoderStream
  extends TransformStream<Uint8Array, Uint8Array> {
  /**
   * Builds a decoder.
   *
   * @throws {RangeError} If `maxRecordBytes` is not a positive integer.
   */
  constructor(options: LengthPrefixDecoderStreamOptions = {}) {
    const { maxRecordBytes = 16 * 1024 * 1024 } = options;
    if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes <= 0) {
      throw new RangeError(
        `maxRecordBytes must be a positive integer, got ${maxRecordBytes}`,
      );
    }

    // A length prefix split across chunks.
    const prefix = new Uint8Array(4);
    let prefixBytes = 0;
    // A record split across chunks, and how much of it has arrived.
    let record: Uint8Array | undefined;
    let recordBytes = 0;

    super({
      transform(chunk, controller): void {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(
            "LengthPrefixDecoderStream accepts only Uint8Array chunks",
          );
        }
        let offset = 0;
        while (offset < chunk.length) {
          if (record === undefined) {
            let length: number;
            if (prefixBytes === 0 && chunk.length - offset >= 4) {
              length = readU32(chunk, offset);
              offset += 4;
            } else {
              const n = Math.min(4 - prefixBytes, chunk.length - offset);
              prefix.set(chunk.subarray(offset, offset + n), prefixBytes);
              prefixBytes += n;
              offset += n;
              if (prefixBytes < 4) return;
              prefixBytes = 0;
              length = readU32(prefix, 0);
            }
            if (length > maxRecordBytes) {
              throw new RecordTooLargeError(maxRecordBytes, length);
            }
            if (chunk.length - offset >= length) {
              controller.enqueue(chunk.subarray(offset, offset + length));
              offset += length;
              continue;
            }
            record = new Uint8Array(length);
            recordBytes = 0;
          }
          const n = Math.min(
            record.length - recordBytes,
            chunk.length - offset,
          );
          record.set(chunk.subarray(offset, offset + n), recordBytes);
          recordBytes += n;
          offset += n;
          if (recordBytes === record.length) {
            controller.enqueue(record);
            record = undefined;
          }
        }
      },
      flush(): void {
        if (prefixBytes > 0) {
          throw new TruncatedInputError("length prefix", 4, prefixBytes);
        }
        if (record !== undefined) {
          throw new TruncatedInputError("record", record.length, recordBytes);
        }
      },
    });
  }
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | bytes[offset + 1] << 8 | bytes[offset + 2] << 16 |
    bytes[offset + 3] << 24) >>> 0;
}
