/**
 * A stream that parses records framed with a u32 little-endian length prefix.
 *
 * @module
 */

import { RecordTooLargeError, TruncatedInputError } from "../errors.ts";
import type { ByteTransformer } from "./byte_transformer.ts";

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
    super(lengthPrefixDecoder(maxRecordBytes));
  }
}

/** A length prefix or a record split across chunks, until the rest arrives. */
interface Decoding {
  /** A length prefix split across chunks, and how much of it has arrived. */
  prefix: Uint8Array;
  prefixBytes: number;
  /** The length last read. */
  length: number;
  /** A record split across chunks, and how much of it has arrived. */
  record: Uint8Array | undefined;
  recordBytes: number;
}

/**
 * The transformer of {@linkcode LengthPrefixDecoderStream}. Its `transform`
 * and `flush` are synchronous, so a caller may drive it without a stream
 * (the server's body reading does), with any controller whose `enqueue`
 * takes the records. Internal: not exported by `mod.ts`.
 *
 * @throws {RangeError} If `maxRecordBytes` is not a positive integer.
 */
export function lengthPrefixDecoder(
  maxRecordBytes: number,
): ByteTransformer {
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes <= 0) {
    throw new RangeError(
      `maxRecordBytes must be a positive integer, got ${maxRecordBytes}`,
    );
  }
  const d: Decoding = {
    prefix: new Uint8Array(4),
    prefixBytes: 0,
    length: 0,
    record: undefined,
    recordBytes: 0,
  };
  return {
    transform(chunk, controller): void {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(
          "LengthPrefixDecoderStream accepts only Uint8Array chunks",
        );
      }
      let offset = 0;
      while (offset < chunk.length) {
        if (d.record === undefined) {
          offset = readPrefix(d, chunk, offset);
          if (offset < 0) return;
          const length = d.length;
          if (length > maxRecordBytes) {
            throw new RecordTooLargeError(maxRecordBytes, length);
          }
          if (chunk.length - offset >= length) {
            controller.enqueue(chunk.subarray(offset, offset + length));
            offset += length;
            continue;
          }
          d.record = new Uint8Array(length);
          d.recordBytes = 0;
        }
        offset = fillRecord(d, chunk, offset, controller);
      }
    },
    flush(_controller): void {
      if (d.prefixBytes > 0) {
        throw new TruncatedInputError("length prefix", 4, d.prefixBytes);
      }
      if (d.record !== undefined) {
        throw new TruncatedInputError("record", d.record.length, d.recordBytes);
      }
    },
  };
}

/**
 * Reads a length prefix at `offset` of `chunk` into `d.length`: returns the
 * offset after it, or -1 if the chunk ends inside it.
 */
function readPrefix(d: Decoding, chunk: Uint8Array, offset: number): number {
  if (d.prefixBytes === 0 && chunk.length - offset >= 4) {
    d.length = readU32(chunk, offset);
    return offset + 4;
  }
  const n = Math.min(4 - d.prefixBytes, chunk.length - offset);
  d.prefix.set(chunk.subarray(offset, offset + n), d.prefixBytes);
  d.prefixBytes += n;
  if (d.prefixBytes < 4) return -1;
  d.prefixBytes = 0;
  d.length = readU32(d.prefix, 0);
  return offset + n;
}

/**
 * Copies the bytes of `chunk` from `offset` into the split record, emitting
 * it once whole: returns the offset after the bytes copied.
 */
function fillRecord(
  d: Decoding,
  chunk: Uint8Array,
  offset: number,
  controller: TransformStreamDefaultController<Uint8Array>,
): number {
  const record = d.record!;
  const n = Math.min(record.length - d.recordBytes, chunk.length - offset);
  record.set(chunk.subarray(offset, offset + n), d.recordBytes);
  d.recordBytes += n;
  if (d.recordBytes === record.length) {
    controller.enqueue(record);
    d.record = undefined;
  }
  return offset + n;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | bytes[offset + 1] << 8 | bytes[offset + 2] << 16 |
    bytes[offset + 3] << 24) >>> 0;
}
