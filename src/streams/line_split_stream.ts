/**
 * A byte stream splitter for newline-delimited records (NDJSON and the like).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { RecordTooLargeError } from "../errors.ts";
import type { ByteTransformer } from "./byte_transformer.ts";

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);
/**
 * From this many bytes on, V8 (Deno, Node.js) finds a chunk's line ends
 * faster in its latin1 text (one copy, then `String.prototype.indexOf`):
 * 3 to 5x faster over 25 KiB to 1 MiB than `Uint8Array.prototype.indexOf`,
 * which V8 scans a byte at a time. Bun's is already as fast as the text.
 */
const TEXT_SEARCH_BYTES = "Bun" in globalThis ? Infinity : 1024;
/** Longer chunks are searched as bytes: their text would double their memory. */
const TEXT_SEARCH_MAX_BYTES = 16 * 1024 * 1024;

/** Options for {@linkcode LineSplitStream}. */
export interface LineSplitStreamOptions {
  /** Drop empty lines (including a lone `\r\n`) instead of emitting them. Defaults to `true`. */
  skipEmptyLines?: boolean;
  /**
   * The longest line accepted, in bytes, not counting its line ending. A
   * longer line errors the stream with a {@linkcode RecordTooLargeError}.
   * Defaults to 16 MiB.
   */
  maxRecordBytes?: number;
}

/**
 * Splits a byte stream on `\n` into one chunk per line, without the line
 * ending: a `\r` right before the `\n` is removed too. The last line is emitted
 * even without a final `\n`; input ending right after a `\n` emits nothing
 * more.
 *
 * Bytes are copied at most once: a line lying within one input chunk is
 * emitted as a `subarray` view of that chunk (so it shares its `buffer`); only
 * a line spanning several chunks is copied, once, into a buffer of its exact
 * size. (Under Deno and Node.js, a chunk of 1 KiB or more is also copied
 * once into a transient latin1 string, where its line ends are found
 * faster.) Do not modify input chunks after writing them.
 *
 * @example
 * ```ts
 * import { LineSplitStream } from "./line_split_stream.ts";
 *
 * const body = new Blob(['{"a":1}\r\n\n{"b":2}']).stream();
 * const lines: string[] = [];
 * for await (const line of body.pipeThrough(new LineSplitStream())) {
 *   lines.push(new TextDecoder().decode(line));
 * }
 * // lines: ['{"a":1}', '{"b":2}']
 * ```
 */
export class LineSplitStream extends TransformStream<Uint8Array, Uint8Array> {
  /**
   * Builds a splitter.
   *
   * @throws {TypeError} If `skipEmptyLines` is given and not a boolean.
   * @throws {RangeError} If `maxRecordBytes` is not a positive integer.
   */
  constructor(options: LineSplitStreamOptions = {}) {
    const { skipEmptyLines = true, maxRecordBytes = 16 * 1024 * 1024 } =
      options;
    if (typeof skipEmptyLines !== "boolean") {
      throw new TypeError("skipEmptyLines must be a boolean");
    }
    super(lineSplitter(skipEmptyLines, maxRecordBytes));
  }
}

/**
 * The transformer of {@linkcode LineSplitStream}: the current line's pieces,
 * and the splitting. Its `transform` and `flush` are synchronous, so a
 * caller may drive it without a stream (the server's body reading does),
 * with any controller whose `enqueue` takes the lines. Internal: not
 * exported by `mod.ts`.
 *
 * @throws {RangeError} If `maxRecordBytes` is not a positive integer.
 */
export function lineSplitter(
  skipEmptyLines: boolean,
  maxRecordBytes: number,
): ByteTransformer {
  checkMaxRecordBytes(maxRecordBytes);
  const limits = { skipEmptyLines, maxRecordBytes };
  // The start of the current line, from earlier chunks.
  let pieces: Uint8Array[] = [];
  let pendingBytes = 0;

  // Ends the current line with `tail`, its bytes in the current chunk.
  const endLine = (
    tail: Uint8Array,
    terminated: boolean,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): void => {
    let length = pendingBytes + tail.length;
    const last = tail.length > 0
      ? tail[tail.length - 1]
      : pieces.at(-1)?.at(-1);
    if (terminated && last === CR) length--;
    if (length > maxRecordBytes) {
      throw new RecordTooLargeError(maxRecordBytes);
    }
    if (length > 0 || !skipEmptyLines) {
      controller.enqueue(
        pieces.length === 0
          ? tail.subarray(0, length)
          : join([...pieces, tail], length),
      );
    }
    if (pieces.length > 0) pieces = [];
    pendingBytes = 0;
  };

  return {
    transform(chunk, controller): void {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError("LineSplitStream accepts only Uint8Array chunks");
      }
      let start = 0;
      let end = chunk.indexOf(LF);
      if (end !== -1 && pieces.length > 0) {
        endLine(chunk.subarray(0, end), true, controller);
        start = end + 1;
        end = chunk.indexOf(LF, start);
      }
      start = cutLines(chunk, start, end, controller, limits);
      if (start === chunk.length) return;
      const rest = chunk.subarray(start);
      // A trailing `\r` may still turn out to be part of the line ending.
      const known = pendingBytes + rest.length - (rest.at(-1) === CR ? 1 : 0);
      if (known > maxRecordBytes) {
        throw new RecordTooLargeError(maxRecordBytes);
      }
      pieces.push(rest);
      pendingBytes += rest.length;
    },
    flush(controller): void {
      if (pendingBytes > 0) endLine(EMPTY, false, controller);
    },
  };
}

/**
 * Enqueues the lines of `chunk` that lie wholly in it, from `start` (a
 * line's start) with the first `\n` at `end` (-1: none): one view each, no
 * call per line (what `endLine` does when no pieces are pending; a third of
 * the cost of splitting a 100-line body). Returns where the rest begins.
 */
function cutLines(
  chunk: Uint8Array,
  start: number,
  end: number,
  controller: TransformStreamDefaultController<Uint8Array>,
  limits: { skipEmptyLines: boolean; maxRecordBytes: number },
): number {
  const { skipEmptyLines, maxRecordBytes } = limits;
  // Latin1 maps each byte to one character, so text and bytes share indices.
  const text = end !== -1 && chunk.length - start >= TEXT_SEARCH_BYTES &&
      chunk.length <= TEXT_SEARCH_MAX_BYTES
    ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
      .toString("latin1")
    : undefined;
  while (end !== -1) {
    const stop = end > start && chunk[end - 1] === CR ? end - 1 : end;
    if (stop - start > maxRecordBytes) {
      throw new RecordTooLargeError(maxRecordBytes);
    }
    if (stop > start || !skipEmptyLines) {
      controller.enqueue(chunk.subarray(start, stop));
    }
    start = end + 1;
    end = text === undefined
      ? chunk.indexOf(LF, start)
      : text.indexOf("\n", start);
  }
  return start;
}

/** Raises `RangeError` unless `maxRecordBytes` is a positive integer. */
function checkMaxRecordBytes(maxRecordBytes: number): void {
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes <= 0) {
    throw new RangeError(
      `maxRecordBytes must be a positive integer, got ${maxRecordBytes}`,
    );
  }
}

/** The first `length` bytes of `parts`: a view if they lie in one part, else one copy. */
function join(parts: Uint8Array[], length: number): Uint8Array {
  if (parts[0].length >= length) return parts[0].subarray(0, length);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    const n = Math.min(part.length, length - offset);
    out.set(n === part.length ? part : part.subarray(0, n), offset);
    offset += n;
  }
  return out;
}
