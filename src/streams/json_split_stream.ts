/**
 * A byte stream splitter for JSON bodies: a JSON array is one record per
 * element, a JSON object is one record; each record is the element's compact
 * JSON text (`JSON.stringify` of it), UTF-8.
 *
 * @module
 */

import { JsonSplitter } from "./json_splitter.ts";

export { MalformedJsonError } from "./malformed_json_error.ts";

/** Options for {@linkcode JsonSplitStream}. */
export interface JsonSplitStreamOptions {
  /**
   * The largest record accepted, in bytes of its compact JSON text; a larger
   * one errors the stream with a {@linkcode RecordTooLargeError}. Defaults
   * to 16 MiB.
   */
  maxRecordBytes?: number;
  /** The deepest nesting of arrays and objects accepted. Defaults to 512. */
  maxDepth?: number;
}

/**
 * Splits a JSON text into records as it arrives: a top-level array gives one
 * record per element, a top-level object one record. Each record is
 * `JSON.stringify` of the element (no whitespace, numbers and escapes as
 * JavaScript writes them), UTF-8 encoded: the line an NDJSON shipper would
 * have sent for it. The input is checked as it streams (RFC 8259, UTF-8);
 * any fault errors the stream with a {@linkcode MalformedJsonError} carrying
 * its byte offset. Only the element being read is held. An element whose
 * text is already what `JSON.stringify` writes (what shippers send: no
 * whitespace, numbers as JavaScript prints them, no `\u` or `\/` escape, no
 * repeated or index-like key) is emitted as it is, without being parsed.
 *
 * @example
 * ```ts
 * import { JsonSplitStream } from "@x/mrecordlog";
 *
 * const body = new Blob(['[{"a": 1}, {"b": [2, 3]}]']).stream();
 * const records: string[] = [];
 * for await (const record of body.pipeThrough(new JsonSplitStream())) {
 *   records.push(new TextDecoder().decode(record));
 * }
 * // records: ['{"a":1}', '{"b":[2,3]}']
 * ```
 */
export class JsonSplitStream extends TransformStream<Uint8Array, Uint8Array> {
  /**
   * Builds a splitter.
   *
   * @throws {RangeError} If `maxRecordBytes` or `maxDepth` is not a positive
   * integer.
   */
  constructor(options: JsonSplitStreamOptions = {}) {
    const { maxRecordBytes = 16 * 1024 * 1024, maxDepth = 512 } = options;
    for (
      const [name, value] of [["maxRecordBytes", maxRecordBytes], [
        "maxDepth",
        maxDepth,
      ]] as const
    ) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(
          `${name} must be a positive integer, got ${value}`,
        );
      }
    }
    super(new JsonSplitter(maxRecordBytes, maxDepth));
  }
}
