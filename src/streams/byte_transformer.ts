/**
 * The synchronous transformer of bytes behind the framing streams.
 *
 * @module
 */

/**
 * A `Transformer<Uint8Array, Uint8Array>` whose `transform` and `flush` are
 * synchronous, so that a caller may drive it without a stream (the ingest
 * server cuts a body this way) or give it to `new TransformStream()`.
 * Declared here rather than as the DOM's `Transformer`, which Node.js's own
 * types do not declare globally.
 */
export interface ByteTransformer {
  /** Takes one chunk, enqueueing the records it completes. */
  transform(
    chunk: Uint8Array,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): void;
  /** At the end of the input: enqueues the last record, or throws. */
  flush(controller: TransformStreamDefaultController<Uint8Array>): void;
}

/**
 * A controller collecting what a transformer enqueues into `records`, for a
 * caller that drives a {@linkcode ByteTransformer} without a stream; its
 * `error` and `terminate` throw (the input is refused).
 */
export function collector(
  records: Uint8Array[],
): TransformStreamDefaultController<Uint8Array> {
  return {
    desiredSize: 1,
    enqueue(chunk?: Uint8Array): void {
      records.push(chunk!);
    },
    error(reason?: unknown): void {
      throw reason;
    },
    terminate(): void {
      throw new Error("The framing ended before the body");
    },
  };
}

/**
 * The records `transformer` cuts from `bytes`, the whole input: one
 * `transform` (none if `bytes` is empty), then `flush`. Throws what they
 * throw.
 */
export function transformWhole(
  transformer: ByteTransformer,
  bytes: Uint8Array,
): Uint8Array[] {
  const records: Uint8Array[] = [];
  const controller = collector(records);
  if (bytes.byteLength > 0) transformer.transform(bytes, controller);
  transformer.flush(controller);
  return records;
}
